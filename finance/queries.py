"""Read-only finance views: invoice and payment lists, orders to invoice, receivable aging and
the customer summary (the exposure block that sales reads too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import Session

from core import clock
from core.errors import NotFound
from core.models import Customer, User
from core.money import ZERO
from core.queries import Page, paginate, search
from core.registry import permissions_of
from crm.orders.models import SalesOrder
from finance.credit.exposure import credit_status
from finance.invoicing.services import BILLABLE_ORDER_STATES, billable_lines, invoiced_by_line
from finance.models import OPEN_INVOICE_STATES, Invoice, Payment, PaymentAllocation
from finance.plans.models import PaymentPlan

BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")


def invoices(session: Session, actor: User, *, customer_id=None, state=None, sales_order_id=None,
             overdue_on: date | None = None, q: str | None = None, due_from: date | None = None,
             due_to: date | None = None, owner_id: int | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Invoices, newest first; `state=open` means posted or partially paid; `overdue_on`: open and due before;
    `due_from`/`due_to`: due on those days or between; `owner_id`: of the customers that sales user owns."""
    permissions_of(session).require(actor, "read", "invoice")
    stmt = select(Invoice)
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if due_from is not None:
        stmt = stmt.where(Invoice.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(Invoice.due_date <= due_to)
    if owner_id:
        stmt = stmt.where(Invoice.customer_id.in_(select(Customer.id).where(Customer.owner_id == owner_id)))
    if sales_order_id:
        stmt = stmt.where(Invoice.sales_order_id == sales_order_id)
    if state == "open":
        stmt = stmt.where(Invoice.state.in_(OPEN_INVOICE_STATES))
    elif state:
        stmt = stmt.where(Invoice.state == state)
    if overdue_on is not None:
        stmt = stmt.where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.due_date < overdue_on)
    if (found := search(q, Invoice.number, Customer.name, Customer.code)) is not None:
        stmt = stmt.join(Customer, Customer.id == Invoice.customer_id).where(found)
    return paginate(session, stmt.order_by(Invoice.id.desc()), page, per_page)


def payments(session: Session, actor: User, *, customer_id=None, unapplied: bool | None = None,
             page: int = 1, per_page: int = 25) -> Page:
    permissions_of(session).require(actor, "read", "payment")
    stmt = select(Payment)
    if customer_id:
        stmt = stmt.where(Payment.customer_id == customer_id)
    if unapplied:
        stmt = stmt.where(Payment.amount > Payment.allocated_amount + Payment.refunded_amount)
    return paginate(session, stmt.order_by(Payment.id.desc()), page, per_page)


def open_invoices_of(session: Session, customer_id: int) -> list[Invoice]:
    """A customer's open invoices, oldest due first (the allocation form)."""
    return list(session.scalars(select(Invoice).where(
        Invoice.customer_id == customer_id, Invoice.state.in_(OPEN_INVOICE_STATES))
        .order_by(Invoice.due_date, Invoice.id)))


def allocations_of_invoice(session: Session, invoice_id: int) -> list[PaymentAllocation]:
    """An invoice's allocation rows (reversals included), oldest first (the invoice page)."""
    return list(session.scalars(select(PaymentAllocation).where(PaymentAllocation.invoice_id == invoice_id)
                                .order_by(PaymentAllocation.id)))


def customer_choices(session: Session) -> list[Customer]:
    """Every customer by code (finance's pick lists: finance sees all customers)."""
    return list(session.scalars(select(Customer).order_by(Customer.code)))


def sales_customer_ids(actor: User) -> Select:
    """The ids of the customers a sales user answers for: a rep's own, a sales manager's team's (the
    customers they may change, so not the unowned pool)."""
    return permissions_of(actor).scoped(actor, "customer", select(Customer.id), "update")


def overdue_invoices(session: Session, *, today: date, customer_ids=None, limit: int = 500) -> list[Invoice]:
    """Open invoices past due on `today`, oldest due first (of the customers `customer_ids` selects, if given)."""
    stmt = (select(Invoice).where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.due_date < today,
                                  Invoice.total > Invoice.paid_amount).order_by(Invoice.due_date, Invoice.id))
    if customer_ids is not None:
        stmt = stmt.where(Invoice.customer_id.in_(customer_ids))
    return list(session.scalars(stmt.limit(limit)))


def orders_to_invoice(session: Session, actor: User, *, limit: int = 200) -> list[tuple[SalesOrder, Decimal]]:
    """Orders with shipped goods not invoiced yet, and the gross amount an invoice would bill."""
    permissions_of(session).require(actor, "create", "invoice")
    planned = select(PaymentPlan.id).where(PaymentPlan.sales_order_id == SalesOrder.id)
    orders = session.scalars(select(SalesOrder).where(
        SalesOrder.state.in_(BILLABLE_ORDER_STATES), SalesOrder.state != "confirmed",
        ~planned.exists())  # an order with a payment plan is invoiced by its installments
        .order_by(SalesOrder.id).limit(limit * 5)).all()
    invoiced = invoiced_by_line(session, [order.id for order in orders]) if orders else {}
    result = []
    for order in orders:
        amount = sum((b.total for b in billable_lines(session, order, invoiced)), ZERO)
        if amount > 0:
            result.append((order, amount))
        if len(result) >= limit:
            break
    return result


#: The window of credit sales DSO divides by, in days (see `aging`).
DSO_DAYS = 90
#: Invoices that were billed: their totals are credit sales (a draft or a discarded draft is not).
BILLED_INVOICE_STATES = (*OPEN_INVOICE_STATES, "paid")


