"""Celery bound to the Flask app: tasks run inside an app context.

With `REDIS_URL` set, Redis is broker and result backend; without it, tasks
run eagerly in-process (the embedded default).

Queueing a task (`.delay()`) gives up quickly when the broker cannot be reached
(a short connect timeout, one publish retry) instead of holding a web answer for
seconds: the hand-off to the outbox relay after commit is best effort
(`core.web.relay_outbox_later`), and the beat entry `relay-outbox-sweep` runs
`core.relay_outbox` every 30 seconds to deliver whatever was not handed off.
A worker still reconnects to a broker that went away, retrying as before."""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from core import tasks  # noqa: F401  (registers the platform's tasks on every Celery app)
from core.config import Settings


def init_celery(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.redis_url or "memory://",
        result_backend=settings.redis_url or None,
        task_always_eager=settings.eager_tasks,
        task_eager_propagates=True,
        task_ignore_result=True,
        task_acks_late=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        broker_transport_options={"socket_connect_timeout": 2},
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.2},
        timezone="UTC",
        task_default_queue=settings.celery_queue,
        beat_schedule={
            "relay-outbox-sweep": {"task": "core.relay_outbox", "schedule": 30.0},
            "recycle-overdue-leads": {"task": "crm.recycle_overdue_leads", "schedule": 300.0},
            "send-task-reminders": {"task": "crm.send_task_reminders", "schedule": 60.0},
            "alert-stalled-deals": {"task": "crm.alert_stalled_deals", "schedule": 3600.0},
            "hold-overdue-customers": {"task": "finance.hold_overdue_customers", "schedule": 86400.0},
            "invoice-dated-installments": {"task": "finance.invoice_dated_installments", "schedule": 86400.0},
            "remind-installments": {"task": "finance.remind_installments", "schedule": 86400.0},
            "refresh-segments": {"task": "crm.refresh_segments", "schedule": 86400.0},
            # Monday 08:00 China time (UTC+8, no daylight saving) is Monday 00:00 in the schedule's UTC
            "send-weekly-digest": {"task": "reports.send_weekly_digest",
                                   "schedule": crontab(minute=0, hour=0, day_of_week="mon")},
            "snapshot-forecast": {"task": "reports.snapshot_forecast", "schedule": 86400.0},
            "alert-behind-pace": {"task": "reports.alert_behind_pace", "schedule": 86400.0},
            "roll-up-sales": {"task": "reports.roll_up_sales", "schedule": 30.0},
        },
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
