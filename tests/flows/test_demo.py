"""The demo loaders add BOMs, opening stock and a working company (leads, pipeline, orders, invoices,
payments), the books and the stock ledger agree afterwards, and loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from core.demo import load_demo
from core.models import AuditEntry, User
from crm.leads.models import Lead
from crm.leads.queries import my_leads
from crm.orders.models import SalesOrder
from crm.pipeline.models import Opportunity, Stage
from crm.quotes.models import Quote
from crm.segments.models import CustomerRfm
from crm.tasks.services import my_tasks_today
from crm.tickets.models import Ticket
from finance.bank.models import BankAccount
from finance.journal import booking as journal
from finance.journal.models import JournalEntry
from finance.models import Invoice, Payment
from finance.plans.models import PaymentPlan
from inventory.models import Shipment, StockMove
from inventory.services import check_ledger
from production.models import Bom

COUNTED = (Bom, StockMove, Lead, Opportunity, Quote, Ticket, SalesOrder, Shipment, Invoice, Payment, PaymentPlan,
           JournalEntry, BankAccount, AuditEntry)


def _counts(db) -> dict[str, int]:
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def test_the_demo_gives_every_role_work_keeps_the_books_right_and_loads_idempotently(app, db, uow):
    loaders = app.extensions["demo_loaders"]
    load_demo(uow, loaders)
    counts = _counts(db)
    assert counts["Bom"] == 70 and counts["StockMove"] > 100
    assert check_ledger(db) == []
    assert journal.check(db) == []

    rep = db.scalar(select(User).where(User.username == "sales_rep"))
    assert len(my_leads(db, rep)) >= 3
    assert db.scalar(select(func.count()).select_from(Lead).where(Lead.status == "pool")) >= 1
    assert db.scalar(select(func.count()).select_from(Lead).where(Lead.status == "nurturing")) >= 1
    assert db.scalar(select(func.count()).select_from(Lead).where(Lead.is_duplicate.is_(True))) >= 2
    assert len(my_tasks_today(db, rep)) >= 3
    stages = set(db.scalars(select(Stage.code).join(Opportunity, Opportunity.stage_id == Stage.id)))
    assert {"qualification", "needs_analysis", "quote", "negotiation", "won"} <= stages
    # the front office's accepted quote waits as a draft order (the history's accepted quotes are confirmed)
    assert db.scalar(select(func.count()).select_from(Quote).join(SalesOrder, SalesOrder.id == Quote.sales_order_id)
                     .where(Quote.state == "accepted", SalesOrder.state == "draft")) == 1
    assert db.scalar(select(func.count()).select_from(Ticket)) == 2

    assert db.scalar(select(func.count()).select_from(SalesOrder).where(
        SalesOrder.state != "draft", SalesOrder.customer_reference.like("DEMO-PO-%"))) == 12
    assert db.scalar(select(func.count()).select_from(SalesOrder).where(SalesOrder.state == "draft")) == 1
    states = set(db.scalars(select(Invoice.state)))
    assert {"paid", "partially_paid", "posted"} <= states
    assert any(p.unapplied > 0 for p in db.scalars(select(Payment)))  # the overpayment stays as credit
    assert counts["PaymentPlan"] == 1 and counts["BankAccount"] == 1
    assert db.scalar(select(func.count()).select_from(CustomerRfm)) > 0

    load_demo(uow, loaders)

    assert _counts(db) == counts
