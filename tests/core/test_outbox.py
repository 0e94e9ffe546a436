"""The transactional outbox: written with the business act, delivered at least
once by Celery, handled once by each consumer."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Notification, OutboxMessage, ProcessedMessage
from core.outbox import ConsumerRegistry, notify_user, relay_pending
from core.web import system_uow
from tests.conftest import make_user, uow_for
from tests.worker import celery_worker


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
    with celery_worker(tmp_path, postgres=True) as worker:
        with worker.session() as session:
            user = make_user_in(session, worker.app)
        rolled_back = system_uow()
        rolled_back.enqueue("notify.user", {"user_id": user, "message": "from a rolled-back act"})
        rolled_back.rollback()
        committed = system_uow()
        committed.enqueue("notify.user", {"user_id": user, "message": "from a committed act"})
        committed.commit()  # after commit: relay task sent through Redis to the worker

        def delivered_messages():
            with worker.session() as session:
                return list(session.scalars(select(Notification.message)))

        delivered = worker.wait_for(delivered_messages)
        with worker.session() as session:
            outbox = list(session.scalars(select(OutboxMessage)))
            processed = session.scalar(select(func.count()).select_from(ProcessedMessage))
    assert delivered == ["from a committed act"], worker.log[-3000:]
    assert [m.payload["message"] for m in outbox] == ["from a committed act"]
    assert outbox[0].delivered_at is not None and processed == 1


def make_user_in(session: Session, app) -> int:
    from core import services
    from core.uow import UnitOfWork

    user = services.create_user(UnitOfWork(session, events=app.extensions["events"]),
                                {"username": "worker-test", "role": "sales_rep", "password": "secret-pass-1"})
    return user.id
