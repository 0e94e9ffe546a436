"""Wiring of tasks and reminders: permissions with data scope, the web blueprint, its menu entry and
the beat task. Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.models import Role
from core.permissions import SALES, OwnerScope
from core.registry import Registry


def init_app(app: Flask) -> None:
    from crm.tasks import tasks, views  # noqa: F401  (tasks: registers crm.send_task_reminders)
    from crm.tasks.models import Task

    registry: Registry = app.extensions["registry"]
    # a rep: own tasks; a manager: the team's (own only without a team); others: all
    registry.permissions.register("task", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=OwnerScope(Task.owner_id))

    app.register_blueprint(views.bp)
    registry.add_nav("crm_tasks_web.index", _l("Tasks"), ("read", "task"))
