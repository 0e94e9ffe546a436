"""Wiring of the customer 360 timeline: the permission with its data scope, crm's own sources and
the web blueprint. Called from `crm.init_app`; downstream modules register their sources from theirs."""

from __future__ import annotations

from flask import Flask

from core.models import Role
from core.permissions import SALES, SCOPES, register

R = Role


def _timeline_scope(actor, action):
    """Sales users: the customers they own or manage (not the unowned pool); others: all."""
    return SCOPES["customer"][0](actor, "update") if actor.role in SALES else None


def _timeline_in_scope(actor, action, customer) -> bool:
    return SCOPES["customer"][1](actor, "update", customer) if actor.role in SALES else True


def init_app(app: Flask) -> None:
    register("customer_timeline", {"read": SALES | {R.FINANCE, R.MANAGEMENT, R.ADMIN}},
             scope=(_timeline_scope, _timeline_in_scope))

    from crm.timeline import sources, views

    sources.register()
    app.register_blueprint(views.bp)
