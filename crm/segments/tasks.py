"""Celery task of the segments: no ids in, call a service, idempotent."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core import clock
from core.web import task_uow
from crm.segments import rfm


@shared_task(name="crm.refresh_segments", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def refresh_segments() -> int:
    """Beat, daily: recompute RFM segments; newly dormant customers get a follow-up task for their owner."""
    days = current_app.config["SETTINGS"].dormant_after_days
    with task_uow(relay=False) as uow:
        return rfm.refresh(uow, as_of=clock.today(), dormant_days=days).customers
