"""Lead recycling through a real Celery worker on Redis: the beat task's message goes through the broker,
the worker takes the overdue lead back to the public pool and writes the notifications to the outbox.

The database is a fresh one of its own: PostgreSQL when `TEST_DATABASE_URL` is set (as in CI), else a
SQLite file that the worker process opens too. The clock is controlled by capturing the overdue lead
a week in the past: its deadline has passed, while a lead captured now is not due yet."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import services as core_services
from core.app import create_app
from core.db import utcnow
from core.models import OutboxMessage
from core.uow import UnitOfWork
from crm.leads import services
from crm.leads.models import Lead
from tests.conftest import REDIS_URL, fresh_database, require_redis, settings_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_a_real_worker_sends_an_overdue_lead_to_the_pool_and_notifies_rep_and_manager(tmp_path):
    require_redis()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    with fresh_database(tmp_path, postgres=postgres) as url:
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "CELERY_QUEUE": queue,
               "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path)}
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "core.worker", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        app = create_app(settings_for(url, tmp_path, redis_url=REDIS_URL, celery_queue=queue))
        try:
            with app.app_context():
                factory = app.extensions["db"].sessionmaker
                with factory() as session:
                    uow = UnitOfWork(session, events=app.extensions["events"])
                    rep = core_services.create_user(uow, {"username": "rep-w", "role": "sales_rep",
                                                          "password": "secret-pass-1", "team": "east"}).id
                    manager = core_services.create_user(uow, {"username": "mgr-w", "role": "sales_manager",
                                                              "password": "secret-pass-1", "team": "east"}).id
                    services.create_scoring_rule(uow, {"field": "industry", "value": "manufacturing",
                                                       "points": 70})
                    lead = {"industry": "manufacturing"}
                    late = services.capture_lead(uow, {**lead, "company": "Late Pumps", "email": "l@late.example"},
                                                 now=utcnow() - timedelta(days=7)).id
                    fresh = services.capture_lead(uow, {**lead, "company": "Fresh Valves",
                                                        "email": "f@fresh.example"}).id
                    assert session.get(Lead, late).owner_id == rep

                app.extensions["celery"].send_task("crm.recycle_overdue_leads", queue=queue)

                deadline = time.monotonic() + 90
                status = "assigned"
                while time.monotonic() < deadline and status != "pool" and worker.poll() is None:
                    time.sleep(0.3)
                    with factory() as session:
                        status = session.scalar(select(Lead.status).where(Lead.id == late))
                with factory() as session:
                    late_lead, fresh_lead = session.get(Lead, late), session.get(Lead, fresh)
                    found = (late_lead.status, late_lead.owner_id, late_lead.previous_owner_id,
                             late_lead.recycled_count, fresh_lead.status, fresh_lead.owner_id)
                    told = sorted(m.payload["user_id"] for m in session.scalars(
                        select(OutboxMessage).where(OutboxMessage.topic == "notify.user")))
        finally:
            worker.terminate()
            try:
                log = worker.communicate(timeout=20)[0]
            except subprocess.TimeoutExpired:
                worker.kill()
                log = worker.communicate()[0]
            app.extensions["db"].engine.dispose()
    assert found == ("pool", None, rep, 1, "assigned", rep), log[-3000:]
    assert told == sorted([rep, manager]), log[-3000:]
    assert "crm.recycle_overdue_leads" in log and "succeeded" in log
