"""The sales entries each act adds, written in the act's own transaction.

Every measure of the sales cube comes from one kind of act: confirming an order books its lines
(cancelling a confirmed one takes them back), shipping takes goods out at their net price and stock
cost, posting an invoice bills its lines (a credit note takes them back), and allocating a payment
collects the gross it settles, shared over the invoice's lines (undoing an allocation takes it back).
The dimensions are read when the act happens and kept on the entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, update

from core.db import utcnow
from core.events import EventRegistry
from core.models import Customer, Product, User
from core.money import ZERO, round_money, split_money
from core.uow import UnitOfWork
from crm.events import CustomersMerged, SalesOrderCancelled, SalesOrderConfirmed
from crm.orders.models import SalesOrder, SalesOrderLine
from finance.events import AllocationUndone, CreditNotePosted, InvoicePosted, PaymentAllocated
from finance.models import Invoice, InvoiceLine, Payment
from inventory.events import ShipmentShipped
from reports.models import Measure, SalesEntry


def subscribe(events: EventRegistry) -> None:
    events.subscribe(SalesOrderConfirmed, book_order)
    events.subscribe(SalesOrderCancelled, unbook_order)
    events.subscribe(ShipmentShipped, enter_shipment)
    events.subscribe(InvoicePosted, enter_invoice)
    events.subscribe(CreditNotePosted, enter_credit_note)
    events.subscribe(PaymentAllocated, enter_collection)
    events.subscribe(AllocationUndone, enter_collection_undone)
    events.subscribe(CustomersMerged, follow_merged_customer)


@dataclass(frozen=True)
class _Who:
    """The dimensions of the customer and the rep an entry counts for."""

    customer_id: int
    source: str
    tier: str
    region: str | None
    rep_id: int | None
    team: str | None


def _who(uow: UnitOfWork, customer: Customer, rep_id: int | None) -> _Who:
    """`rep_id`: the order's rep (None: the customer's owner)."""
    rep_id = customer.owner_id if rep_id is None else rep_id
    rep = uow.session.get(User, rep_id) if rep_id is not None else None
    return _Who(customer.id, customer.source, customer.tier, customer.region, rep_id,
                rep.team if rep is not None else None)


def _who_for_order(uow: UnitOfWork, customer_id: int, order_id: int | None) -> _Who:
    order = uow.session.get(SalesOrder, order_id) if order_id is not None else None
    customer = order.customer if order is not None else uow.session.get(Customer, customer_id)
    return _who(uow, customer, order.owner_id if order is not None else None)


def _product_line(uow: UnitOfWork, product_id: int | None) -> str | None:
    product = uow.session.get(Product, product_id) if product_id is not None else None
    return product.product_line if product is not None else None


def _write(uow: UnitOfWork, rows: list[dict]) -> None:
    """One multi-row insert for the act's entries (they are never read back in the act)."""
    if rows:
        uow.session.execute(insert(SalesEntry.__table__), rows)


def _add(rows: list[dict], uow: UnitOfWork, who: _Who, *, measure: Measure, day: date, document: str, document_id: int,
         number: str, line_id: int | None, order_id: int | None, product_id: int | None, amount: Decimal,
         orders: int = 0, orders_in_line: int = 0) -> None:
    rows.append(dict(
        measure=measure.value, day=day, document=document, document_id=document_id, number=number,
        line_id=line_id, order_id=order_id, customer_id=who.customer_id, product_id=product_id,
        source=who.source, tier=who.tier, region=who.region, rep_id=who.rep_id, team=who.team,
        product_line=_product_line(uow, product_id), amount=amount, orders=orders,
        orders_in_line=orders_in_line, cubed=False, created_at=utcnow()))


# --------------------------------------------------------------------------- booked


def book_order(uow: UnitOfWork, event: SalesOrderConfirmed) -> None:
    """Each line's untaxed amount, dated by the order date; the order counts once, and once per
    product line."""
    order = uow.session.get(SalesOrder, event.order_id)
    who = _who(uow, order.customer, order.owner_id)
    counted_lines: set[str | None] = set()
    rows: list[dict] = []
    for index, line in enumerate(order.lines):
        product_line = _product_line(uow, line.product_id)
        first_in_line = product_line not in counted_lines
        counted_lines.add(product_line)
        _add(rows, uow, who, measure=Measure.BOOKED, day=order.order_date, document="sales_order", document_id=order.id,
             number=order.number, line_id=line.id, order_id=order.id, product_id=line.product_id,
             amount=line.untaxed, orders=1 if index == 0 else 0, orders_in_line=1 if first_in_line else 0)
    _write(uow, rows)


