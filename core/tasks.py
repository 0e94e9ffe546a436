"""Celery tasks of the platform: ids in, idempotent, safe to retry."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core.outbox import relay_pending


@shared_task(name="core.relay_outbox", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def relay_outbox() -> int:
    ext = current_app.extensions
    return relay_pending(ext["db"].sessionmaker, ext["outbox_consumers"])
