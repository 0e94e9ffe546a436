"""The `purchasing` module: supplier prices, purchase plans, purchase orders and goods receipt."""

from flask import Flask

from core.events import EventRegistry
from core.models import Role
from core.permissions import EVERYONE, register

R = Role


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions and event subscriptions."""
    from crm.events import SalesOrderCancelled
    from production.events import MaterialShortagesFound, WorkOrdersCancelled
    from purchasing import handlers

    register("purchase_plan", {"read": EVERYONE, "update": frozenset({R.PURCHASING, R.ADMIN})})
    register("supplier_price", {
        "read": frozenset({R.PURCHASING, R.PRODUCTION, R.FINANCE, R.WAREHOUSE, R.MANAGEMENT, R.ADMIN}),
        "update": frozenset({R.PURCHASING, R.ADMIN})})
    register("purchase_order", {
        "read": frozenset({R.PURCHASING, R.WAREHOUSE, R.PRODUCTION, R.FINANCE, R.MANAGEMENT, R.ADMIN}),
        "create": frozenset({R.PURCHASING, R.ADMIN}), "update": frozenset({R.PURCHASING, R.ADMIN})})
    # goods are received by the warehouse (and purchasing may book a receipt for it)
    register("goods_receipt", {"create": frozenset({R.WAREHOUSE, R.PURCHASING, R.ADMIN})})
    events.subscribe(MaterialShortagesFound, handlers.plan_material_shortages)
    events.subscribe(SalesOrderCancelled, handlers.cancel_order_plans)
    events.subscribe(WorkOrdersCancelled, handlers.cancel_work_order_plans)

    from purchasing import views

    app.register_blueprint(views.bp)
