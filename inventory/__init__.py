"""The `inventory` module: stock ledger, balances, reservations (stock locks), adjustments."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.events import EventRegistry
from core.models import Role
from core.permissions import EVERYONE
from core.registry import Registry


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, pages, event subscriptions, CLI and demo data."""
    from crm.events import SalesOrderCancelled
    from inventory import demo, handlers
    from inventory.cli import stock_cli

    registry: Registry = app.extensions["registry"]
    permissions = registry.permissions
    permissions.register("stock", {"read": EVERYONE})
    permissions.register("stock_adjustment", {"create": frozenset({Role.WAREHOUSE, Role.ADMIN})})
    permissions.register("reservation", {"read": frozenset({Role.WAREHOUSE, Role.PRODUCTION, Role.PURCHASING,
                                                            Role.SALES_MANAGER, Role.MANAGEMENT, Role.ADMIN})})
    permissions.register("shipment", {"read": frozenset({Role.WAREHOUSE, Role.FINANCE, Role.MANAGEMENT, Role.ADMIN}),
                                      "create": frozenset({Role.WAREHOUSE, Role.ADMIN}),
                                      "update": frozenset({Role.WAREHOUSE, Role.ADMIN})})
    events.subscribe(SalesOrderCancelled, handlers.release_order_reservations)
    app.cli.add_command(stock_cli)
    app.extensions.setdefault("demo_loaders", []).append(demo.load_opening_stock)

    from inventory import timeline, views

    app.register_blueprint(views.bp)
    registry.add_nav("inventory_web.stock", _l("Stock and locks"), ("read", "stock"))
    registry.add_nav("inventory_web.shipping_desk", _l("Shipping"), ("create", "shipment"))
    timeline.register(registry)  # shipments on the customer 360 timeline
