"""The `purchasing` module: supplier prices, purchase plans, purchase orders and goods receipt."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.events import EventRegistry
from core.models import Role
from core.permissions import EVERYONE
from core.registry import Registry


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, pages and event subscriptions."""
    from crm.events import SalesOrderCancelled
    from inventory.allocation import SupplySource
    from production.events import MaterialShortagesFound, WorkOrdersCancelled
    from purchasing import handlers, supply

    registry: Registry = app.extensions["registry"]
    permissions = registry.permissions
    permissions.register("purchase_plan", {"read": EVERYONE, "update": frozenset({Role.PURCHASING, Role.ADMIN})})
    permissions.register("supplier_price", {
        "read": frozenset({Role.PURCHASING, Role.PRODUCTION, Role.FINANCE, Role.WAREHOUSE, Role.MANAGEMENT,
                           Role.ADMIN}),
        "update": frozenset({Role.PURCHASING, Role.ADMIN})})
    permissions.register("purchase_order", {
        "read": frozenset({Role.PURCHASING, Role.WAREHOUSE, Role.PRODUCTION, Role.FINANCE, Role.MANAGEMENT,
                           Role.ADMIN}),
        "create": frozenset({Role.PURCHASING, Role.ADMIN}), "update": frozenset({Role.PURCHASING, Role.ADMIN})})
    # goods are received by the warehouse (and purchasing may book a receipt for it)
    permissions.register("goods_receipt", {"create": frozenset({Role.WAREHOUSE, Role.PURCHASING, Role.ADMIN})})
    # plan lines not received are supply to come for the demand they are pegged to: counted once, and
    # open ones give way to stock in hand (docs/supply.md)
    registry.supply_sources.add(SupplySource(supply.plan_supply))
    events.subscribe(MaterialShortagesFound, handlers.plan_material_shortages)
    events.subscribe(SalesOrderCancelled, handlers.cancel_order_plans)
    events.subscribe(WorkOrdersCancelled, handlers.cancel_work_order_plans)

    from purchasing import views

    app.register_blueprint(views.bp)
    registry.add_nav("purchasing_web.plans", _l("Purchase plans"), ("read", "purchase_plan"))
    registry.add_nav("purchasing_web.orders", _l("Purchase orders"), ("read", "purchase_order"))
    registry.add_nav("purchasing_web.receipts", _l("Receipts to book"), ("create", "goods_receipt"))