def unbook_order(uow: UnitOfWork, event: SalesOrderCancelled) -> None:
    """A confirmed order cancelled: every booked entry of it is taken back on the same day and cell."""
    if not event.was_confirmed:
        return
    booked = uow.session.scalars(select(SalesEntry).where(
        SalesEntry.order_id == event.order_id, SalesEntry.measure == Measure.BOOKED.value,
        SalesEntry.document == "sales_order").order_by(SalesEntry.id)).all()
    _write(uow, [dict(
        measure=entry.measure, day=entry.day, document=entry.document, document_id=entry.document_id,
        number=entry.number, line_id=entry.line_id, order_id=entry.order_id, customer_id=entry.customer_id,
        product_id=entry.product_id, source=entry.source, tier=entry.tier, region=entry.region,
        rep_id=entry.rep_id, team=entry.team, product_line=entry.product_line, amount=-entry.amount,
        orders=-entry.orders, orders_in_line=-entry.orders_in_line, cubed=False, created_at=utcnow())
        for entry in booked])


# --------------------------------------------------------------------------- shipped and cost


def enter_shipment(uow: UnitOfWork, event: ShipmentShipped) -> None:
    """The shipped quantities at the order line's net unit price, and the stock value they took out."""
    order = uow.session.get(SalesOrder, event.sales_order_id)
    who = _who(uow, order.customer, order.owner_id)
    lines = {line.id: line for line in order.lines}
    rows: list[dict] = []
    for item in event.lines:
        line: SalesOrderLine = lines[item.sales_order_line_id]
        net_price = line.unit_price * (Decimal(1) - (line.discount or ZERO))
        common = dict(day=event.shipped_on, document="shipment", document_id=event.shipment_id, number=event.number,
                      line_id=line.id, order_id=order.id, product_id=item.product_id)
        _add(rows, uow, who, measure=Measure.SHIPPED, amount=round_money(net_price * item.qty), **common)
        _add(rows, uow, who, measure=Measure.COST, amount=round_money(item.unit_cost * item.qty), **common)
    _write(uow, rows)


# --------------------------------------------------------------------------- invoiced


def enter_invoice(uow: UnitOfWork, event: InvoicePosted) -> None:
    invoice = uow.session.get(Invoice, event.invoice_id)
    who = _who_for_order(uow, invoice.customer_id, invoice.sales_order_id)
    rows: list[dict] = []
    for line in invoice.lines:
        _add(rows, uow, who, measure=Measure.INVOICED, day=invoice.invoice_date, document="invoice",
             document_id=invoice.id, number=invoice.number, line_id=line.id, order_id=invoice.sales_order_id,
             product_id=line.product_id, amount=line.untaxed)
    _write(uow, rows)


def enter_credit_note(uow: UnitOfWork, event: CreditNotePosted) -> None:
    who = _who_for_order(uow, event.customer_id, event.sales_order_id)
    products = dict(uow.session.execute(select(InvoiceLine.id, InvoiceLine.product_id).where(
        InvoiceLine.id.in_([line.invoice_line_id for line in event.lines]))).all())
    rows: list[dict] = []
    for line in event.lines:
        _add(rows, uow, who, measure=Measure.INVOICED, day=event.credit_date, document="credit_note",
             document_id=event.credit_note_id, number=event.number, line_id=line.invoice_line_id,
             order_id=event.sales_order_id, product_id=products.get(line.invoice_line_id), amount=-line.untaxed)
    _write(uow, rows)


# --------------------------------------------------------------------------- collected


def _collect(uow: UnitOfWork, *, invoice_id: int, payment_id: int, payment_number: str, amount: Decimal) -> None:
    """`amount` (gross; negative when taken back) shared over the invoice's lines as issued, dated by the
    payment's date."""
    invoice = uow.session.get(Invoice, invoice_id)
    payment_date = uow.session.scalar(select(Payment.payment_date).where(Payment.id == payment_id))
    who = _who_for_order(uow, invoice.customer_id, invoice.sales_order_id)
    lines = list(invoice.lines)
    if not lines or sum((line.total for line in lines), ZERO) <= 0:
        return
    rows: list[dict] = []
    for line, share in zip(lines, split_money(amount, [line.total for line in lines]), strict=True):
        if share:
            _add(rows, uow, who, measure=Measure.COLLECTED, day=payment_date, document="payment", document_id=payment_id,
                 number=payment_number, line_id=line.id, order_id=invoice.sales_order_id,
                 product_id=line.product_id, amount=share)
    _write(uow, rows)


def enter_collection(uow: UnitOfWork, event: PaymentAllocated) -> None:
    _collect(uow, invoice_id=event.invoice_id, payment_id=event.payment_id, payment_number=event.payment_number,
             amount=event.amount)


def enter_collection_undone(uow: UnitOfWork, event: AllocationUndone) -> None:
    _collect(uow, invoice_id=event.invoice_id, payment_id=event.payment_id, payment_number=event.payment_number,
             amount=-event.amount)



def follow_merged_customer(uow: UnitOfWork, event: CustomersMerged) -> None:
    """The dropped customer's entries count for the kept one (their dimensions stay as they were)."""
    uow.session.execute(update(SalesEntry).where(SalesEntry.customer_id == event.drop_id)
                        .values(customer_id=event.keep_id))
