"""Credit control over overdue invoices: the automatic credit hold and finance lifting it.

`hold_overdue_customers` (run daily by the beat task `finance.hold_overdue_customers`) puts every
customer with a posted invoice still open more than `CREDIT_HOLD_OVERDUE_DAYS` days past its due
date on credit hold, writes an audit note naming those invoices, and notifies the customer's owner
and every finance user through the outbox. A customer already on hold is left alone, so running it
again changes nothing.

`lift_credit_hold` is finance's decision, with a reason: the audit note lists the overdue invoices
the lift excuses. The automatic hold does not come back for those invoices (otherwise a lift would
last only until the next run); it comes back when another invoice goes overdue past the limit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.audit import record_note
from core.errors import NotFound
from core.forms import load_input
from core.models import AuditEntry, Customer, Role, User
from core.uow import UnitOfWork
from finance.models import OPEN_INVOICE_STATES, Invoice
from finance.schemas import LiftCreditHoldSchema

DEFAULT_OVERDUE_DAYS = 30
#: The audit note of a lift starts with this; its `changes` carry `excused_invoices`.
LIFT_NOTE = "Credit hold lifted"


@dataclass(frozen=True)
class Hold:
    customer_id: int
    invoice_numbers: tuple[str, ...]


def overdue_past(session: Session, *, today: date, days: int) -> dict[int, list[Invoice]]:
    """Open posted invoices more than `days` days past due on `today`, by customer, oldest due first."""
    cutoff = today - timedelta(days=days)
    stmt = (select(Invoice).where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.due_date < cutoff,
                                  Invoice.total > Invoice.paid_amount)
            .order_by(Invoice.customer_id, Invoice.due_date, Invoice.id))
    result: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in session.scalars(stmt):
        result[invoice.customer_id].append(invoice)
    return result


def excused_invoices(session: Session, customer_id: int) -> set[str]:
    """The invoice numbers the customer's latest lift excused (none if never lifted)."""
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == Customer.__name__, AuditEntry.entity_id == str(customer_id),
                                 AuditEntry.action == "note", AuditEntry.note.like(f"{LIFT_NOTE}%"))
        .order_by(AuditEntry.id.desc()).limit(1))
    return set((entry.changes or {}).get("excused_invoices", [])) if entry is not None else set()


def _finance_users(session: Session) -> list[int]:
    return list(session.scalars(select(User.id).where(User.role == Role.FINANCE, User.active.is_(True))
                                .order_by(User.id)))


def hold_overdue_customers(uow: UnitOfWork, *, today: date, days: int = DEFAULT_OVERDUE_DAYS) -> list[Hold]:
    """Put customers with invoices overdue more than `days` days on credit hold: the daily system job (no
    actor), or finance running it now from the credit holds page or the API."""
    uow.authorize("update", "customer_credit")
    session = uow.session
    finance = _finance_users(session)
    holds = []
    for customer_id, invoices in overdue_past(session, today=today, days=days).items():
        customer = session.get(Customer, customer_id, with_for_update={"of": Customer.__table__},
                               populate_existing=True)
        if customer.credit_hold:
            continue
        excused = excused_invoices(session, customer_id)
        invoices = [invoice for invoice in invoices if invoice.number not in excused]
        if not invoices:
            continue
        numbers = tuple(invoice.number for invoice in invoices)
        customer.credit_hold = True
        listed = ", ".join(f"{inv.number} ({inv.days_overdue(today)} days, {inv.open_amount} open)"
                           for inv in invoices)
        record_note(session, customer, f"Credit hold: invoices overdue more than {days} days: {listed}",
                    {"credit_hold": [False, True], "overdue_invoices": list(numbers)})
        message = (f"{customer.name} is on credit hold: {len(numbers)} invoice(s) overdue more than {days} days "
                   f"({', '.join(numbers)}).")
        link = f"/finance/credit-holds#customer-{customer.id}"
        for user_id in dict.fromkeys(([customer.owner_id] if customer.owner_id else []) + finance):
            uow.enqueue("notify.user", {"user_id": user_id, "message": message, "link": link})
        holds.append(Hold(customer.id, numbers))
    uow.commit()
    return holds


def lift_credit_hold(uow: UnitOfWork, customer_id: int, *, reason: str, today: date | None = None,
                     days: int = DEFAULT_OVERDUE_DAYS) -> Customer:
    """Finance lifts a customer's credit hold, with a reason; the invoices overdue past the limit
    now are excused from the automatic hold. Lifting a customer not on hold changes nothing."""
    uow.authorize("update", "customer_credit")
    reason = load_input(LiftCreditHoldSchema, {"reason": reason})["reason"].strip()  # see finance.schemas
    session = uow.session
    customer = session.get(Customer, customer_id, with_for_update={"of": Customer.__table__}, populate_existing=True)
    if customer is None:
        raise NotFound("customer", customer_id)
    if not customer.credit_hold:
        return customer
    today = today or clock.today()
    excused = [inv.number for inv in overdue_past(session, today=today, days=days).get(customer.id, [])]
    customer.credit_hold = False
    record_note(session, customer, f"{LIFT_NOTE}: {reason}",
                {"credit_hold": [True, False], "excused_invoices": excused})
    uow.commit()
    return customer


def overdue_count(session: Session, *, today: date, owner_id: int | None = None, customer_ids=None) -> int:
    """Open invoices past due on `today` (of one owner's customers when `owner_id` is given, of the
    customers the select `customer_ids` gives when that is given)."""
    stmt = select(func.count()).select_from(Invoice).where(
        Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.due_date < today, Invoice.total > Invoice.paid_amount)
    if owner_id is not None:
        stmt = stmt.join(Customer, Customer.id == Invoice.customer_id).where(Customer.owner_id == owner_id)
    if customer_ids is not None:
        stmt = stmt.where(Invoice.customer_id.in_(customer_ids))
    return session.scalar(stmt) or 0


def customers_on_hold(session: Session) -> list[Customer]:
    return list(session.scalars(select(Customer).where(Customer.credit_hold.is_(True)).order_by(Customer.code)))
