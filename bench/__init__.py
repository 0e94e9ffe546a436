"""Benchmarks that print figures (not tests): `make bench` or `.venv/bin/python -m bench`.

A benchmark is a module in this package that defines

    TITLE = "what is measured, in a few words"
    DESCRIPTION = "one sentence for docs/benchmarks.md: what, how, and through which code"
    DATABASES = ("sqlite", "postgresql")        # optional: where it makes sense
    def run(target: Target) -> list[Figure]: ...

A figure may carry a `goal` (text, e.g. "≥ 100 orders/s") with `met` (True/False) so that
docs/benchmarks.md states plainly whether it was reached, a `value` shown instead of the rate
when the figure is not a rate (statements per call), and a `detail` (markdown) printed below the
table (a breakdown of what was counted).

`bench/__main__.py` finds every such module, gives each `run` a fresh migrated database per
target (the embedded SQLite file, and PostgreSQL when it is reachable, in a schema of its own
that is dropped afterwards), prints the figures and writes them to docs/benchmarks.md.
Each measurement is bounded in time (`SECONDS`) and in count, so a whole run takes about a minute.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from core import migrate
from core.db import make_engine

POSTGRES_URL = (os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
                or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS") or 2.0)  # per measurement
MAX_CALLS = 200_000  # per measurement, whatever the speed


@dataclass(frozen=True)
class Target:
    """A database to measure on: `url` is a fresh, migrated database of its own."""

    dialect: str  # "sqlite" or "postgresql"
    label: str  # "SQLite 3.40.1", "PostgreSQL 15.20"
    url: str
    workdir: Path  # scratch space (instance folder of an app, files)


@dataclass
class Figure:
    benchmark: str
    database: str
    setting: str  # "1 client", "4 clients", "sequential"
    count: int
    seconds: float
    unit: str  # what `rate` counts per second: "numbers/s", "requests/s"
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    note: str = ""
    error: str = ""
    goal: str = ""  # "≥ 100 orders/s"
    met: bool | None = None  # whether the goal was reached (None: no goal)
    value: str = ""  # shown instead of the rate when the figure is not a rate ("31 statements")
    detail: str = field(default="", repr=False)  # markdown for the details section

    @property
    def verdict(self) -> str:
        if not self.goal:
            return ""
        return f"{self.goal}: {'**met**' if self.met else '**not met**'}"

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float | None:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else None
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[round(p) - 1]


@dataclass
class Run:
    """What one call measured: how many calls, in how long, each call's latency."""

    count: int
    seconds: float
    latencies_ms: list[float]
    results: list = field(default_factory=list)


def clients_label(n: int) -> str:
    """How many clients a figure ran with, as its mode column reads: "1 client", "4 clients"."""
    return f"{n} client{'s' if n > 1 else ''}"


def measure(call: Callable[[], object], *, seconds: float = SECONDS, max_calls: int = MAX_CALLS,
            warmup: int = 3) -> Run:
    """Call `call` again and again for `seconds` (at most `max_calls` times), one client."""
    return parallel(lambda: call, clients=1, seconds=seconds, max_calls=max_calls, warmup=warmup)


def parallel(make_call: Callable[[], Callable[[], object]], *, clients: int, seconds: float = SECONDS,
             max_calls: int = MAX_CALLS, warmup: int = 3) -> Run:
    """`clients` threads, each with its own `make_call()`, calling it until the time is up.
    Each client first makes `warmup` calls that are not timed (their results are kept);
    then every client starts at the same moment. An exception in any client is raised here."""
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    lock = threading.Lock()
    latencies: list[float] = []
    results: list = []
    errors: list[BaseException] = []
    state = {"deadline": 0.0, "calls": 0}

    def client() -> None:
        try:
            call = make_call()  # set-up (a connection, a session) is not measured
            mine: list[float] = []
            found = [call() for _ in range(warmup)]
            ready.wait()
            go.wait()
            while time.perf_counter() < state["deadline"]:
                with lock:
                    if state["calls"] >= max_calls:
                        break
                    state["calls"] += 1
                began = time.perf_counter()
                found.append(call())
                mine.append((time.perf_counter() - began) * 1000)
            with lock:
                latencies.extend(mine)
                results.extend(found)
        except BaseException as exc:  # noqa: BLE001 - raised in the caller below
            errors.append(exc)
            ready.abort()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    state["deadline"] = began + seconds
    go.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])
    return Run(len(latencies), elapsed, latencies, results)


# --------------------------------------------------------------------------- databases


def postgres_problem() -> str | None:
    """None when PostgreSQL answers at POSTGRES_URL, else why not."""
    try:
        engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def server_version(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            version = "SQLite " + conn.execute(text("select sqlite_version()")).scalar_one()
        else:
            version = "PostgreSQL " + conn.execute(text("show server_version")).scalar_one().split()[0]
    engine.dispose()
    return version


@contextmanager
def fresh_target(dialect: str, workdir: Path) -> Iterator[Target]:
    """A new database migrated to head (as `flask db upgrade` builds it), dropped afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    if dialect == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield Target("sqlite", server_version(url), url, workdir)
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield Target("postgresql", server_version(url), url, workdir)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
