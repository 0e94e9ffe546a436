"""The `production` module: BOMs, work orders and the explosion of confirmed orders (MRP)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.events import EventRegistry
from core.models import Role
from core.permissions import EVERYONE
from core.registry import Registry


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, pages, event subscriptions and demo data."""
    from crm.events import SalesOrderCancelled, SalesOrderConfirmed
    from inventory.allocation import SupplySource
    from inventory.events import StockAllocated
    from production import demo, execution, handlers, supply

    registry: Registry = app.extensions["registry"]
    permissions = registry.permissions
    permissions.register("bom", {"read": EVERYONE, "create": frozenset({Role.PRODUCTION, Role.ADMIN}),
                                 "update": frozenset({Role.PRODUCTION, Role.ADMIN})})
    permissions.register("work_order", {"read": EVERYONE, "update": frozenset({Role.PRODUCTION, Role.ADMIN})})
    # the production manager's override: release a work order whose components are not all reserved
    permissions.register(execution.OVERRIDE, {"update": frozenset({Role.ADMIN})})
    # work order components wait for stock as sales order lines do: inventory's allocation serves them too
    registry.demand_sources.add(execution.component_demand)
    # work orders not finished are supply to come for that demand and for sales order lines: counted once,
    # and those not started give way to stock in hand (docs/supply.md)
    registry.supply_sources.add(SupplySource(supply.work_order_supply, supply.components_reached))
    events.subscribe(StockAllocated, execution.sync_component_reservations)
    events.subscribe(SalesOrderConfirmed, handlers.plan_order)
    events.subscribe(SalesOrderCancelled, handlers.cancel_order_work_orders)
    app.extensions.setdefault("demo_loaders", []).append(demo.load_boms)

    from production import views

    app.register_blueprint(views.bp)
    registry.add_nav("production_web.work_orders", _l("Work orders"), ("read", "work_order"))
    registry.add_nav("production_web.board", _l("Production board"), ("update", "work_order"))
    # inventory's locks tables name and link the work orders holding stock
    registry.work_order_links.add(views.work_order_links)
