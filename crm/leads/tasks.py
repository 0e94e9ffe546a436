"""Celery tasks of the leads: ids in (none here), call a service, idempotent."""

from __future__ import annotations

from celery import shared_task

from core.db import utcnow
from core.web import task_uow
from crm.leads import services


@shared_task(name="crm.recycle_overdue_leads", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def recycle_overdue_leads() -> int:
    """Beat, every 5 minutes: overdue leads go back to the public pool (rep and manager are notified)."""
    with task_uow() as uow:
        return len(services.recycle_overdue_leads(uow, now=utcnow()))
