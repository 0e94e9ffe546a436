"""Wiring of after-sales tickets: permissions with the customer's data scope and the web blueprint.
Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from core.models import Customer, Role
from core.permissions import SALES, SCOPES, register

R = Role


def _ticket_scope(actor, action):
    """Tickets follow their customer's data scope, as sales orders and quotes do."""
    from crm.tickets.models import Ticket

    clause = SCOPES["customer"][0](actor, action)
    return None if clause is None else Ticket.customer_id.in_(select(Customer.id).where(clause))


def _ticket_in_scope(actor, action, ticket) -> bool:
    return SCOPES["customer"][1](actor, action, ticket.customer)


def init_app(app: Flask) -> None:
    register("ticket", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_ticket_scope, _ticket_in_scope))

    from crm.tickets import views

    app.register_blueprint(views.bp)
