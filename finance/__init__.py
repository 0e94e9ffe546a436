"""The `finance` module: credit control, invoices, payments and their allocation, receivable aging."""

from flask import Flask

from core.events import GUARD, EventRegistry
from core.models import Role
from core.permissions import SALES, register
from finance.bank import models as bank_models  # noqa: F401  (bank accounts, statements and lines: loaded with finance)

R = Role


def _plan_scope():
    """A payment plan is in a user's scope when its order is (the record checked is the order)."""
    from core.permissions import SCOPES

    return SCOPES["sales_order"]


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions and event subscriptions."""
    from crm.events import CustomersMerged, SalesOrderConfirmed, SalesOrderShipped
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
    for resource in ("credit_note", "refund"):
        register(resource, {"read": books, "create": clerks, "update": clerks})
    events.subscribe(SalesOrderConfirmed, handlers.check_credit, priority=GUARD)
    events.subscribe(CustomersMerged, handlers.follow_merged_customer)
    # payment plans: sales and finance set them on the orders they may see; installments are invoiced by events
    register("payment_plan", {"read": SALES | {R.FINANCE, R.MANAGEMENT, R.ADMIN},
                              "update": SALES | {R.FINANCE, R.ADMIN}}, scope=_plan_scope())
    events.subscribe(SalesOrderConfirmed, handlers.invoice_deposits)
    events.subscribe(SalesOrderShipped, handlers.invoice_delivery_installments)
    from finance.plans import views as plan_views

    app.register_blueprint(plan_views.bp)

    from finance import tasks, views  # noqa: F401  (tasks: registers finance.hold_overdue_customers)

    app.register_blueprint(views.bp)
    from finance.bank import views as bank_views

    app.register_blueprint(bank_views.bp)

    from finance import timeline

    timeline.register()  # invoices and payments on the customer 360 timeline
    from finance.invoicing import credit_note_views as credit_views

    app.register_blueprint(credit_views.bp)
    init_journal(app, events)


def init_journal(app: Flask, events: EventRegistry) -> None:
    """The double-entry journal: it books every posted invoice, credit note, payment, allocation (and its
    undo), refund, customer merge and valued stock move from the events that announce them (noted as
    they come, booked together when the act settles), its pages and its check."""
    from core.events import ActSettled
    from crm.events import CustomersMerged
    from finance.cli import finance_cli
    from finance.events import (
        AllocationUndone,
        CreditNotePosted,
        InvoicePosted,
        PaymentAllocated,
        PaymentRecorded,
        RefundRecorded,
        RefundUndone,
    )
    from finance.journal import booking as journal
    from finance.journal import views as journal_views
    from inventory.events import StockMoved

    register("journal", {"read": frozenset({R.FINANCE, R.MANAGEMENT, R.ADMIN})})
    events.subscribe(StockMoved, journal.book_stock_move)
    events.subscribe(InvoicePosted, journal.book_invoice)
    events.subscribe(PaymentRecorded, journal.book_payment)
    events.subscribe(PaymentAllocated, journal.book_allocation)
    events.subscribe(AllocationUndone, journal.book_allocation_undone)
    events.subscribe(CreditNotePosted, journal.book_credit_note)
    events.subscribe(RefundRecorded, journal.book_refund)
    events.subscribe(RefundUndone, journal.book_refund_undone)
    events.subscribe(CustomersMerged, journal.book_customer_merge)
    events.subscribe(ActSettled, journal.book_pending)  # the entries of all the above, last in the act
    app.register_blueprint(journal_views.bp)
    app.cli.add_command(finance_cli)

    from crm import demo as crm_demo
    from finance import demo

    # the demo orders need the bills of materials and the opening stock of the modules loaded before
    # finance, so they are confirmed here, just before finance ships and bills them
    app.extensions.setdefault("demo_loaders", []).extend([crm_demo.load_orders, demo.load_finance])


from finance.journal import models as journal_models  # noqa: E402,F401  (the chart of accounts and the journal: loaded with finance)
