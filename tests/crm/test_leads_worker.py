"""Lead recycling through a real Celery worker on Redis: the beat task's message goes through the broker,
the worker takes the overdue lead back to the public pool and writes the notifications to the outbox.

The database is a fresh one of its own: PostgreSQL when `TEST_DATABASE_URL` is set (as in CI), else a
SQLite file that the worker process opens too. The clock is controlled by capturing the overdue lead
a week in the past: its deadline has passed, while a lead captured now is not due yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import services as core_services
from core.db import utcnow
from core.models import OutboxMessage
from core.uow import UnitOfWork
from crm.leads import services
from crm.leads.models import Lead
from tests.worker import celery_worker


@pytest.mark.redis
def test_a_real_worker_sends_an_overdue_lead_to_the_pool_and_notifies_rep_and_manager(tmp_path):
    with celery_worker(tmp_path) as worker:
        with worker.session() as session:
            uow = UnitOfWork(session, events=worker.app.extensions["events"])
            rep = core_services.create_user(uow, {"username": "rep-w", "role": "sales_rep",
                                                  "password": "secret-pass-1", "team": "east"}).id
            manager = core_services.create_user(uow, {"username": "mgr-w", "role": "sales_manager",
                                                      "password": "secret-pass-1", "team": "east"}).id
            services.create_scoring_rule(uow, {"field": "industry", "value": "manufacturing", "points": 70})
            lead = {"industry": "manufacturing"}
            late = services.capture_lead(uow, {**lead, "company": "Late Pumps", "email": "l@late.example"},
                                         now=utcnow() - timedelta(days=7)).id
            fresh = services.capture_lead(uow, {**lead, "company": "Fresh Valves",
                                                "email": "f@fresh.example"}).id
            assert session.get(Lead, late).owner_id == rep

        worker.send("crm.recycle_overdue_leads")

        def recycled():
            with worker.session() as session:
                return session.scalar(select(Lead.status).where(Lead.id == late)) == "pool"

        worker.wait_for(recycled)
        with worker.session() as session:
            late_lead, fresh_lead = session.get(Lead, late), session.get(Lead, fresh)
            found = (late_lead.status, late_lead.owner_id, late_lead.previous_owner_id,
                     late_lead.recycled_count, fresh_lead.status, fresh_lead.owner_id)
            told = sorted(m.payload["user_id"] for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "notify.user")))
    log = worker.log
    assert found == ("pool", None, rep, 1, "assigned", rep), log[-3000:]
    assert told == sorted([rep, manager]), log[-3000:]
    assert "crm.recycle_overdue_leads" in log and "succeeded" in log
