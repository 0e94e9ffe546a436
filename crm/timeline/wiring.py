"""Wiring of the customer 360 timeline: the permission with its data scope, crm's own sources, the web
blueprint and its panel on the customer page. Called from `crm.init_app`; downstream modules add their
sources from theirs."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.models import Customer, Role
from core.permissions import SALES, OwnerScope
from core.registry import Registry


def init_app(app: Flask) -> None:
    from crm.timeline import registry as timeline
    from crm.timeline import sources, views

    registry: Registry = app.extensions["registry"]
    # sales users: the customers they own or manage (not the unowned pool); others: all
    registry.permissions.register(timeline.RESOURCE, {"read": SALES | {Role.FINANCE, Role.MANAGEMENT, Role.ADMIN}},
                                  scope=OwnerScope(Customer.owner_id))

    sources.register(registry)
    app.register_blueprint(views.bp)
    registry.add_detail_panel("customer", "crm_timeline_web.panel", _l("Customer 360"), ("read", timeline.RESOURCE),
                              "customer_id")
