"""Celery tasks of tasks and reminders: call a service, idempotent."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core.db import utcnow
from core.uow import UnitOfWork
from crm.tasks import services


@shared_task(name="crm.send_task_reminders", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def send_task_reminders() -> int:
    """Beat, every minute: open tasks whose reminder (or due) time has come notify their owner, once."""
    ext = current_app.extensions

    def relay() -> None:
        ext["celery"].tasks["core.relay_outbox"].delay()

    with ext["db"].sessionmaker() as session:
        uow = UnitOfWork(session, events=ext["events"], on_outbox=relay)
        return len(services.send_task_reminders(uow, now=utcnow()))
