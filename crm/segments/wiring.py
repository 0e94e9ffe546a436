"""Wiring of customer segments: the permission row, the web blueprint, its menu entry and the beat
task's module. Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.models import Role
from core.permissions import SALES
from core.registry import Registry


def init_app(app: Flask) -> None:
    from crm.segments import tasks, views  # noqa: F401 - tasks registers the beat task

    registry: Registry = app.extensions["registry"]
    # Reading follows the customer's data scope (a rep sees their own customers' scores).
    registry.permissions.register("customer_segment", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "update": {Role.SALES_MANAGER, Role.ADMIN},
    })

    app.register_blueprint(views.bp)
    registry.add_nav("crm_segments_web.index", _l("Segments"), ("read", "customer_segment"))
