"""The `finance` module: credit control, invoices, payments and their allocation, receivable aging."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.events import GUARD, EventRegistry
from core.models import Role
from core.permissions import SALES, follows_customer
from core.registry import Registry
from finance.bank import models as bank_models  # noqa: F401  (bank accounts, statements and lines: loaded with finance)


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's permissions, pages, what it adds to other modules' pages, and its event
    subscriptions."""
    from crm.events import CustomersMerged, SalesOrderConfirmed, SalesOrderShipped
    from crm.orders.models import SalesOrder
    from finance import handlers

    registry: Registry = app.extensions["registry"]
    permissions = registry.permissions
    permissions.register("credit", {"read": SALES | {Role.FINANCE, Role.MANAGEMENT, Role.ADMIN}})
    permissions.register("credit_approval", {"read": frozenset({Role.FINANCE, Role.MANAGEMENT, Role.ADMIN}),
                                             "create": frozenset({Role.FINANCE, Role.ADMIN})})
    books = frozenset({Role.FINANCE, Role.MANAGEMENT, Role.ADMIN})
    clerks = frozenset({Role.FINANCE, Role.ADMIN})
    for resource in ("invoice", "payment"):
        permissions.register(resource, {"read": books, "create": clerks, "update": clerks})
    permissions.register("receivable", {"read": books})
    for resource in ("bank_account", "bank_statement"):
        permissions.register(resource, {"read": books, "create": clerks, "update": clerks})
    for resource in ("credit_note", "refund"):
        permissions.register(resource, {"read": books, "create": clerks, "update": clerks})
    events.subscribe(SalesOrderConfirmed, handlers.check_credit, priority=GUARD)
    events.subscribe(CustomersMerged, handlers.follow_merged_customer)
    # payment plans: sales and finance set them on the orders they may see; installments are invoiced by events
    # a payment plan is in a user's scope when its order is (the record checked is the order)
    permissions.register("payment_plan", {"read": SALES | {Role.FINANCE, Role.MANAGEMENT, Role.ADMIN},
                                          "update": SALES | {Role.FINANCE, Role.ADMIN}},
                         scope=follows_customer(SalesOrder.customer_id))
    events.subscribe(SalesOrderConfirmed, handlers.invoice_deposits)
    events.subscribe(SalesOrderShipped, handlers.invoice_delivery_installments)
    from finance.plans import services as plan_services
    from finance.plans import views as plan_views

    registry.invoicing_guards.add(plan_services.refuse_invoicing_by_hand)
    app.register_blueprint(plan_views.bp)
    registry.add_detail_panel("sales_order", "finance_plans_web.fragment", _l("Payment plan"),
                              ("read", "payment_plan"), "sales_order_id")
    registry.add_nav("finance_plans_web.installments", _l("Installments"), ("read", "invoice"))

    from finance import tasks, views  # noqa: F401  (tasks: registers finance.hold_overdue_customers)

    app.register_blueprint(views.bp)
    registry.add_nav("finance_web.receivables", _l("Receivables"), ("read", "invoice"))
    registry.add_nav("finance_web.to_invoice", _l("To invoice"), ("create", "invoice"))
    registry.add_nav("finance_web.payments_page", _l("Payments"), ("read", "payment"))
    registry.add_nav("finance_web.aging", _l("Aging"), ("read", "receivable"))
    registry.add_detail_panel("customer", "finance_web.customer_account", _l("Receivables and statement"),
                              ("read", "receivable"), "customer_id")
    registry.home_alerts.add(views.overdue_alert)
    registry.add_nav("finance_web.credit_holds", _l("Credit holds"), ("read", "credit_approval"))
    from finance.bank import views as bank_views

    app.register_blueprint(bank_views.bp)
    registry.add_nav("bank_web.statements", _l("Bank reconciliation"), ("read", "bank_statement"))

    from finance import timeline

    timeline.register(registry)  # invoices and payments on the customer 360 timeline
    from finance.invoicing import credit_note_views as credit_views

    app.register_blueprint(credit_views.bp)
    registry.add_detail_panel("customer", "finance_credit_web.customer_credit_panel",
                              _l("Unapplied credit and refunds"), ("read", "refund"), "customer_id")
    registry.order_flags.add(credit_views.overdue_flag)
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

    registry: Registry = app.extensions["registry"]
    registry.permissions.register("journal", {"read": frozenset({Role.FINANCE, Role.MANAGEMENT, Role.ADMIN})})
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
    registry.add_nav("finance_journal_web.accounts", _l("Accounts"), ("read", "journal"))
    registry.add_nav("finance_journal_web.entries", _l("Journal"), ("read", "journal"))
    app.cli.add_command(finance_cli)

    from crm import demo as crm_demo
    from finance import demo

    # the demo orders need the bills of materials and the opening stock of the modules loaded before
    # finance, so they are confirmed here, just before finance ships and bills them
    app.extensions.setdefault("demo_loaders", []).extend([crm_demo.load_orders, demo.load_finance])


from finance.journal import models as journal_models  # noqa: E402,F401  (the chart of accounts and the journal: loaded with finance)
