"""Celery tasks of finance: no ids in, call a service, idempotent."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from flask import current_app

from core.uow import UnitOfWork
from finance.credit import holds
from finance.plans import services as plans


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


def _plan_uow() -> UnitOfWork:
    ext = current_app.extensions

    def relay() -> None:
        ext["celery"].tasks["core.relay_outbox"].delay()

    return UnitOfWork(ext["db"].sessionmaker(), events=ext["events"], on_outbox=relay)


@shared_task(name="finance.remind_installments", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def remind_installments() -> int:
    """Beat, daily: remind the order's owner of installments due in `INSTALLMENT_REMIND_BEFORE_DAYS` days
    or overdue by one of `INSTALLMENT_REMIND_AFTER_DAYS`; each reminder is sent once."""
    settings = current_app.config["SETTINGS"]
    uow = _plan_uow()
    with uow.session:
        return len(plans.remind_installments(uow, today=date.today(),
                                             before_days=settings.installment_remind_before_days,
                                             after_days=settings.installment_remind_after_days))


@shared_task(name="finance.invoice_dated_installments", autoretry_for=(Exception,), retry_backoff=True,
             max_retries=3)
def invoice_dated_installments() -> int:
    """Beat, daily: invoice the payment-plan installments whose fixed date has come."""
    uow = _plan_uow()
    with uow.session:
        return len(plans.invoice_dated_installments(uow, today=date.today()))
