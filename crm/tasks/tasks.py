"""Celery tasks of tasks and reminders: call a service, idempotent."""

from __future__ import annotations

from celery import shared_task

from core.db import utcnow
from core.web import task_uow
from crm.tasks import services


@shared_task(name="crm.send_task_reminders", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def send_task_reminders() -> int:
    """Beat, every minute: open tasks whose reminder (or due) time has come notify their owner, once."""
    with task_uow() as uow:
        return len(services.send_task_reminders(uow, now=utcnow()))
