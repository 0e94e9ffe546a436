"""Celery tasks of the reports: no ids in, call a service, idempotent."""

from __future__ import annotations

from celery import shared_task

from core import clock
from core.web import task_uow
from reports import cube, forecast, targets


@shared_task(name="reports.alert_behind_pace", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def alert_behind_pace() -> int:
    """Beat, daily: from the 15th of the month, tell the sales managers of a rep whose actual is below the
    month's pace on a target (expected-to-date = target x days elapsed / days in the month); once per target."""
    with task_uow() as uow:
        return len(targets.alert_behind_pace(uow, today=clock.today()))


@shared_task(name="reports.roll_up_sales", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def roll_up_sales() -> int:
    """Beat, every half minute: roll the sales entries written since into the day and month cubes."""
    with task_uow(relay=False) as uow:
        return cube.roll_up(uow.session)


@shared_task(name="reports.snapshot_forecast", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def snapshot_forecast() -> int:
    """Beat, daily: on the first run of a month, freeze each rep's weighted pipeline for the month
    (later runs of the month change nothing)."""
    with task_uow() as uow:
        return len(forecast.snapshot_current_month(uow, today=clock.today()))


@shared_task(name="reports.send_weekly_digest", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def send_weekly_digest() -> int:
    """Beat, Monday 08:00 China time: e-mail management this ISO week's digest (a PDF of the month's figures);
    once per week, however often it runs."""
    from reports import digest

    with task_uow() as uow:
        return 1 if digest.send_weekly_digest(uow, now=clock.now()) is not None else 0
