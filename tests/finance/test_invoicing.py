"""Invoices from shipped orders: exact amounts rounded per line, the last part of a line takes what
is left of the order line's own amounts, due dates from payment terms, posting reports back to the
order and the credit exposure moves from unbilled to receivable."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.errors import DomainError, InvalidInput, InvalidTransition
from core.models import Customer
from finance.credit.exposure import credit_status, receivable
from finance.invoicing import services as invoicing
from tests.finance.builders import ON, build_books, confirmed_order, ship

D = Decimal


@pytest.fixture
def books(uow):
    return build_books(uow)


def test_invoice_bills_only_what_shipped_with_vat_rounded_per_line(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 3), (books.b, 2)])
    ship(uow, order.id, [(books.a, 1), (books.b, 2)])
    invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id}, on=ON)

    assert invoice.number == f"INV-{ON.year}-00001"
    assert invoice.state == "draft"
    assert invoice.due_date == ON + timedelta(days=30)
    assert [(line.qty, line.untaxed, line.tax, line.total) for line in invoice.lines] == [
        (D(1), D("10.05"), D("1.31"), D("11.36")),     # 10.05 x 13% = 1.3065 -> 1.31
        (D(2), D("15.54"), D("2.02"), D("17.56"))]     # 15.54 x 13% = 2.0202 -> 2.02
    # per line, not on the sum: 25.59 x 13% would be 3.3267 -> 3.33 as well, so check the lines add up
    assert (invoice.untaxed, invoice.tax, invoice.total) == (D("25.59"), D("3.33"), D("28.92"))

    with pytest.raises(DomainError) as refused:
        invoicing.create_invoice(uow, {"sales_order_id": order.id}, on=ON)
    assert refused.value.code == "nothing_to_invoice"  # the draft already bills the shipment


def test_invoices_of_a_line_shipped_in_parts_add_up_to_the_order_line(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 3)])
    taxes = []
    for _ in range(3):
        ship(uow, order.id, [(books.a, 1)])
        invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True}, on=ON)
        taxes.append(invoice.tax)
    # each piece alone rounds 1.3065 up to 1.31; the line's VAT is 30.15 x 13% = 3.9195 -> 3.92
    assert taxes == [D("1.31"), D("1.31"), D("1.30")]
    db.refresh(order)
    assert order.invoiced_amount == order.total == D("34.07")
    assert order.invoice_status == "invoiced"


def test_posting_moves_the_exposure_from_unbilled_to_receivable(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 3), (books.b, 2)])
    ship(uow, order.id, [(books.a, 1), (books.b, 2)])
    customer = db.get(Customer, books.customer_id)
    before = credit_status(db, customer)
    assert (before.receivable, before.unbilled) == (D(0), order.total)

    invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id}, on=ON)
    assert receivable(db, books.customer_id) == D(0)  # a draft is not receivable yet
    invoicing.post_invoice(uow, invoice.id)

    after = credit_status(db, customer)
    assert after.receivable == D("28.92")
    assert after.unbilled == order.total - D("28.92")
    assert after.exposure == before.exposure
    assert order.invoiced_amount == D("28.92") and order.invoice_status == "partial"

    with pytest.raises(InvalidTransition):
        invoicing.post_invoice(uow, invoice.id)
    with pytest.raises(DomainError) as refused:
        invoicing.discard_invoice(uow, invoice.id)
    assert refused.value.code == "invalid_transition"


def test_a_discarded_draft_gives_its_shipment_back_to_be_invoiced(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 2)])
    ship(uow, order.id, [(books.a, 2)])
    draft = invoicing.create_invoice(uow, {"sales_order_id": order.id}, on=ON)
    invoicing.discard_invoice(uow, draft.id)
    again = invoicing.create_invoice(uow, {"sales_order_id": order.id, "invoice_date": date(2026, 4, 1)})
    assert again.total == draft.total and again.due_date == date(2026, 5, 1)
    assert order.invoiced_amount == D(0)


def test_an_order_without_shipments_or_unknown_is_refused(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 2)])
    with pytest.raises(DomainError) as refused:
        invoicing.create_invoice(uow, {"sales_order_id": order.id}, on=ON)
    assert refused.value.code == "nothing_to_invoice"
    with pytest.raises(InvalidInput) as unknown:
        invoicing.create_invoice(uow, {"sales_order_id": 999999}, on=ON)
    assert "sales_order_id" in unknown.value.fields
