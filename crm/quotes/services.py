"""Quote services: the only code that changes quotes.

A quote belongs to an opportunity's customer and follows the customer's data scope. Lines are priced
from the product list unless a price is given; a line discount above the policy's threshold sends the
submitted quote to a sales manager for approval. The accepted quote becomes a draft sales order with the
same lines (through `crm.orders.services.create_order`, in the same transaction)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.db import utcnow
from core.errors import Forbidden, InvalidInput
from core.models import Contact, Customer, Product
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.orders import services as orders
from crm.pipeline.models import Opportunity
from crm.pipeline.services import get_opportunity
from crm.policy import lead_policy
from crm.quotes import documents
from crm.quotes.models import Quote

RESOURCE = "quote"


def _authorize(uow: UnitOfWork, action: str, quote: Quote | None = None) -> None:
    uow.authorize(action, RESOURCE, quote)


def get_quote(uow: UnitOfWork, quote_id: int, *, for_update: bool = False) -> Quote:
    quote = uow.get(Quote, quote_id, "quote", for_update=for_update)
    _authorize(uow, "read", quote)
    return quote


def _lines(uow: UnitOfWork, lines: list[dict]) -> list[tuple[Product, Decimal, Decimal | None, Decimal]]:
    """The products of the lines (`QuoteLineInputSchema`'s, one or more as the quote schemas require),
    each an active product."""
    wanted = {line["product_id"] for line in lines}
    products = {p.id: p for p in uow.session.scalars(select(Product).where(Product.id.in_(wanted)))}
    errors: dict[str, dict[str, list[str]]] = {}
    for index, line in enumerate(lines):
        product = products.get(line["product_id"])
        if product is None or not product.active:
            errors[str(index)] = {"product_id": [f"No active product with id {line['product_id']}."]}
    if errors:
        raise InvalidInput({"lines": errors})
    return [(products[line["product_id"]], line["qty"], line.get("unit_price"), line.get("discount") or Decimal(0))
            for line in lines]


def create_quote(uow: UnitOfWork, data: dict[str, Any], *, now: datetime | None = None) -> Quote:
    """Version 1 of a new quote for an open opportunity (or directly for a customer)."""
    _authorize(uow, "create")
    now = now or utcnow()
    if data.get("opportunity_id"):
        opportunity = get_opportunity(uow, data["opportunity_id"])
        if opportunity.state != "open":
            raise InvalidInput({"opportunity_id": [f"Opportunity {opportunity.number} is {opportunity.state}."]})
        customer = opportunity.customer
    else:
        customer = uow.session.get(Customer, data.get("customer_id")) if data.get("customer_id") else None
        if customer is None or not uow.in_scope("read", "customer", customer):
            raise InvalidInput({"customer_id": ["Give an opportunity or a customer you may see."]})
    if not uow.in_scope("update", "customer", customer):
        raise Forbidden("You may only quote your own customers.")
    quote = Quote(number=next_number(uow.session, "QT", on=now.date()), version=1, customer_id=customer.id,
                  customer=customer, opportunity_id=data.get("opportunity_id"), state="draft",
                  valid_until=data.get("valid_until"), currency=customer.currency, note=data.get("note"),
                  created_by_id=uow.actor_id, created_at=now)
    quote.set_lines(_lines(uow, data["lines"]))
    uow.session.add(quote)
    uow.commit()
    return quote


def update_quote(uow: UnitOfWork, quote_id: int, data: dict[str, Any]) -> Quote:
    quote = get_quote(uow, quote_id, for_update=True)
    _authorize(uow, "update", quote)
    quote.ensure_draft()
    for key in ("valid_until", "note"):
        if key in data:
            setattr(quote, key, data[key])
    if "lines" in data:
        quote.set_lines(_lines(uow, data["lines"]))
    uow.commit()
    return quote


def submit_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    """Ready the draft for the customer: approved at once, or waiting for a manager when a discount
    is above the threshold."""
    quote = get_quote(uow, quote_id, for_update=True)
    _authorize(uow, "update", quote)
    quote.submit(threshold=lead_policy(uow).discount_approval_threshold)
    uow.commit()
    return quote


def approve_quote(uow: UnitOfWork, quote_id: int, *, now: datetime | None = None) -> Quote:
    quote = get_quote(uow, quote_id, for_update=True)
    uow.authorize("update", "quote_approval")
    _authorize(uow, "read", quote)
    quote.approve(by=uow.actor_id, at=now or utcnow())
    uow.commit()
    return quote


def send_back_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    """The manager does not approve: the quote is a draft again."""
    quote = get_quote(uow, quote_id, for_update=True)
    uow.authorize("update", "quote_approval")
    quote.send_back()
    uow.commit()
    return quote


def accept_quote(uow: UnitOfWork, quote_id: int, *, on: date | None = None) -> Quote:
    """The customer accepted: a draft sales order with the same lines, prices and discounts."""
    quote = get_quote(uow, quote_id, for_update=True)
    _authorize(uow, "update", quote)
    quote.ensure_acceptable()  # approval first: nothing is created for a quote that may not be accepted
    with uow.batch():
        order = orders.create_order(uow, {
            "customer_id": quote.customer_id, "customer_reference": quote.label,
            "note": f"From quote {quote.label}",
            "lines": [{"product_id": line.product_id, "qty": line.qty, "unit_price": line.unit_price,
                       "discount": line.discount} for line in quote.lines]}, on=on)
        quote.accept(sales_order_id=order.id)
    uow.commit()
    return quote


def reject_quote(uow: UnitOfWork, quote_id: int) -> Quote:
    quote = get_quote(uow, quote_id, for_update=True)
    _authorize(uow, "update", quote)
    quote.reject()
    uow.commit()
    return quote


def new_version(uow: UnitOfWork, quote_id: int, *, now: datetime | None = None) -> Quote:
    """A new draft version with the same lines; the old version is superseded."""
    old = get_quote(uow, quote_id, for_update=True)
    _authorize(uow, "update", old)
    old.supersede()
    quote = Quote(number=old.number, version=old.version + 1, customer_id=old.customer_id, customer=old.customer,
                  opportunity_id=old.opportunity_id, state="draft", valid_until=old.valid_until,
                  currency=old.currency, note=old.note, created_by_id=uow.actor_id,
                  created_at=now or utcnow())
    quote.set_lines([(line.product, line.qty, line.unit_price, line.discount) for line in old.lines])
    uow.session.add(quote)
    uow.commit()
    return quote


def print_quote(uow: UnitOfWork, quote_id: int, *, company: str | None = None) -> tuple[str, bytes]:
    """The quote as a PDF in Chinese and English: (file name, bytes). Whoever may read it may print it."""
    quote = get_quote(uow, quote_id)
    opportunity = uow.session.get(Opportunity, quote.opportunity_id) if quote.opportunity_id else None
    contact = uow.session.get(Contact, opportunity.contact_id) if opportunity and opportunity.contact_id else None
    data = documents.QuoteData(
        number=quote.number, version=quote.version, state=documents.STATE_LABELS.get(quote.state, quote.state),
        quote_date=quote.created_at.date(), valid_until=quote.valid_until, customer_code=quote.customer.code,
        customer_name=quote.customer.name, contact=contact.name if contact else "",
        opportunity=f"{opportunity.number} — {opportunity.name}" if opportunity else "", currency=quote.currency,
        untaxed=quote.untaxed, tax=quote.tax, total=quote.total, note=quote.note,
        company=company or documents.pdf.DEFAULT_COMPANY,
        lines=[documents.QuoteLineData(position=line.position, sku=line.product.sku, name=line.product.name,
                                       uom=line.product.uom, qty=line.qty, unit_price=line.unit_price,
                                       discount=line.discount, untaxed=line.untaxed, tax_rate=line.tax_rate,
                                       total=line.total) for line in quote.lines])
    return f"{quote.number}-v{quote.version}.pdf", documents.render_quote(data)
