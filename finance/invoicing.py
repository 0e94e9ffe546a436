"""Invoices: the only code that creates, posts or discards them.

An invoice bills what a sales order has shipped and no other invoice (draft or posted) has
billed yet. Each line's amounts are rounded half-up to the cent like the order line's; the part
that completes an order line takes what is left of that line's own untaxed amount and VAT, so the
invoices of a fully shipped order add up to the order's total to the cent. Posting reports the
gross amount back to the order (`crm.services.note_invoiced`), which moves it from unbilled to
receivable in the credit exposure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.db import utcnow
from core.errors import DomainError, InvalidInput, NotFound, check_transition
from core.money import ZERO
from core.numbering import next_number
from core.permissions import authorize
from core.uow import UnitOfWork
from crm import services as crm_services
from crm.models import OrderState, SalesOrder, SalesOrderLine, line_amounts
from finance.models import Invoice, InvoiceLine, InvoiceState

RESOURCE = "invoice"
#: Orders whose shipped goods can be billed.
BILLABLE_ORDER_STATES = (OrderState.CONFIRMED.value, OrderState.PARTIALLY_SHIPPED.value,
                         OrderState.SHIPPED.value, OrderState.DONE.value)


def _authorize(uow: UnitOfWork, action: str) -> None:
    authorize(uow.actor, action, RESOURCE)


def get_invoice(uow: UnitOfWork, invoice_id: int, *, for_update: bool = False) -> Invoice:
    _authorize(uow, "read")
    lock = {"of": Invoice.__table__} if for_update else None
    invoice = uow.session.get(Invoice, invoice_id, with_for_update=lock, populate_existing=for_update)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice


@dataclass(frozen=True)
class Billable:
    """What one order line has shipped and not yet been invoiced, with its amounts."""

    line: SalesOrderLine
    qty: Decimal
    untaxed: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.untaxed + self.tax


def billable_lines(session, order: SalesOrder) -> list[Billable]:
    """The order's shipped, not yet invoiced quantities (drafts count as invoiced), line by line."""
    done: dict[int, tuple[Decimal, Decimal, Decimal]] = defaultdict(lambda: (ZERO, ZERO, ZERO))
    rows = session.execute(
        select(InvoiceLine.sales_order_line_id, func.sum(InvoiceLine.qty), func.sum(InvoiceLine.untaxed),
               func.sum(InvoiceLine.tax))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.sales_order_id == order.id, Invoice.state != InvoiceState.CANCELLED.value)
        .group_by(InvoiceLine.sales_order_line_id))
    for line_id, qty, untaxed, tax in rows:
        done[line_id] = (Decimal(qty or 0), Decimal(untaxed or 0), Decimal(tax or 0))
    result = []
    for line in order.lines:
        invoiced_qty, invoiced_untaxed, invoiced_tax = done[line.id]
        qty = (line.shipped_qty or ZERO) - invoiced_qty
        if qty <= 0:
            continue
        if invoiced_qty + qty >= line.qty:  # the last part: what is left of the line's own amounts
            untaxed, tax = line.untaxed - invoiced_untaxed, line.tax - invoiced_tax
        else:
            untaxed, tax = line_amounts(qty, line.unit_price, line.discount or ZERO, line.tax_rate)
        result.append(Billable(line, qty, untaxed, tax))
    return result


def create_invoice(uow: UnitOfWork, data: dict, *, on: date | None = None) -> Invoice:
    """A draft invoice of what the order has shipped and is not invoiced yet (`post`: posted at once).
    The order row is locked, so two clerks cannot bill the same shipment twice."""
    _authorize(uow, "create")
    order_id = data.get("sales_order_id")
    order = uow.session.get(SalesOrder, order_id, with_for_update={"of": SalesOrder.__table__},
                            populate_existing=True) if order_id is not None else None
    if order is None:
        raise InvalidInput({"sales_order_id": [f"No sales order with id {order_id}."]})
    if order.state not in BILLABLE_ORDER_STATES:
        raise DomainError(f"Order {order.number} is {order.state}; only a confirmed order's shipments are invoiced.",
                          code="not_invoiceable", details={"state": str(order.state)})
    billable = billable_lines(uow.session, order)
    if not billable:
        raise DomainError(f"Order {order.number} has nothing shipped that is not invoiced yet.",
                          code="nothing_to_invoice")
    invoice_date = data.get("invoice_date") or on or date.today()
    customer = order.customer
    invoice = Invoice(
        number=next_number(uow.session, "INV", on=invoice_date), customer_id=order.customer_id,
        sales_order_id=order.id, state=InvoiceState.DRAFT.value, invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=customer.payment_terms_days or 0), currency=order.currency,
        created_by_id=uow.actor.id if uow.actor else None)
    invoice.lines = [
        InvoiceLine(position=index + 1, sales_order_line_id=b.line.id, product_id=b.line.product_id,
                    product=b.line.product, qty=b.qty, unit_price=b.line.unit_price, discount=b.line.discount or ZERO,
                    tax_rate=b.line.tax_rate, untaxed=b.untaxed, tax=b.tax, total=b.total)
        for index, b in enumerate(billable)]
    invoice.untaxed = sum((line.untaxed for line in invoice.lines), ZERO)
    invoice.tax = sum((line.tax for line in invoice.lines), ZERO)
    invoice.total = invoice.untaxed + invoice.tax
    uow.session.add(invoice)
    if data.get("post"):
        _post(uow, invoice)
    uow.commit()
    return invoice


def _post(uow: UnitOfWork, invoice: Invoice) -> None:
    check_transition("invoice", invoice.state, InvoiceState.POSTED, Invoice.TRANSITIONS)
    invoice.move_to(InvoiceState.POSTED)
    invoice.posted_at = utcnow()
    if invoice.sales_order_id is not None:
        crm_services.note_invoiced(uow, invoice.sales_order_id, invoice.total)


def post_invoice(uow: UnitOfWork, invoice_id: int) -> Invoice:
    """Post a draft: it becomes receivable and the order learns what was invoiced."""
    _authorize(uow, "update")
    invoice = get_invoice(uow, invoice_id, for_update=True)
    _post(uow, invoice)
    uow.commit()
    return invoice


def discard_invoice(uow: UnitOfWork, invoice_id: int) -> Invoice:
    """Cancel a draft (its shipped quantities become billable again). A posted invoice needs a credit note."""
    _authorize(uow, "update")
    invoice = get_invoice(uow, invoice_id, for_update=True)
    if invoice.state != InvoiceState.DRAFT:
        raise DomainError(f"Invoice {invoice.number} is {invoice.state}; only a draft can be discarded "
                          f"(a posted invoice is cancelled by a credit note).", code="invalid_transition",
                          details={"from": str(invoice.state), "to": InvoiceState.CANCELLED.value})
    invoice.move_to(InvoiceState.CANCELLED)
    uow.commit()
    return invoice
