"""Invoices: the only code that creates, posts or discards them.

An invoice bills what a sales order has shipped and no other invoice (draft or posted) has
billed yet. A service line counts as shipped once delivered (with the shipment that completes the
order's goods, or by the order's "delivered" act), so it is billed like goods, exactly once. Each line's amounts are rounded half-up to the cent like the order line's; the part
that completes an order line takes what is left of that line's own untaxed amount and VAT, so the
invoices of a fully shipped order add up to the order's total to the cent. Posting reports the
gross amount back to the order (`crm.orders.services.note_invoiced`), which moves it from unbilled to
receivable in the credit exposure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select

from core import clock
from core.db import utcnow
from core.errors import DomainError, InvalidInput, InvalidTransition, check_transition
from core.models import Customer, Product
from core.money import ZERO
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.orders import services as crm_services
from crm.orders.models import OrderState, SalesOrder, SalesOrderLine
from crm.totals import line_amounts
from finance.events import InvoicePosted
from finance.models import Invoice, InvoiceLine, InvoiceState

RESOURCE = "invoice"
#: Orders whose shipped goods can be billed.
BILLABLE_ORDER_STATES = (OrderState.CONFIRMED.value, OrderState.PARTIALLY_SHIPPED.value,
                         OrderState.SHIPPED.value, OrderState.DONE.value)


def _authorize(uow: UnitOfWork, action: str) -> None:
    uow.authorize(action, RESOURCE)


def get_invoice(uow: UnitOfWork, invoice_id: int, *, for_update: bool = False) -> Invoice:
    _authorize(uow, "read")
    return uow.get(Invoice, invoice_id, "invoice", for_update=for_update)


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


def invoiced_by_line(session, order_ids) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """Quantity, untaxed and tax already invoiced per sales order line of these orders (drafts count as
    invoiced, and so do invoices cancelled by a credit note), in one query."""
    rows = session.execute(
        select(InvoiceLine.sales_order_line_id, func.sum(InvoiceLine.qty), func.sum(InvoiceLine.untaxed),
               func.sum(InvoiceLine.tax))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        # a posted invoice cancelled by a credit note still billed its goods (the note credited them)
        .where(Invoice.sales_order_id.in_(order_ids),
               or_(Invoice.state != InvoiceState.CANCELLED.value, Invoice.posted_at.is_not(None)))
        .group_by(InvoiceLine.sales_order_line_id))
    return {line_id: (Decimal(qty or 0), Decimal(untaxed or 0), Decimal(tax or 0))
            for line_id, qty, untaxed, tax in rows}


def billable_lines(session, order: SalesOrder, invoiced: dict | None = None) -> list[Billable]:
    """The order's shipped, not yet invoiced quantities (drafts count as invoiced, and so do invoices
    cancelled by a credit note: a return does not make goods billable again), line by line. `invoiced`
    is `invoiced_by_line` read beforehand for many orders at once."""
    done = invoiced_by_line(session, [order.id]) if invoiced is None else invoiced
    nothing = (ZERO, ZERO, ZERO)
    result = []
    for line in order.lines:
        invoiced_qty, invoiced_untaxed, invoiced_tax = done.get(line.id, nothing)
        qty = (line.shipped_qty or ZERO) - invoiced_qty
        if qty <= 0:
            continue
        if invoiced_qty + qty >= line.qty:  # the last part: what is left of the line's own amounts
            untaxed, tax = line.untaxed - invoiced_untaxed, line.tax - invoiced_tax
        else:
            untaxed, tax = line_amounts(qty, line.unit_price, line.discount or ZERO, line.tax_rate)
        result.append(Billable(line, qty, untaxed, tax))
    return result


def _lock_order(uow: UnitOfWork, order_id) -> SalesOrder | None:
    if order_id is None:
        return None
    return uow.session.get(SalesOrder, order_id, with_for_update={"of": SalesOrder.__table__},
                           populate_existing=True)


def _refuse_unbillable(order: SalesOrder) -> None:
    if order.state not in BILLABLE_ORDER_STATES:
        raise DomainError(f"Order {order.number} is {order.state}; only a confirmed order is invoiced.",
                          code="not_invoiceable", details={"state": str(order.state)})


def _refuse_billed_otherwise(uow: UnitOfWork, order: SalesOrder) -> None:
    """An order that a module above invoicing bills its own way is not invoiced by hand: each of the
    registry's `invoicing_guards` may refuse it (`finance.plans`: an order with a payment plan is invoiced
    by its installments only, which the plans issue through `issue_invoice`)."""
    for guard in uow.registry.invoicing_guards.values():
        guard(uow, order)


def invoiced_total(session, order_id: int) -> Decimal:
    """The gross amount of the order's invoices that are not cancelled (drafts included)."""
    return Decimal(session.scalar(select(func.coalesce(func.sum(Invoice.total), 0)).where(
        Invoice.sales_order_id == order_id, Invoice.state != InvoiceState.CANCELLED.value)) or 0)


