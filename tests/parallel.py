"""Parallel clients on PostgreSQL, each with its own connection, released at the same moment.

`parallel_database(tmp_path, clients)` gives a fresh migrated PostgreSQL database (skipped without one,
failed in CI) with an app whose connection pool holds every client at once. `run_at_once()` runs the
clients in threads behind one barrier and fails the test if any hangs; `Clients.attempt()` runs one act in
a session of its own and sorts what happened into an outcome, keeping every failure that is not one of the
expected refusals for the test to assert empty."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import Engine

from core.app import create_app
from core.db import make_engine
from core.errors import DomainError
from core.uow import UnitOfWork
from tests.conftest import fresh_database, settings_for


@dataclass
class ParallelDatabase:
    app: Flask
    engine: Engine

    def session(self):
        """A new session with a connection of its own (use as a context manager)."""
        return self.app.extensions["db"].sessionmaker()

    def uow(self, session) -> UnitOfWork:
        return UnitOfWork(session, events=self.app.extensions["events"])


@contextmanager
def parallel_database(tmp_path: Path, clients: int, *, spare: int = 2) -> Iterator[ParallelDatabase]:
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=clients + spare, max_overflow=spare)
        try:
            yield ParallelDatabase(create_app(settings_for(url, tmp_path), engine=engine), engine)
        finally:
            engine.dispose()


def run_at_once(count: int, client: Callable[[int], None], *, timeout: float = 120) -> None:
    """Runs client(0) .. client(count - 1), each in a thread of its own, all released together."""
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        client(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a client hung"


@dataclass
class Clients:
    """What parallel clients met: each attempt's outcome, and every failure that was not expected."""

    database: ParallelDatabase
    expected: frozenset[str] = frozenset()
    outcomes: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, who: str, act: Callable[[UnitOfWork], object], *, done: str = "done") -> str:
        """Runs `act` in a session of its own: `done` when it went through, else the refusal's code
        (or "error" for anything that is not a refusal). Failures not in `expected` are kept."""
        with self.database.session() as session:
            uow = self.database.uow(session)
            try:
                act(uow)
                result = done
            except DomainError as exc:
                uow.rollback()
                result = exc.code
                if exc.code not in self.expected:
                    self._keep(f"{who}: {exc.code} {exc.message}")
            except Exception as exc:  # noqa: BLE001 - every other failure is what these tests look for
                result = "error"
                self._keep(f"{who}: {type(exc).__name__}: {exc}")
        with self._lock:
            self.outcomes.append(result)
        return result

    def _keep(self, failure: str) -> None:
        with self._lock:
            self.unexpected.append(failure)
