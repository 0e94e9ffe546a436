"""Working hours for follow-up deadlines: Monday to Friday, 09:00 to 18:00 China time (UTC+8, no DST).

A: within 4 working hours; B: within 1 working day (9 working hours, i.e. the same time on the next
working day); C: no deadline (the lead goes to nurturing). Public holidays are not modelled."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from core.formatting import CHINA

DAY_START, DAY_END = time(9), time(18)
WORKING_HOURS_PER_DAY = 9
DEADLINE_HOURS = {"A": 4, "B": WORKING_HOURS_PER_DAY}


def _next_start(local: datetime) -> datetime:
    """The first working moment at or after `local`."""
    while True:
        if local.weekday() >= 5 or local.time() >= DAY_END:
            local = datetime.combine(local.date() + timedelta(days=1), DAY_START, CHINA)
            continue
        if local.time() < DAY_START:
            local = datetime.combine(local.date(), DAY_START, CHINA)
        return local


def add_working_hours(start: datetime, hours: float) -> datetime:
    local = _next_start(start.astimezone(CHINA))
    remaining = timedelta(hours=hours)
    while True:
        end_of_day = datetime.combine(local.date(), DAY_END, CHINA)
        if local + remaining <= end_of_day:
            return (local + remaining).astimezone(UTC)
        remaining -= end_of_day - local
        local = _next_start(end_of_day)


def follow_up_due(grade: str, assigned_at: datetime) -> datetime | None:
    hours = DEADLINE_HOURS.get(grade)
    return None if hours is None else add_working_hours(assigned_at, hours)