def _has_line_invoices(session, order_id: int) -> bool:
    """Whether an invoice from explicit lines (not cancelled) bills this order."""
    return session.scalar(
        select(func.count()).select_from(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.sales_order_id == order_id, Invoice.state != InvoiceState.CANCELLED.value,
               InvoiceLine.sales_order_line_id.is_(None))) > 0


def issue_invoice(uow: UnitOfWork, *, customer: Customer, order: SalesOrder | None, lines: list[InvoiceLine],
                  invoice_date: date, due_date: date | None = None, post: bool = False) -> Invoice:
    """Number, total and add an invoice of ready lines (the caller checked the rules); `post` posts it
    through the one posting path. The due date is the customer's payment terms unless given. No commit."""
    invoice = Invoice(
        number=next_number(uow.session, "INV", on=invoice_date), customer_id=customer.id,
        sales_order_id=order.id if order is not None else None, state=InvoiceState.DRAFT.value,
        invoice_date=invoice_date,
        due_date=due_date or invoice_date + timedelta(days=customer.payment_terms_days or 0),
        currency=order.currency if order is not None else customer.currency,
        created_by_id=uow.actor_id)
    for index, line in enumerate(lines):
        line.position = index + 1
    invoice.lines = lines
    invoice.untaxed = sum((line.untaxed for line in lines), ZERO)
    invoice.tax = sum((line.tax for line in lines), ZERO)
    invoice.total = invoice.untaxed + invoice.tax
    uow.session.add(invoice)
    if post:
        _post(uow, invoice)
    return invoice


def _explicit_lines(uow: UnitOfWork, lines) -> list[InvoiceLine]:
    """Invoice lines from `{description, product_id?, qty, unit_price, vat_rate}`, checked field by field."""
    if not lines:
        raise InvalidInput({"lines": ["An invoice needs at least one line."]})
    wanted = {line.get("product_id") for line in lines if line.get("product_id") is not None}
    products = {p.id: p for p in uow.session.scalars(select(Product).where(Product.id.in_(wanted)))} if wanted else {}
    errors: dict[str, dict[str, list[str]]] = {}
    made = []
    for index, line in enumerate(lines):
        bad: dict[str, list[str]] = {}
        description = (line.get("description") or "").strip()
        product = products.get(line.get("product_id")) if line.get("product_id") is not None else None
        if line.get("product_id") is not None and product is None:
            bad["product_id"] = [f"No product with id {line.get('product_id')}."]
        elif product is not None and not product.active:
            bad["product_id"] = [f"Product {product.sku} is inactive."]
        if not description:
            if product is None:
                bad["description"] = ["Say what this line bills."]
            else:
                description = product.name
        if len(description) > 200:
            bad["description"] = ["Use at most 200 characters."]
        qty, unit_price, rate = line.get("qty"), line.get("unit_price"), line.get("vat_rate")
        if qty is None or qty <= 0:
            bad["qty"] = ["The quantity must be more than 0."]
        if unit_price is None or unit_price < 0:
            bad["unit_price"] = ["The unit price must be 0 or more (a credit note corrects an invoice)."]
        if rate is None or rate < 0 or rate >= 1:
            bad["vat_rate"] = ["The VAT rate is a fraction from 0 up to 1 (0.13 for 13%)."]
        if bad:
            errors[str(index)] = bad
            continue
        untaxed, tax = line_amounts(qty, unit_price, ZERO, rate)
        made.append(InvoiceLine(product_id=product.id if product else None, product=product, description=description,
                                qty=qty, unit_price=unit_price, discount=ZERO, tax_rate=rate, untaxed=untaxed,
                                tax=tax, total=untaxed + tax))
    if errors:
        raise InvalidInput({"lines": errors})
    if sum((line.total for line in made), ZERO) <= 0:
        raise InvalidInput({"lines": ["The invoice must bill more than 0."]})
    return made


