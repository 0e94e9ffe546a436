"""The suite's one clock: every "now" and "today" of the code is read here.

`now()` is an aware UTC moment; `today()` is the company's date, in China time (UTC+8), so that an
order confirmed at 01:00 in Shenzhen is dated that day and not the previous one.

The clock can be moved, never only in one place:
* `CLOCK_START` (an ISO moment with its zone, read by `core.config.Settings`) starts the clock at that
  moment when the app is built, and lets it run on from there: CI runs the whole suite once as of
  2026-12-31 23:30 China time (late evening, a month end and a year end at once). Worker processes
  built from the same settings start at the same moment.
* Tests that depend on the time of day set it with `frozen_at(...)` (the `clock` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from core.formatting import CHINA

_shift = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current moment, aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _shift


def today() -> date:
    """The company's current date (China time)."""
    return now().astimezone(CHINA).date()


def start_at(moment: datetime | None) -> None:
    """Let the clock run on from `moment` (None: the real time again)."""
    global _shift
    if moment is not None and moment.utcoffset() is None:
        raise ValueError("The clock's start needs its time zone, for example 2026-12-31T23:30:00+08:00.")
    _shift = timedelta(0) if moment is None else moment - datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[datetime]:
    """Stop the clock at `moment` for the block (a test's fixed time of day)."""
    global _frozen
    if moment.utcoffset() is None:
        raise ValueError("A frozen moment needs its time zone.")
    saved, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield _frozen
    finally:
        _frozen = saved
