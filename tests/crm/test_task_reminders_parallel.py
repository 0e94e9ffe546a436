"""Reminder sweeps running in parallel on PostgreSQL (each with its own connection, as several beat
workers would) still send each task's reminder exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import services as core_services
from core.app import create_app
from core.db import make_engine
from core.models import OutboxMessage
from core.uow import UnitOfWork
from crm.tasks import services as tasks
from tests.conftest import PASSWORD, fresh_database, settings_for

pytestmark = pytest.mark.postgres

SWEEPERS = 6
TASKS = 60
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_parallel_sweeps_remind_each_task_once(tmp_path):
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=SWEEPERS + 2)
        app = create_app(settings_for(url, tmp_path), engine=engine)
        events, factory = app.extensions["events"], app.extensions["db"].sessionmaker
        with factory() as session:
            uow = UnitOfWork(session, events=events)
            rep = core_services.create_user(uow, {"username": "sweep-rep", "role": "sales_rep", "password": PASSWORD})
            ids = [tasks.create_task(uow, None, title=f"Call {n}", owner_id=rep.id,
                                     due_at=NOW - timedelta(minutes=n), now=NOW - timedelta(days=1)).id
                   for n in range(TASKS)]

        start = threading.Barrier(SWEEPERS)
        sent: list[int] = []
        errors: list[str] = []
        lock = threading.Lock()

        def sweeper() -> None:
            start.wait()
            for _round in range(3):
                with factory() as session:
                    try:
                        found = tasks.send_task_reminders(UnitOfWork(session, events=events), now=NOW)
                    except Exception as exc:  # noqa: BLE001 - reported below
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                        return
                with lock:
                    sent.extend(found)

        threads = [threading.Thread(target=sweeper) for _ in range(SWEEPERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        with factory() as session:
            links = Counter(m.payload["link"] for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "notify.user")))
        engine.dispose()

    assert errors == []
    assert sorted(sent) == sorted(ids)
    assert links == Counter({f"/tasks/{task_id}": 1 for task_id in ids})
