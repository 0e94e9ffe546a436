"""Wiring of after-sales tickets: permissions with the customer's data scope, the web blueprint and
its menu entry. Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.models import Role
from core.permissions import SALES, follows_customer
from core.registry import Registry


def init_app(app: Flask) -> None:
    from crm.tickets import views
    from crm.tickets.models import Ticket

    registry: Registry = app.extensions["registry"]
    # tickets follow their customer's data scope, as sales orders and quotes do
    registry.permissions.register("ticket", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=follows_customer(Ticket.customer_id))

    app.register_blueprint(views.bp)
    registry.add_nav("crm_tickets_web.queue", _l("Tickets"), ("read", "ticket"))
