"""The stalled-deal alert through a real Celery worker on Redis: the beat task's message goes through
the broker, the worker finds the opportunity idle for more than STALLED_DEAL_HOURS, tells the rep's
manager through the outbox and gives the rep a task.

The database is a fresh one of its own: PostgreSQL when `TEST_DATABASE_URL` is set (as in CI), else a
SQLite file that the worker process opens too. The clock is controlled by opening the stalled
opportunity three days in the past, while one opened now is not stalled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import services as core_services
from core.db import utcnow
from core.models import OutboxMessage
from core.uow import UnitOfWork
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity
from crm.tasks.models import Task
from tests.worker import celery_worker


@pytest.mark.redis
def test_a_real_worker_alerts_the_manager_of_a_stalled_deal_once(tmp_path):
    with celery_worker(tmp_path, STALLED_DEAL_HOURS="48") as worker:
        with worker.session() as session:
            uow = UnitOfWork(session, events=worker.app.extensions["events"])
            rep = core_services.create_user(uow, {"username": "rep-s", "role": "sales_rep",
                                                  "password": "secret-pass-1", "team": "east"}).id
            manager = core_services.create_user(uow, {"username": "mgr-s", "role": "sales_manager",
                                                      "password": "secret-pass-1", "team": "east"}).id
            customer = core_services.create_customer(uow, {"code": "C-S", "name": "Idle Pumps",
                                                           "owner_id": rep}).id
            stalled = pipeline.create_opportunity(uow, {"customer_id": customer, "name": "Idle"},
                                                  now=utcnow() - timedelta(days=3)).id
            fresh = pipeline.create_opportunity(uow, {"customer_id": customer, "name": "Fresh"}).id

        worker.send("crm.alert_stalled_deals")

        def alerted():
            with worker.session() as session:
                return session.scalar(select(Opportunity.stalled_alerted_at).where(Opportunity.id == stalled))

        worker.wait_for(alerted)
        with worker.session() as session:
            found = (session.get(Opportunity, stalled).stalled_alerted_at is not None,
                     session.get(Opportunity, fresh).stalled_alerted_at)
            told = [m.payload["user_id"] for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "notify.user"))]
            tasks = [(t.owner_id, t.opportunity_id, t.source) for t in session.scalars(select(Task))]
    log = worker.log
    assert found == (True, None), log[-3000:]
    assert told == [manager], log[-3000:]
    assert tasks == [(rep, stalled, "stalled_deal")], log[-3000:]
    assert "crm.alert_stalled_deals" in log and "succeeded" in log
