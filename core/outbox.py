"""Relay of the transactional outbox.

Rows are written by `UnitOfWork.enqueue` inside the business transaction. The
Celery task `core.relay_outbox` hands each undelivered row to the consumers
subscribed to its topic. A consumer runs in the same transaction that records
it in `core_processed_message`, so a redelivered message does nothing twice;
a consumer that fails leaves the message pending for the next sweep.
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
    """Deliver undelivered messages; returns how many were delivered."""
    delivered = 0
    with factory() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None)).order_by(OutboxMessage.id)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for message in session.scalars(stmt.limit(batch)).all():
            if _deliver(session, message, consumers):
                delivered += 1
        session.commit()
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
