"""Credit notes: a return (goods back in stock) and a price correction reduce the invoice's open
amount, the receivable and the order's invoiced amount; more than is left to credit is refused and
changes nothing; a full credit note cancels the invoice; credit on a paid invoice becomes the
customer's unapplied credit; amounts round to the cent line by line like the invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import DomainError, InvalidInput
from core.models import AuditEntry
from crm.orders.models import SalesOrder
from finance.credit.exposure import credit_status, receivable
from finance.events import CreditNotePosted
from finance.invoicing import credit_notes
from finance.invoicing import services as invoicing
from finance.models import CreditNote, CreditNoteLine, Invoice, Payment, PaymentAllocation
from finance.payments import services as payments
from inventory import services as inventory
from inventory.models import StockMove
from tests.conftest import make_user, uow_for
from tests.finance.builders import ON, build_books, confirmed_order, invoiced_order, ship

D = Decimal


@pytest.fixture
def books(uow):
    return build_books(uow)


def posted_invoice(uow, books, lines):
    return invoiced_order(uow, books.customer_id, lines)


def pay_all(uow, books, invoice):
    payment = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": invoice.total, "date": ON})
    payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice.id, "amount": invoice.total}])
    return payment


def on_hand(db, product_id):
    db.expire_all()
    return inventory.balance_of(db, product_id, inventory.default_warehouse_id(db)).on_hand


def snapshot(db):
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(CreditNote)),
            db.scalar(select(func.count()).select_from(CreditNoteLine)),
            db.scalar(select(func.count()).select_from(PaymentAllocation)),
            db.scalar(select(func.count()).select_from(StockMove)),
            [(i.id, i.state, i.untaxed, i.tax, i.total, i.paid_amount, i.credited_amount)
             for i in db.scalars(select(Invoice).order_by(Invoice.id))],
            [(o.id, o.invoiced_amount, o.credited_amount, o.paid_amount)
             for o in db.scalars(select(SalesOrder).order_by(SalesOrder.id))],
            [(p.id, p.allocated_amount, p.refunded_amount) for p in db.scalars(select(Payment).order_by(Payment.id))])


def test_a_return_credits_the_line_brings_the_goods_back_and_lowers_the_receivable(db, uow, books):
    order, invoice = posted_invoice(uow, books, [(books.a, 10)])  # 100.50 + 13.07 = 113.57
    before = on_hand(db, books.a)
    seen: list = []
    uow.events = uow.events.copy()
    uow.events.subscribe(CreditNotePosted, lambda _uow, event: seen.append(event))
    note = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "return", "reason": "damaged in transit", "credit_date": ON,
        "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(3)}]})
    assert note.number == f"CN-{ON.year}-00001"
    assert (note.untaxed, note.tax, note.total) == (D("30.15"), D("3.92"), D("34.07"))
    assert [(line.qty, line.restocked) for line in note.lines] == [(D(3), True)]
    db.expire_all()
    assert (invoice.state, invoice.total, invoice.credited_amount, invoice.open_amount) == (
        "posted", D("79.50"), D("34.07"), D("79.50"))
    assert invoice.issued_total == D("113.57")
    assert receivable(db, books.customer_id) == D("79.50")
    assert (order.invoiced_amount, order.credited_amount, order.unbilled) == (D("79.50"), D("34.07"), D(0))
    assert credit_status(db, order.customer).exposure == D("79.50")
    assert on_hand(db, books.a) == before + 3
    (event,) = seen
    assert (event.credit_note_id, event.total, event.to_unapplied_credit, event.invoice_cancelled) == (
        note.id, D("34.07"), D(0), False)
    assert event.lines[0].restocked and event.lines[0].qty == D(3)
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "CreditNote", AuditEntry.entity_id == str(note.id)))


def test_a_return_without_restocking_records_the_quantity_only(db, uow, books):
    _order, invoice = posted_invoice(uow, books, [(books.a, 10)])
    before = on_hand(db, books.a)
    note = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "return", "restock": False, "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(2)}]})
    assert [(line.qty, line.restocked) for line in note.lines] == [(D(2), False)]
    assert note.warehouse_id is None
    assert on_hand(db, books.a) == before


def test_a_price_correction_credits_an_untaxed_amount_and_its_vat(db, uow, books):
    order, invoice = posted_invoice(uow, books, [(books.a, 10), (books.b, 4)])  # 113.57 + 35.12 = 148.69
    before = on_hand(db, books.b)
    note = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "price_correction", "lines": [{"invoice_line_id": invoice.lines[1].id, "amount": D("5.00")}]})
    assert (note.untaxed, note.tax, note.total) == (D("5.00"), D("0.65"), D("5.65"))
    assert [(line.qty, line.restocked) for line in note.lines] == [(D(0), False)]
    db.expire_all()
    assert (invoice.total, invoice.open_amount) == (D("143.04"), D("143.04"))
    assert (order.invoiced_amount, order.credited_amount) == (D("143.04"), D("5.65"))
    assert on_hand(db, books.b) == before
    # what is left of the line is its own untaxed amount and VAT
    left = credit_notes.left_to_credit(db, invoice)[invoice.lines[1].id]
    assert (left.qty, left.untaxed, left.tax) == (D(4), D("26.08"), D("3.39"))


def test_more_than_is_left_to_credit_is_refused_and_nothing_changes(db, uow, books):
    _order, invoice = posted_invoice(uow, books, [(books.a, 10)])
    credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "return", "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(8)}]})
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        credit_notes.create_credit_note(uow, invoice.id, {
            "kind": "return", "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(3)}]})
    assert refused.value.code == "over_credit"
    assert "qty" in refused.value.fields["lines"]["0"]
    db.rollback()
    with pytest.raises(DomainError) as refused:
        credit_notes.create_credit_note(uow, invoice.id, {
            "kind": "price_correction", "lines": [{"invoice_line_id": invoice.lines[0].id, "amount": D("20.11")}]})
    assert refused.value.code == "over_credit"
    db.rollback()
    assert snapshot(db) == before


def test_bad_credit_note_input_is_a_field_error_and_changes_nothing(db, uow, books):
    _order, invoice = posted_invoice(uow, books, [(books.a, 10)])
    _other, foreign = posted_invoice(uow, books, [(books.b, 1)])
    before = snapshot(db)
    cases = [
        ({"kind": "gift", "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(1)}]}, "kind"),
        ({"kind": "return", "lines": []}, "lines"),
        ({"kind": "return", "lines": [{"invoice_line_id": foreign.lines[0].id, "qty": D(1)}]}, "lines"),
        ({"kind": "return", "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(0)}]}, "lines"),
        ({"kind": "price_correction", "lines": [{"invoice_line_id": invoice.lines[0].id, "amount": D("1.234")}]},
         "lines"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInput) as refused:
            credit_notes.create_credit_note(uow, invoice.id, data)
        assert field in refused.value.fields
        db.rollback()
    assert snapshot(db) == before


def test_a_draft_invoice_cannot_be_credited(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 2)])
    ship(uow, order.id, [(books.a, 2)])
    draft = invoicing.create_invoice(uow, {"sales_order_id": order.id, "invoice_date": ON})
    with pytest.raises(DomainError) as refused:
        credit_notes.create_credit_note(uow, draft.id, {"kind": "return", "full": True})
    assert refused.value.code == "not_creditable"


def test_a_full_credit_note_cancels_the_invoice_and_its_goods_are_not_billable_again(db, uow, books):
    order, invoice = posted_invoice(uow, books, [(books.a, 10), (books.b, 4)])
    note = credit_notes.create_credit_note(uow, invoice.id, {"kind": "return", "full": True})
    assert note.total == D("148.69")
    db.expire_all()
    assert (invoice.state, invoice.total, invoice.credited_amount, invoice.open_amount) == (
        "cancelled", D(0), D("148.69"), D(0))
    assert receivable(db, books.customer_id) == D(0)
    assert (order.invoiced_amount, order.credited_amount, order.unbilled) == (D(0), D("148.69"), D(0))
    assert invoicing.billable_lines(db, order) == []
    with pytest.raises(DomainError) as refused:
        credit_notes.create_credit_note(uow, invoice.id, {"kind": "price_correction", "full": True})
    assert refused.value.code == "not_creditable"


def test_credit_on_a_paid_invoice_becomes_the_customers_unapplied_credit(db, uow, books):
    order, invoice = posted_invoice(uow, books, [(books.a, 10)])  # 113.57
    payment = pay_all(uow, books, invoice)
    assert (order.payment_status, payment.unapplied) == ("paid", D(0))
    note = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "price_correction", "lines": [{"invoice_line_id": invoice.lines[0].id, "amount": D("10.00")}]})
    assert (note.total, note.to_unapplied_credit) == (D("11.30"), D("11.30"))
    db.expire_all()
    assert (invoice.state, invoice.total, invoice.paid_amount, invoice.open_amount) == (
        "paid", D("102.27"), D("102.27"), D(0))
    assert payment.unapplied == D("11.30")
    # append-only: the allocation was undone by a reversing row and the rest allocated again
    rows = db.scalars(select(PaymentAllocation).order_by(PaymentAllocation.id)).all()
    assert [(r.amount, r.reverses_id) for r in rows] == [
        (D("113.57"), None), (D("-113.57"), rows[0].id), (D("102.27"), None)]
    assert (order.paid_amount, order.credited_amount, order.payment_status) == (D("102.27"), D("11.30"), "paid")
    assert receivable(db, books.customer_id) == D(0)


def test_a_full_credit_of_a_partly_paid_invoice_releases_the_payment_and_cancels_it(db, uow, books):
    order, invoice = posted_invoice(uow, books, [(books.a, 10)])
    payment = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D(50), "date": ON})
    payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice.id, "amount": D(50)}])
    note = credit_notes.create_credit_note(uow, invoice.id, {"kind": "return", "full": True})
    assert (note.total, note.to_unapplied_credit) == (D("113.57"), D(50))
    db.expire_all()
    assert (invoice.state, invoice.paid_amount) == ("cancelled", D(0))
    assert payment.unapplied == D(50)
    assert (order.paid_amount, order.payment_status) == (D(0), "paid")  # nothing is owed any more


def test_credit_notes_round_line_by_line_like_the_invoice(db, uow, books):
    """Three lines at 13% whose VAT rounded per line (0.20 + 0.33 + 0.46 = 0.99 for one of each)
    differs from the VAT of the summed untaxed amount (7.50 x 13% = 0.975 -> 0.98)."""
    products = [core_services.create_product(uow, {"sku": f"R{i}", "name": f"Round {i}", "kind": "buy",
                                                   "list_price": D(price), "tax_rate": D("0.13")}).id
                for i, price in enumerate(("1.50", "2.50", "3.50"))]
    for product_id in products:
        inventory.adjust_stock(uow, {"product_id": product_id, "qty": D(10), "reason": "opening stock"})
    _order, invoice = posted_invoice(uow, books, [(p, 3) for p in products])
    assert (invoice.untaxed, invoice.tax) == (D("22.50"), D("2.94"))  # 0.59 + 0.98 + 1.37, not 2.93
    first = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "return", "lines": [{"invoice_line_id": line.id, "qty": D(1)} for line in invoice.lines]})
    assert [line.tax for line in first.lines] == [D("0.20"), D("0.33"), D("0.46")]
    assert (first.untaxed, first.tax, first.total) == (D("7.50"), D("0.99"), D("8.49"))
    rest = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "return", "lines": [{"invoice_line_id": line.id, "qty": D(2)} for line in invoice.lines]})
    assert [line.tax for line in rest.lines] == [D("0.39"), D("0.65"), D("0.91")]
    assert first.tax + rest.tax == D("2.94")
    assert first.total + rest.total == D("25.44")
    db.expire_all()
    assert (invoice.state, invoice.untaxed, invoice.tax, invoice.total) == ("cancelled", D(0), D(0), D(0))


def test_only_finance_makes_credit_notes(db, books):
    uow = uow_for(db)
    _order, invoice = posted_invoice(uow, books, [(books.a, 1)])
    rep = make_user(db, "sales_rep")
    from core.errors import Forbidden
    with pytest.raises(Forbidden):
        credit_notes.create_credit_note(uow_for(db, rep), invoice.id, {"kind": "return", "full": True})
    note = credit_notes.create_credit_note(uow_for(db, make_user(db, "finance")), invoice.id,
                                           {"kind": "return", "full": True})
    assert note.created_by_id is not None
