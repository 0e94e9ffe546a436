"""The `crm` module: sales orders (leads, quotes and the rest arrive with their issues)."""

from flask import Flask
from sqlalchemy import select

from core.events import EventRegistry
from core.models import Customer, Role
from core.permissions import SALES, SCOPES, register

R = Role


def _order_scope(actor, action):
    """Sales users see and change the orders of the customers in their data scope."""
    clause = SCOPES["customer"][0](actor, action)
    if clause is None:
        return None
    from crm.orders.models import SalesOrder

    return SalesOrder.customer_id.in_(select(Customer.id).where(clause))


def _order_in_scope(actor, action, order) -> bool:
    return SCOPES["customer"][1](actor, action, order.customer)


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions and event subscriptions."""
    register("sales_order", {
        "read": SALES | {R.FINANCE, R.WAREHOUSE, R.PRODUCTION, R.PURCHASING, R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_order_scope, _order_in_scope))

    from crm.orders import views

    app.register_blueprint(views.bp)

    from crm.leads import wiring

    wiring.init_app(app)

    from crm.tickets import wiring as tickets

    tickets.init_app(app)

    from crm.pipeline import wiring as pipeline

    pipeline.init_app(app)

    from crm.tasks import wiring as tasks

    tasks.init_app(app)

    from crm.timeline import wiring as timeline

    timeline.init_app(app)

    from crm.segments import wiring as segments

    segments.init_app(app)

    from crm import demo

    app.extensions.setdefault("demo_loaders", []).append(demo.load_front_office)
