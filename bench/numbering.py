"""Gap-free document numbers: `core.numbering.next_number`, one committed transaction per number."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bench import Figure, Target, clients_label, parallel
from core.db import make_engine
from core.numbering import current_value, next_number

TITLE = "Gap-free document numbers"
DESCRIPTION = ("`core.numbering.next_number` in a transaction of its own per number, committed, as a document "
               "insert takes it; 1 and 4 parallel clients (threads, one connection each) draw from the same "
               "counter row. Afterwards the numbers handed out are checked to be exactly 1..N.")
DATABASES = ("sqlite", "postgresql")
CLIENTS = (1, 4)
DAY = date(2026, 1, 1)


def _gap_free(numbers: list[str], last: int) -> str:
    values = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    if values == list(range(1, last + 1)):
        return "gap-free: 1..N, no duplicate"
    return f"NOT gap-free: {len(values)} numbers, {len(set(values))} distinct, counter at {last}"


def measure_clients(target: Target, clients: int) -> Figure:
    engine = make_engine(target.url, pool_size=clients, max_overflow=0)
    prefix = f"BENCH{clients}"
    sessions: list[Session] = []

    def make_call():
        session = Session(engine)
        sessions.append(session)

        def call() -> str:
            number = next_number(session, prefix, on=DAY)
            session.commit()
            return number

        return call

    try:
        run = parallel(make_call, clients=clients)
        for session in sessions:
            session.close()
        with Session(engine) as session:
            last = current_value(session, prefix, DAY.year)
    finally:
        engine.dispose()
    return Figure(TITLE, target.label, clients_label(clients), run.count, run.seconds,
                  "numbers/s", run.latencies_ms, note=_gap_free(run.results, last))


def run(target: Target) -> list[Figure]:
    return [measure_clients(target, clients) for clients in CLIENTS]
