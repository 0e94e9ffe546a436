"""The `crm` module: sales orders (leads, quotes and the rest arrive with their issues)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.events import EventRegistry
from core.models import Role
from core.permissions import SALES, follows_customer
from core.registry import Registry


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, pages and event subscriptions."""
    from crm.orders import views
    from crm.orders.models import SalesOrder

    registry: Registry = app.extensions["registry"]
    # sales users see and change the orders of the customers in their data scope
    registry.permissions.register("sales_order", {
        "read": SALES | {Role.FINANCE, Role.WAREHOUSE, Role.PRODUCTION, Role.PURCHASING, Role.MANAGEMENT,
                         Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=follows_customer(SalesOrder.customer_id))
    # the explicit "delivered" act of an order's services (a service-only order never ships): the sales
    # owner confirms with the customer that the installation or commissioning is done; the warehouse has
    # nothing to pick for a service, and goods orders deliver theirs with the shipment of the goods
    registry.permissions.register("sales_order_delivery", {"update": SALES | {Role.ADMIN}},
                                  scope=follows_customer(SalesOrder.customer_id))

    app.register_blueprint(views.bp)
    registry.add_nav("crm_web.orders", _l("Sales orders"), ("read", "sales_order"))
    registry.add_detail_panel("customer", "crm_web.orders", _l("Sales orders"), ("read", "sales_order"),
                              "customer_id")

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
