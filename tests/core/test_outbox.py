"""The transactional outbox: written with the business act, delivered at least
once by Celery, handled once by each consumer."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.app import create_app
from core.models import Notification, OutboxMessage, ProcessedMessage
from core.outbox import ConsumerRegistry, notify_user, relay_pending
from core.web import system_uow
from tests.conftest import REDIS_URL, fresh_database, make_user, require_redis, settings_for, uow_for

ROOT = Path(__file__).resolve().parents[2]


def _notes(db, user_id):
    return list(db.scalars(select(Notification.message).where(Notification.user_id == user_id)))


def _factory(db):
    return lambda: db  # the relay opens "a session": here, the test's own


class _Keep:
    """Wraps the test session so the relay's `with factory() as session` does not close it."""

    def __init__(self, db):
        self.db = db

    def __call__(self):
        return self

    def __enter__(self):
        return self.db

    def __exit__(self, *exc):
        return False


def test_a_committed_message_is_delivered_once_even_when_relayed_twice(db, app):
    user = make_user(db, "sales_rep")
    uow = uow_for(db)
    uow.enqueue("notify.user", {"user_id": user.id, "message": "Lead L-1 is yours"})
    uow.commit()
    consumers = app.extensions["outbox_consumers"]
    assert relay_pending(_Keep(db), consumers) == 1
    message = db.scalar(select(OutboxMessage))
    message.delivered_at = None  # as if the broker redelivered after a crash
    db.commit()
    relay_pending(_Keep(db), consumers)
    assert _notes(db, user.id) == ["Lead L-1 is yours"]


def test_a_failing_consumer_leaves_the_message_pending_with_the_reason(db):
    user = make_user(db, "sales_rep")
    calls = []

    def broken(session, payload, message_id):
        calls.append(message_id)
        raise RuntimeError("mail server down")

    consumers = ConsumerRegistry()
    consumers.subscribe("notify.user", "core.notify_user", notify_user)
    consumers.subscribe("notify.user", "test.mailer", broken)
    uow = uow_for(db)
    uow.enqueue("notify.user", {"user_id": user.id, "message": "hello"})
    uow.commit()
    assert relay_pending(_Keep(db), consumers) == 0
    message = db.scalar(select(OutboxMessage))
    assert message.delivered_at is None and "mail server down" in message.last_error
    assert _notes(db, user.id) == []  # the whole delivery rolled back, to be retried
    consumers = ConsumerRegistry()
    consumers.subscribe("notify.user", "core.notify_user", notify_user)
    assert relay_pending(_Keep(db), consumers) == 1
    assert _notes(db, user.id) == ["hello"]


def test_a_rolled_back_act_leaves_no_message(db):
    user = make_user(db, "sales_rep")
    uow = uow_for(db)
    uow.enqueue("notify.user", {"user_id": user.id, "message": "never"})
    uow.rollback()
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_celery_worker_delivers_committed_messages_and_never_rolled_back_ones(tmp_path):
    require_redis()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with fresh_database(tmp_path, postgres=True) as url:
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
                    user = make_user_in(session, app)
                rolled_back = system_uow()
                rolled_back.enqueue("notify.user", {"user_id": user, "message": "from a rolled-back act"})
                rolled_back.rollback()
                committed = system_uow()
                committed.enqueue("notify.user", {"user_id": user, "message": "from a committed act"})
                committed.commit()  # after commit: relay task sent through Redis to the worker

                deadline = time.monotonic() + 90
                delivered = []
                while time.monotonic() < deadline and not delivered:
                    with factory() as session:
                        delivered = list(session.scalars(select(Notification.message)))
                    if worker.poll() is not None:
                        break
                    time.sleep(0.3)
                with factory() as session:
                    outbox = list(session.scalars(select(OutboxMessage)))
                    processed = session.scalar(select(func.count()).select_from(ProcessedMessage))
        finally:
            worker.terminate()
            try:
                log = worker.communicate(timeout=20)[0]
            except subprocess.TimeoutExpired:
                worker.kill()
                log = worker.communicate()[0]
            app.extensions["db"].engine.dispose()
    assert delivered == ["from a committed act"], log[-3000:]
    assert [m.payload["message"] for m in outbox] == ["from a committed act"]
    assert outbox[0].delivered_at is not None and processed == 1
    assert "core.relay_outbox" in log


def make_user_in(session: Session, app) -> int:
    from core import services
    from core.uow import UnitOfWork

    user = services.create_user(UnitOfWork(session, events=app.extensions["events"]),
                                {"username": "worker-test", "role": "sales_rep", "password": "secret-pass-1"})
    return user.id