@dataclass
class AgingRow:
    customer_id: int
    customer_code: str
    customer_name: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    sales: Decimal = ZERO  # credit sales (invoice totals) of the DSO window ending on as_of

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def dso(self) -> Decimal | None:
        """Days sales outstanding: receivable / credit sales of the last DSO_DAYS days x DSO_DAYS,
        to a tenth of a day; None when nothing was billed in the window."""
        if self.sales <= 0:
            return None
        return (self.total / self.sales * DSO_DAYS).quantize(Decimal("0.1"))

    def as_dict(self) -> dict:
        return {"customer_id": self.customer_id, "customer_code": self.customer_code,
                "customer_name": self.customer_name, **self.buckets, "total": self.total,
                "sales_90d": self.sales, "dso": self.dso}


def _aging_statement(as_of: date):
    """One grouped query: per customer, the open amount in each bucket and the credit sales of the DSO
    window. Days past due are compared as dates (`due_date >= as_of - 30` is at most 30 days late),
    so the database does the bucketing with bound parameters, portable to SQLite and PostgreSQL.
    The invoices are summed per customer id first and the customers joined to those sums after."""
    open_amount = case((Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.total - Invoice.paid_amount),
                       else_=literal(ZERO))
    edges = [None, as_of, as_of - timedelta(days=30), as_of - timedelta(days=60), as_of - timedelta(days=90), None]
    sums = []
    for index, key in enumerate(BUCKETS):
        newest, oldest = edges[index], edges[index + 1]  # due before `newest`, on or after `oldest`
        conditions = [c for c in ((Invoice.due_date < newest) if newest else None,
                                  (Invoice.due_date >= oldest) if oldest else None) if c is not None]
        sums.append(func.sum(case((and_(*conditions), open_amount), else_=literal(ZERO))).label(key))
    sales = func.sum(case((Invoice.invoice_date > as_of - timedelta(days=DSO_DAYS), Invoice.total),
                          else_=literal(ZERO))).label("sales")
    per_customer = (select(Invoice.customer_id, *sums, sales)
                    .where(Invoice.state.in_(BILLED_INVOICE_STATES), Invoice.invoice_date <= as_of)
                    .group_by(Invoice.customer_id).subquery("per_customer"))
    return (select(per_customer, Customer.code, Customer.name)
            .join(Customer, Customer.id == per_customer.c.customer_id))


def aging(session: Session, actor: User, *, as_of: date, customer_id: int | None = None) -> tuple[list[AgingRow],
                                                                                                  AgingRow]:
    """Open receivable per customer by days past due on `as_of` (invoices dated up to `as_of`,
    with their open amounts today), and the totals row. Each row carries the customer's credit
    sales of the DSO_DAYS days up to `as_of` and so its DSO; the totals row gives the overall DSO.
    Customers with nothing open are left out of the rows but their sales count in the totals."""
    permissions_of(session).require(actor, "read", "receivable")
    return aging_rows(session, as_of=as_of, customer_id=customer_id)


def aging_rows(session: Session, *, as_of: date, customer_id: int | None = None) -> tuple[list[AgingRow], AgingRow]:
    """`aging` for a caller that checked the right to read receivables already."""
    stmt = _aging_statement(as_of)
    if customer_id:
        stmt = stmt.where(Customer.id == customer_id)
    rows: list[AgingRow] = []
    totals = AgingRow(0, "", "")
    for record in session.execute(stmt):
        row = AgingRow(record.customer_id, record.code, record.name,
                       {key: Decimal(getattr(record, key) or 0) for key in BUCKETS}, Decimal(record.sales or 0))
        for key in BUCKETS:
            totals.buckets[key] += row.buckets[key]
        totals.sales += row.sales
        if row.total != 0:
            rows.append(row)
    return sorted(rows, key=lambda r: r.customer_code), totals


def customer_summary(session: Session, actor: User | None, customer_id: int, *, today: date | None = None) -> dict:
    """The 360 view of API.md: receivable, unbilled, exposure, credit limit, available credit,
    overdue (open amount past due today), unapplied credit, and the orders with their progress."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    if actor is not None:
        permissions = permissions_of(session)
        permissions.require_record(actor, "read", "customer", customer)
        permissions.require(actor, "read", "credit")
    today = today or clock.today()
    status = credit_status(session, customer)
    overdue = session.scalar(select(func.coalesce(func.sum(Invoice.total - Invoice.paid_amount), 0)).where(
        Invoice.customer_id == customer_id, Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.due_date < today))
    unapplied = session.scalar(select(func.coalesce(
        func.sum(Payment.amount - Payment.allocated_amount - Payment.refunded_amount), 0))
                               .where(Payment.customer_id == customer_id))
    orders = session.scalars(select(SalesOrder).where(SalesOrder.customer_id == customer_id)
                             .order_by(SalesOrder.id.desc()))
    return {
        "customer_id": customer.id, "receivable": status.receivable, "unbilled": status.unbilled,
        "exposure": status.exposure, "credit_limit": status.credit_limit,
        "available_credit": status.available_credit, "credit_hold": status.credit_hold,
        "overdue": Decimal(overdue or 0), "unapplied_credit": Decimal(unapplied or 0),
        "orders": [{"id": o.id, "number": o.number, "state": o.state, "total": o.total,
                    "shipment_status": o.shipment_status, "invoice_status": o.invoice_status,
                    "invoiced_amount": o.invoiced_amount, "paid_amount": o.paid_amount,
                    "payment_status": o.payment_status} for o in orders],
    }
