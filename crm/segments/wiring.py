"""Wiring of customer segments: the permission row, the web blueprint, the beat task's module.
Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask

from core.models import Role
from core.permissions import SALES, register

R = Role


def init_app(app: Flask) -> None:
    # Reading follows the customer's data scope (a rep sees their own customers' scores).
    register("customer_segment", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "update": {R.SALES_MANAGER, R.ADMIN},
    })

    from crm.segments import tasks, views  # noqa: F401 - tasks registers the beat task

    app.register_blueprint(views.bp)
