"""The `finance` module: credit control, invoices, payments and their allocation, receivable aging."""

from flask import Flask

from core.events import GUARD, EventRegistry
from core.models import Role
from core.permissions import SALES, register
from finance import bank_models  # noqa: F401  (bank accounts, statements and lines: loaded with finance)

R = Role


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions and event subscriptions."""
    from crm.events import CustomersMerged, SalesOrderConfirmed
    from finance import handlers

    register("credit", {"read": SALES | {R.FINANCE, R.MANAGEMENT, R.ADMIN}})
    register("credit_approval", {"read": frozenset({R.FINANCE, R.MANAGEMENT, R.ADMIN}),
                                 "create": frozenset({R.FINANCE, R.ADMIN})})
    books = frozenset({R.FINANCE, R.MANAGEMENT, R.ADMIN})
    clerks = frozenset({R.FINANCE, R.ADMIN})
    for resource in ("invoice", "payment"):
        register(resource, {"read": books, "create": clerks, "update": clerks})
    register("receivable", {"read": books})
    for resource in ("bank_account", "bank_statement"):
        register(resource, {"read": books, "create": clerks, "update": clerks})
    events.subscribe(SalesOrderConfirmed, handlers.check_credit, priority=GUARD)
    events.subscribe(CustomersMerged, handlers.follow_merged_customer)

    from finance import tasks, views  # noqa: F401  (tasks: registers finance.hold_overdue_customers)

    app.register_blueprint(views.bp)
