"""Celery tasks of finance: no ids in, call a service, idempotent."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core import clock
from core.web import task_uow
from finance.credit import holds
from finance.plans import services as plans


@shared_task(name="finance.hold_overdue_customers", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def hold_overdue_customers() -> int:
    """Beat, daily: customers with invoices overdue past `CREDIT_HOLD_OVERDUE_DAYS` go on credit hold
    (their owner and finance are notified)."""
    days = current_app.config["SETTINGS"].credit_hold_overdue_days
    with task_uow() as uow:
        return len(holds.hold_overdue_customers(uow, today=clock.today(), days=days))


@shared_task(name="finance.remind_installments", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def remind_installments() -> int:
    """Beat, daily: remind the order's owner of installments due in `INSTALLMENT_REMIND_BEFORE_DAYS` days
    or overdue by one of `INSTALLMENT_REMIND_AFTER_DAYS`; each reminder is sent once."""
    settings = current_app.config["SETTINGS"]
    with task_uow() as uow:
        return len(plans.remind_installments(uow, today=clock.today(),
                                             before_days=settings.installment_remind_before_days,
                                             after_days=settings.installment_remind_after_days))


@shared_task(name="finance.invoice_dated_installments", autoretry_for=(Exception,), retry_backoff=True,
             max_retries=3)
def invoice_dated_installments() -> int:
    """Beat, daily: invoice the payment-plan installments whose fixed date has come."""
    with task_uow() as uow:
        return len(plans.invoice_dated_installments(uow, today=clock.today()))
