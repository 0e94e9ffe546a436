"""The `purchasing` module: purchase plans (purchase orders arrive with their issue)."""

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
    events.subscribe(MaterialShortagesFound, handlers.plan_material_shortages)
    events.subscribe(SalesOrderCancelled, handlers.cancel_order_plans)
    events.subscribe(WorkOrdersCancelled, handlers.cancel_work_order_plans)

    from purchasing import views

    app.register_blueprint(views.bp)
