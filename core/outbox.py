"""Relay of the transactional outbox.

Rows are written by `UnitOfWork.enqueue` inside the business transaction. The
Celery task `core.relay_outbox` hands each undelivered row to the consumers
subscribed to its topic. A consumer runs in the same transaction that records
it in `core_processed_message`, so a redelivered message does nothing twice;
a consumer that fails leaves the message pending for the next sweep.

Handing the outbox to the relay after commit is best effort
(`core.web.relay_outbox_later`): a committed act never answers an error because
the broker is down. Its messages are committed rows, so the beat sweep (the
`relay-outbox-sweep` entry of `core.celery_app`, every 30 seconds) delivers
them later. One relay call drains: it goes on batch after batch until a batch
comes back short, so a backlog does not wait a sweep per hundred messages.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from core.db import utcnow
from core.models import Notification, OutboxMessage, ProcessedMessage

log = logging.getLogger(__name__)

Consumer = Callable[[Session, dict[str, Any], int], None]


class ConsumerRegistry:
    def __init__(self) -> None:
        self._consumers: dict[str, list[tuple[str, Consumer]]] = defaultdict(list)

    def subscribe(self, topic: str, name: str, consumer: Consumer) -> None:
        if all(existing != name for existing, _ in self._consumers[topic]):
            self._consumers[topic].append((name, consumer))

    def for_topic(self, topic: str) -> list[tuple[str, Consumer]]:
        return list(self._consumers.get(topic, ()))


def relay_pending(factory: sessionmaker, consumers: ConsumerRegistry, *, batch: int = 100) -> int:
    """Deliver every undelivered message; returns how many were delivered.

    Batches of `batch` messages in id order, each in a transaction of its own, until a batch comes back
    short. On PostgreSQL a batch claims its rows with FOR UPDATE SKIP LOCKED, so two relays at once
    deliver different messages (a row the other relay delivered meanwhile no longer matches); on SQLite
    writers take turns. Either way `core_processed_message` keeps a redelivery from doing anything
    twice. Each batch starts after the last id the previous one saw, so a message whose consumer failed
    is not retried within this call (it waits for the next sweep) and the loop always ends."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    delivered = 0
    after = 0
    while True:
        with factory() as session:
            stmt = (select(OutboxMessage)
                    .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.id > after)
                    .order_by(OutboxMessage.id).limit(batch))
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            messages = session.scalars(stmt).all()
            for message in messages:
                if _deliver(session, message, consumers):
                    delivered += 1
            if messages:
                after = messages[-1].id
            session.commit()
        if len(messages) < batch:
            return delivered


def _deliver(session: Session, message: OutboxMessage, consumers: ConsumerRegistry) -> bool:
    try:
        with session.begin_nested():
            for name, consumer in consumers.for_topic(message.topic):
                done = session.scalar(select(exists().where(
                    ProcessedMessage.consumer == name, ProcessedMessage.message_id == message.id)))
                if done:
                    continue
                consumer(session, message.payload, message.id)
                session.add(ProcessedMessage(consumer=name, message_id=message.id))
            message.delivered_at = utcnow()
            message.attempts += 1
        return True
    except Exception as exc:  # a consumer failed: keep the message for the next sweep
        log.exception("outbox message %s (%s) failed", message.id, message.topic)
        message.attempts += 1
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        return False


def notify_user(session: Session, payload: dict[str, Any], _message_id: int) -> None:
    """Consumer of `notify.user`: an in-app notification for one user."""
    session.add(Notification(user_id=payload["user_id"], message=payload["message"], link=payload.get("link")))