def create_invoice_from_lines(uow: UnitOfWork, data: dict, *, on: date | None = None) -> Invoice:
    """An invoice of explicit lines for a customer, optionally billing one of its orders. An order's
    line invoices count in its invoiced amount like any other of its invoices; they may not bill more
    than the order's amount not invoiced yet (409 `exceeds_order_amount`), and an order with a payment
    plan is billed by its installments only (409 `invoiced_by_payment_plan`)."""
    _authorize(uow, "create")
    order = None
    if data.get("sales_order_id") is not None:
        order = _lock_order(uow, data["sales_order_id"])
        if order is None:
            raise InvalidInput({"sales_order_id": [f"No sales order with id {data['sales_order_id']}."]})
    customer_id = data.get("customer_id")
    if customer_id is None and order is not None:
        customer_id = order.customer_id
    customer = uow.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        raise InvalidInput({"customer_id": [f"No customer with id {customer_id}." if customer_id is not None
                                            else "Name the customer to invoice."]})
    if order is not None and order.customer_id != customer.id:
        raise InvalidInput({"sales_order_id": [f"Order {order.number} belongs to another customer."]})
    lines = _explicit_lines(uow, data.get("lines"))
    if order is not None:
        _refuse_unbillable(order)
        _refuse_billed_otherwise(uow, order)
        left = order.total - invoiced_total(uow.session, order.id)
        total = sum((line.total for line in lines), ZERO)
        if total > left:
            raise DomainError(f"These lines bill {total}, but only {left} of order {order.number} is not invoiced "
                              f"yet.", code="exceeds_order_amount",
                              details={"total": str(total), "not_invoiced": str(left)})
    invoice = issue_invoice(uow, customer=customer, order=order, lines=lines,
                            invoice_date=data.get("invoice_date") or on or clock.today(), post=bool(data.get("post")))
    uow.commit()
    return invoice


def create_invoice(uow: UnitOfWork, data: dict, *, on: date | None = None) -> Invoice:
    """A draft invoice of what the order has shipped and is not invoiced yet (`post`: posted at once);
    with `lines`, an invoice of those explicit lines (`create_invoice_from_lines`).
    The order row is locked, so two clerks cannot bill the same shipment twice. An order with a payment
    plan (409 `invoiced_by_payment_plan`) or billed by explicit lines (409 `invoiced_by_lines`) is not
    invoiced by shipped quantities."""
    if data.get("lines") is not None:
        return create_invoice_from_lines(uow, data, on=on)
    _authorize(uow, "create")
    order_id = data.get("sales_order_id")
    order = _lock_order(uow, order_id)
    if order is None:
        raise InvalidInput({"sales_order_id": [f"No sales order with id {order_id}." if order_id is not None
                                               else "Name the sales order to invoice, or give explicit lines."]})
    _refuse_unbillable(order)
    _refuse_billed_otherwise(uow, order)
    if _has_line_invoices(uow.session, order.id):
        raise DomainError(f"Order {order.number} is billed by invoices of explicit lines; bill the rest the same "
                          f"way.", code="invoiced_by_lines")
    billable = billable_lines(uow.session, order)
    if not billable:
        raise DomainError(f"Order {order.number} has nothing shipped that is not invoiced yet.",
                          code="nothing_to_invoice")
    lines = [
        InvoiceLine(sales_order_line_id=b.line.id, product_id=b.line.product_id,
                    product=b.line.product, qty=b.qty, unit_price=b.line.unit_price, discount=b.line.discount or ZERO,
                    tax_rate=b.line.tax_rate, untaxed=b.untaxed, tax=b.tax, total=b.total)
        for b in billable]
    invoice = issue_invoice(uow, customer=order.customer, order=order, lines=lines,
                            invoice_date=data.get("invoice_date") or on or clock.today(), post=bool(data.get("post")))
    uow.commit()
    return invoice


def _post(uow: UnitOfWork, invoice: Invoice) -> None:
    """The one posting path: the invoice becomes receivable, the order learns it, `InvoicePosted` is announced.
    Only a draft is posted: a paid invoice may fall back to posted when an allocation is undone, but posting
    it again would make it receivable twice (409)."""
    if invoice.state != InvoiceState.DRAFT:
        raise InvalidTransition(f"Invoice {invoice.number} is {invoice.state}; only a draft can be posted.",
                                details={"from": str(invoice.state), "to": InvoiceState.POSTED.value})
    check_transition("invoice", invoice.state, InvoiceState.POSTED, Invoice.TRANSITIONS)
    invoice.move_to(InvoiceState.POSTED)
    invoice.posted_at = utcnow()
    if invoice.sales_order_id is not None:
        crm_services.note_invoiced(uow, invoice.sales_order_id, invoice.total)
    if invoice.id is None:
        uow.session.flush()  # a new invoice posted at once: its id, for the event
    uow.publish(InvoicePosted(invoice_id=invoice.id, number=invoice.number, customer_id=invoice.customer_id,
                              sales_order_id=invoice.sales_order_id, invoice_date=invoice.invoice_date,
                              untaxed=invoice.untaxed, tax=invoice.tax, total=invoice.total))


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
