"""The stalled-deal alert through a real Celery worker on Redis: the beat task's message goes through
the broker, the worker finds the opportunity idle for more than STALLED_DEAL_HOURS, tells the rep's
manager through the outbox and gives the rep a task.

The database is a fresh one of its own: PostgreSQL when `TEST_DATABASE_URL` is set (as in CI), else a
SQLite file that the worker process opens too. The clock is controlled by opening the stalled
opportunity three days in the past, while one opened now is not stalled."""

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
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity
from crm.tasks.models import Task
from tests.conftest import REDIS_URL, fresh_database, require_redis, settings_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_a_real_worker_alerts_the_manager_of_a_stalled_deal_once(tmp_path):
    require_redis()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    with fresh_database(tmp_path, postgres=postgres) as url:
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "CELERY_QUEUE": queue,
               "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path), "STALLED_DEAL_HOURS": "48"}
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
                    rep = core_services.create_user(uow, {"username": "rep-s", "role": "sales_rep",
                                                          "password": "secret-pass-1", "team": "east"}).id
                    manager = core_services.create_user(uow, {"username": "mgr-s", "role": "sales_manager",
                                                              "password": "secret-pass-1", "team": "east"}).id
                    customer = core_services.create_customer(uow, {"code": "C-S", "name": "Idle Pumps",
                                                                   "owner_id": rep}).id
                    stalled = pipeline.create_opportunity(uow, {"customer_id": customer, "name": "Idle"},
                                                          now=utcnow() - timedelta(days=3)).id
                    fresh = pipeline.create_opportunity(uow, {"customer_id": customer, "name": "Fresh"}).id

                app.extensions["celery"].send_task("crm.alert_stalled_deals", queue=queue)

                deadline = time.monotonic() + 90
                alerted = None
                while time.monotonic() < deadline and alerted is None and worker.poll() is None:
                    time.sleep(0.3)
                    with factory() as session:
                        alerted = session.scalar(select(Opportunity.stalled_alerted_at)
                                                 .where(Opportunity.id == stalled))
                with factory() as session:
                    found = (session.get(Opportunity, stalled).stalled_alerted_at is not None,
                             session.get(Opportunity, fresh).stalled_alerted_at)
                    told = [m.payload["user_id"] for m in session.scalars(
                        select(OutboxMessage).where(OutboxMessage.topic == "notify.user"))]
                    tasks = [(t.owner_id, t.opportunity_id, t.source) for t in session.scalars(select(Task))]
        finally:
            worker.terminate()
            try:
                log = worker.communicate(timeout=20)[0]
            except subprocess.TimeoutExpired:
                worker.kill()
                log = worker.communicate()[0]
            app.extensions["db"].engine.dispose()
    assert found == (True, None), log[-3000:]
    assert told == [manager], log[-3000:]
    assert tasks == [(rep, stalled, "stalled_deal")], log[-3000:]
    assert "crm.alert_stalled_deals" in log and "succeeded" in log
