"""Credit notes, refunds and the printed invoice through the REST API, and the billing fields sales
reads on the order: invoiced, credited and paid amounts, payment status and the overdue flag."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from tests.conftest import ApiClient, api_as, make_user, ok, uow_for
from tests.finance.builders import build_books, confirmed_order, ship


@pytest.fixture
def setup(client, db):
    rep = make_user(db, "sales_rep")
    uow = uow_for(db)
    books = build_books(uow, owner_id=rep.id)
    return books, uow, api_as(client, db, "finance"), rep


def posted(finance, uow, books, qty_a, *, on):
    order = confirmed_order(uow, books.customer_id, [(books.a, qty_a)])
    ship(uow, order.id, [(books.a, qty_a)])
    invoice = ok(finance.post("/invoices", json={"sales_order_id": order.id, "invoice_date": on, "post": True}), 201)
    return order, invoice


def test_a_credit_note_through_the_api_lowers_the_invoice_and_the_order(client, db, setup):
    books, uow, finance, _rep = setup
    order, invoice = posted(finance, uow, books, 10, on=clock.today().isoformat())  # 113.57
    line_id = invoice["lines"][0]["id"]
    note = ok(finance.post(f"/invoices/{invoice['id']}/credit-notes", json={
        "kind": "return", "lines": [{"invoice_line_id": line_id, "qty": "3"}], "reason": "damaged"}), 201)
    assert (note["number"][:3], note["untaxed"], note["tax"], note["total"]) == ("CN-", "30.15", "3.92", "34.07")
    assert (note["invoice_state"], note["invoice_open_amount"], note["lines"][0]["restocked"]) == (
        "posted", "79.50", True)
    now = ok(finance.get(f"/invoices/{invoice['id']}"))
    assert (now["total"], now["credited_amount"], now["issued_total"]) == ("79.50", "34.07", "113.57")
    assert ok(finance.get(f"/credit-notes/{note['id']}"))["number"] == note["number"]
    assert [n["id"] for n in ok(finance.get(f"/invoices/{invoice['id']}/credit-notes"))] == [note["id"]]
    order_now = ok(finance.get(f"/sales-orders/{order.id}"))
    assert (order_now["invoiced_amount"], order_now["credited_amount"], order_now["paid_amount"]) == (
        "79.50", "34.07", "0.00")
    assert ok(finance.get(f"/customers/{books.customer_id}/summary"))["receivable"] == "79.50"


def test_over_credit_and_bad_input_are_refused_and_nothing_changes(client, db, setup):
    books, uow, finance, _rep = setup
    _order, invoice = posted(finance, uow, books, 2, on=clock.today().isoformat())
    line_id = invoice["lines"][0]["id"]
    over = finance.post(f"/invoices/{invoice['id']}/credit-notes", json={
        "kind": "return", "lines": [{"invoice_line_id": line_id, "qty": "3"}]})
    assert over.status_code == 409
    assert over.get_json()["error"]["code"] == "over_credit"
    assert "qty" in over.get_json()["error"]["fields"]["lines"]["0"]
    bad = finance.post(f"/invoices/{invoice['id']}/credit-notes", json={"kind": "refund", "lines": []})
    assert bad.status_code == 422 and "kind" in bad.get_json()["error"]["fields"]
    assert finance.post("/invoices/999999/credit-notes", json={"kind": "return", "full": True}).status_code == 404
    assert ok(finance.get(f"/invoices/{invoice['id']}/credit-notes")) == []
    assert ok(finance.get(f"/invoices/{invoice['id']}"))["total"] == invoice["total"]
    full = ok(finance.post(f"/invoices/{invoice['id']}/credit-notes", json={"kind": "price_correction",
                                                                            "full": True}), 201)
    assert (full["total"], full["invoice_state"]) == (invoice["total"], "cancelled")


def test_paid_invoice_credit_is_refunded_and_over_refund_refused(client, db, setup):
    books, uow, finance, _rep = setup
    _order, invoice = posted(finance, uow, books, 10, on=clock.today().isoformat())
    payment = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "120.00",
                                                 "date": clock.today().isoformat()}), 201)
    ok(finance.post(f"/payments/{payment['id']}/allocate", json={"auto": True}))
    ok(finance.post(f"/invoices/{invoice['id']}/credit-notes", json={
        "kind": "price_correction", "lines": [{"invoice_line_id": invoice["lines"][0]["id"], "amount": "10.00"}]}),
       201)
    credit = ok(finance.get(f"/customers/{books.customer_id}/refunds"))
    assert (credit["unapplied_credit"], credit["items"]) == ("17.73", [])  # 6.43 overpaid + 11.30 credited
    over = finance.post(f"/customers/{books.customer_id}/refunds", json={"amount": "17.74"})
    assert over.status_code == 409 and over.get_json()["error"]["code"] == "over_refund"
    refund = ok(finance.post(f"/customers/{books.customer_id}/refunds", json={
        "amount": "17.73", "method": "bank_transfer", "reference": "back to the customer"}), 201)
    assert (refund["amount"], refund["parts"][0]["payment_id"]) == ("17.73", payment["id"])
    assert ok(finance.get(f"/customers/{books.customer_id}/refunds"))["unapplied_credit"] == "0.00"
    undo = ok(finance.post(f"/refunds/{refund['id']}/undo"), 201)
    assert (undo["amount"], undo["reverses_id"]) == ("-17.73", refund["id"])
    assert finance.post(f"/refunds/{refund['id']}/undo").status_code == 409
    paid = ok(finance.get(f"/payments/{payment['id']}"))
    assert (paid["unapplied"], paid["refunded_amount"]) == ("17.73", "0.00")


def test_the_order_tells_sales_what_was_invoiced_and_paid_and_whether_it_is_overdue(client, db, setup):
    books, uow, finance, rep = setup
    sales = ApiClient(client, rep)
    long_ago = (clock.today() - timedelta(days=45)).isoformat()  # due 30 days later: overdue now
    order, invoice = posted(finance, uow, books, 10, on=long_ago)
    seen = ok(sales.get(f"/sales-orders/{order.id}"))
    assert (seen["invoiced_amount"], seen["paid_amount"], seen["payment_status"], seen["invoice_status"]) == (
        "113.57", "0.00", "unpaid", "invoiced")
    assert (seen["overdue"], seen["overdue_amount"]) == (True, "113.57")
    payment = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "50.00"}), 201)
    ok(finance.post(f"/payments/{payment['id']}/allocate", json={"auto": True}))
    seen = ok(sales.get(f"/sales-orders/{order.id}"))
    assert (seen["paid_amount"], seen["payment_status"], seen["overdue"], seen["overdue_amount"]) == (
        "50.00", "partial", True, "63.57")
    rest = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "63.57"}), 201)
    ok(finance.post(f"/payments/{rest['id']}/allocate", json={"auto": True}))
    seen = ok(sales.get(f"/sales-orders/{order.id}"))
    assert (seen["payment_status"], seen["overdue"], seen["overdue_amount"]) == ("paid", False, "0.00")
    listed = ok(sales.get("/sales-orders"))["items"]
    assert [(o["invoiced_amount"], o["paid_amount"]) for o in listed if o["id"] == order.id] == [("113.57", "113.57")]


def test_sales_cannot_credit_or_refund(client, db, setup):
    books, uow, finance, rep = setup
    _order, invoice = posted(finance, uow, books, 1, on=clock.today().isoformat())
    sales = ApiClient(client, rep)
    assert sales.post(f"/invoices/{invoice['id']}/credit-notes", json={"kind": "return", "full": True}).status_code \
        == 403
    assert sales.post(f"/customers/{books.customer_id}/refunds", json={"amount": "1.00"}).status_code == 403


def test_the_invoice_pdf_is_served(client, db, setup):
    books, uow, finance, _rep = setup
    _order, invoice = posted(finance, uow, books, 1, on=clock.today().isoformat())
    answer = finance.get(f"/invoices/{invoice['id']}/pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF-")
