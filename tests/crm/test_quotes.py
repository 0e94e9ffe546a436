"""Quotes: lines priced from the product list, the discount approval threshold, versions, and the
accepted quote becoming a draft sales order with the same lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput, InvalidTransition
from crm.orders.models import SalesOrder
from crm.pipeline import services as pipeline
from crm.quotes import services as quotes
from tests.conftest import make_user, uow_for

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
D = Decimal


def setup(db):
    rep = make_user(db, "sales_rep", team="q")
    product = core_services.create_product(uow_for(db), {"sku": f"PUMP-{rep.id}", "name": "Pump", "kind": "buy",
                                                          "list_price": D("1000")})
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"QC-{rep.id}", "name": "Quote Co"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Pumps"}, now=NOW)
    return rep, product, opportunity


def quote_with(db, rep, product, opportunity, discount="0", **line):
    return quotes.create_quote(uow_for(db, rep), {"opportunity_id": opportunity.id, "lines": [
        {"product_id": product.id, "qty": D("10"), "discount": D(discount), **line}]}, now=NOW)


def test_a_quote_line_is_priced_from_the_product_list_with_its_discount_and_tax(db):
    rep, product, opportunity = setup(db)

    quote = quote_with(db, rep, product, opportunity, discount="0.05")

    line = quote.lines[0]
    assert (quote.label[:8], quote.state, quote.customer_id) == ("QT-2026-", "draft", opportunity.customer_id)
    assert (line.unit_price, line.untaxed, line.tax, line.total) == (D("1000"), D("9500.00"), D("1235.00"),
                                                                     D("10735.00"))
    assert (quote.untaxed, quote.tax, quote.total) == (D("9500.00"), D("1235.00"), D("10735.00"))


def test_a_discount_within_the_threshold_is_approved_on_submit_and_becomes_a_draft_order(db):
    rep, product, opportunity = setup(db)
    quote = quote_with(db, rep, product, opportunity, discount="0.10")

    quotes.submit_quote(uow_for(db, rep), quote.id)
    assert quote.state == "approved"
    quotes.accept_quote(uow_for(db, rep), quote.id, on=date(2026, 11, 23))

    order = db.get(SalesOrder, quote.sales_order_id)
    assert (quote.state, order.state, order.customer_id, order.customer_reference) == (
        "accepted", "draft", quote.customer_id, quote.label)
    assert [(x.product_id, x.qty, x.unit_price, x.discount) for x in order.lines] == [
        (product.id, D("10"), D("1000"), D("0.1"))]
    assert order.total == quote.total


def test_a_discount_over_the_threshold_waits_for_a_manager_and_cannot_be_accepted_before(db):
    rep, product, opportunity = setup(db)
    quote = quote_with(db, rep, product, opportunity, discount="0.25")
    quotes.submit_quote(uow_for(db, rep), quote.id)
    assert quote.state == "pending_approval"
    orders_before = db.scalar(select(func.count()).select_from(SalesOrder))

    with pytest.raises(DomainError) as refused:
        quotes.accept_quote(uow_for(db, rep), quote.id)
    assert (refused.value.status, refused.value.code) == (409, "approval_required")
    with pytest.raises(Forbidden):
        quotes.approve_quote(uow_for(db, rep), quote.id)
    db.refresh(quote)
    assert (quote.state, quote.sales_order_id) == ("pending_approval", None)
    assert db.scalar(select(func.count()).select_from(SalesOrder)) == orders_before

    manager = make_user(db, "sales_manager", team="q")
    quotes.approve_quote(uow_for(db, manager), quote.id, now=NOW)
    assert (quote.state, quote.approved_by_id, quote.approved_at) == ("approved", manager.id, NOW)
    quotes.accept_quote(uow_for(db, rep), quote.id)
    assert quote.sales_order_id is not None


def test_the_manager_sends_a_quote_back_to_draft_and_it_can_be_changed(db):
    rep, product, opportunity = setup(db)
    quote = quote_with(db, rep, product, opportunity, discount="0.30")
    quotes.submit_quote(uow_for(db, rep), quote.id)
    manager = make_user(db, "sales_manager", team="q")

    quotes.send_back_quote(uow_for(db, manager), quote.id)
    quotes.update_quote(uow_for(db, rep), quote.id, {"lines": [{"product_id": product.id, "qty": D("10"),
                                                                "discount": D("0.08")}]})
    quotes.submit_quote(uow_for(db, rep), quote.id)

    assert (quote.state, quote.total) == ("approved", D("10396.00"))


def test_a_new_version_copies_the_lines_and_supersedes_the_old_one(db):
    rep, product, opportunity = setup(db)
    first = quote_with(db, rep, product, opportunity, discount="0.05")
    quotes.submit_quote(uow_for(db, rep), first.id)

    second = quotes.new_version(uow_for(db, rep), first.id, now=NOW)

    assert (first.state, second.state, second.number, second.version) == ("superseded", "draft", first.number, 2)
    assert [(x.product_id, x.qty, x.discount) for x in second.lines] == [(product.id, D("10"), D("0.05"))]
    with pytest.raises(InvalidTransition):
        quotes.accept_quote(uow_for(db, rep), first.id)


def test_an_accepted_quote_cannot_change_and_bad_lines_are_refused(db):
    rep, product, opportunity = setup(db)
    with pytest.raises(InvalidInput) as refused:
        quotes.create_quote(uow_for(db, rep), {"opportunity_id": opportunity.id,
                                               "lines": [{"product_id": 999999, "qty": D("1")}]}, now=NOW)
    assert refused.value.fields == {"lines": {"0": {"product_id": ["No active product with id 999999."]}}}
    quote = quote_with(db, rep, product, opportunity)
    quotes.submit_quote(uow_for(db, rep), quote.id)
    quotes.accept_quote(uow_for(db, rep), quote.id)

    with pytest.raises(DomainError) as locked:
        quotes.update_quote(uow_for(db, rep), quote.id, {"note": "late change"})
    assert locked.value.code == "not_editable"


def test_another_rep_cannot_quote_my_customer(db):
    rep, product, opportunity = setup(db)
    other = make_user(db, "sales_rep")

    from core.errors import NotFound

    with pytest.raises(NotFound):
        quote_with(db, other, product, opportunity)
