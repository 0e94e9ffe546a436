"""Celery tasks of the pipeline: no ids in, call a service, idempotent."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core.db import utcnow
from core.web import task_uow
from crm.pipeline import alerts


@shared_task(name="crm.alert_stalled_deals", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def alert_stalled_deals() -> int:
    """Beat, hourly: tell the sales managers about open opportunities without activity for
    `STALLED_DEAL_HOURS` (once per stall)."""
    with task_uow() as uow:
        return len(alerts.alert_stalled_deals(uow, now=utcnow(),
                                              hours=current_app.config["SETTINGS"].stalled_deal_hours))
