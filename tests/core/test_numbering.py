"""Gap-free document numbers per type and year."""

import threading
from datetime import date

import pytest
from sqlalchemy.orm import Session

from core.db import make_engine
from core.numbering import current_value, next_number
from tests.conftest import fresh_database


def test_numbers_count_per_prefix_and_year(db):
    assert next_number(db, "SO", on=date(2026, 5, 1)) == "SO-2026-00001"
    assert next_number(db, "SO", on=date(2026, 5, 2)) == "SO-2026-00002"
    assert next_number(db, "PO", on=date(2026, 5, 2)) == "PO-2026-00001"
    assert next_number(db, "SO", on=date(2027, 1, 1)) == "SO-2027-00001"


def test_a_rolled_back_document_gives_its_number_back(db):
    next_number(db, "INV", on=date(2026, 1, 1))
    db.commit()
    nested = db.begin_nested()
    assert next_number(db, "INV", on=date(2026, 1, 1)) == "INV-2026-00002"
    nested.rollback()
    assert next_number(db, "INV", on=date(2026, 1, 1)) == "INV-2026-00002"


@pytest.mark.postgres
def test_concurrent_transactions_on_postgresql_get_distinct_contiguous_numbers(tmp_path):
    clients, per_client = 8, 25
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=clients, max_overflow=0)
        numbers: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(clients)

        def work():
            try:
                start.wait()
                for _ in range(per_client):
                    with Session(engine) as session:
                        number = next_number(session, "SO", on=date(2026, 3, 1))
                        session.commit()
                    with lock:
                        numbers.append(number)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with Session(engine) as session:
            last = current_value(session, "SO", 2026)
        engine.dispose()
    assert errors == []
    expected = {f"SO-2026-{n:05d}" for n in range(1, clients * per_client + 1)}
    assert sorted(numbers) == sorted(expected)
    assert last == clients * per_client
