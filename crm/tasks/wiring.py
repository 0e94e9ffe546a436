"""Wiring of tasks and reminders: permissions with data scope, the web blueprint and the beat task.
Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from core.models import Role, User
from core.permissions import SALES, register

R = Role


def _task_scope(actor, action):
    """A rep: own tasks; a manager: the team's (own only without a team); others: all."""
    from crm.tasks.models import Task

    if actor.role == R.SALES_REP:
        return Task.owner_id == actor.id
    if actor.role == R.SALES_MANAGER:
        if not actor.team:
            return Task.owner_id == actor.id
        return Task.owner_id.in_(select(User.id).where(User.team == actor.team))
    return None


def _task_in_scope(actor, action, task) -> bool:
    if actor.role == R.SALES_REP:
        return task.owner_id == actor.id
    if actor.role == R.SALES_MANAGER:
        owner = task.owner
        return task.owner_id == actor.id or bool(actor.team and owner is not None and owner.team == actor.team)
    return True


def init_app(app: Flask) -> None:
    register("task", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_task_scope, _task_in_scope))

    from crm.tasks import tasks, views  # noqa: F401  (tasks: registers crm.send_task_reminders)

    app.register_blueprint(views.bp)
