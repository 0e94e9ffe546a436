"""The `inventory` module: stock ledger, balances, reservations (stock locks), adjustments."""

from flask import Flask

from core.events import EventRegistry
from core.models import Role
from core.permissions import EVERYONE, register

R = Role


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, event subscriptions, CLI and demo data."""
    from crm.events import SalesOrderCancelled
    from inventory import demo, handlers
    from inventory.cli import stock_cli

    register("stock", {"read": EVERYONE})
    register("stock_adjustment", {"create": frozenset({R.WAREHOUSE, R.ADMIN})})
    register("reservation", {"read": frozenset({R.WAREHOUSE, R.PRODUCTION, R.PURCHASING, R.SALES_MANAGER,
                                                R.MANAGEMENT, R.ADMIN})})
    register("shipment", {"read": frozenset({R.WAREHOUSE, R.FINANCE, R.MANAGEMENT, R.ADMIN}),
                          "create": frozenset({R.WAREHOUSE, R.ADMIN}), "update": frozenset({R.WAREHOUSE, R.ADMIN})})
    events.subscribe(SalesOrderCancelled, handlers.release_order_reservations)
    app.cli.add_command(stock_cli)
    app.extensions.setdefault("demo_loaders", []).append(demo.load_opening_stock)

    from inventory import timeline, views

    app.register_blueprint(views.bp)
    timeline.register()  # shipments on the customer 360 timeline
