"""The `production` module: BOMs, work orders and the explosion of confirmed orders (MRP)."""

from flask import Flask

from core.events import EventRegistry
from core.models import Role
from core.permissions import EVERYONE, register

R = Role


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, event subscriptions and demo data."""
    from crm.events import SalesOrderCancelled, SalesOrderConfirmed
    from inventory.allocation import register_demand_source
    from inventory.events import StockAllocated
    from production import demo, execution, handlers

    register("bom", {"read": EVERYONE, "create": frozenset({R.PRODUCTION, R.ADMIN}),
                     "update": frozenset({R.PRODUCTION, R.ADMIN})})
    register("work_order", {"read": EVERYONE, "update": frozenset({R.PRODUCTION, R.ADMIN})})
    # the production manager's override: release a work order whose components are not all reserved
    register(execution.OVERRIDE, {"update": frozenset({R.ADMIN})})
    register_demand_source(execution.component_demand)
    events.subscribe(StockAllocated, execution.sync_component_reservations)
    events.subscribe(SalesOrderConfirmed, handlers.plan_order)
    events.subscribe(SalesOrderCancelled, handlers.cancel_order_work_orders)
    app.extensions.setdefault("demo_loaders", []).append(demo.load_boms)

    from production import views

    app.register_blueprint(views.bp)
