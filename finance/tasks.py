"""Celery tasks of finance: no ids in, call a service, idempotent."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from flask import current_app

from core.uow import UnitOfWork
from finance import holds


@shared_task(name="finance.hold_overdue_customers", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def hold_overdue_customers() -> int:
    """Beat, daily: customers with invoices overdue past `CREDIT_HOLD_OVERDUE_DAYS` go on credit hold
    (their owner and finance are notified)."""
    ext = current_app.extensions

    def relay() -> None:
        ext["celery"].tasks["core.relay_outbox"].delay()

    days = current_app.config["SETTINGS"].credit_hold_overdue_days
    with ext["db"].sessionmaker() as session:
        uow = UnitOfWork(session, events=ext["events"], on_outbox=relay)
        return len(holds.hold_overdue_customers(uow, today=date.today(), days=days))
