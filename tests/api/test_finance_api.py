"""Finance through the REST API: invoices from shipped orders, payments and their allocation (manual,
auto, undo), refusals that change nothing, aging with a fixed `as_of`, the customer summary and the
payment status that sales reads on the order; roles."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import ApiClient, api_as, make_user, ok, uow_for
from tests.finance.builders import build_books, confirmed_order, ship


@pytest.fixture
def setup(client, db):
    rep = make_user(db, "sales_rep")
    uow = uow_for(db)
    books = build_books(uow, credit_limit=500, owner_id=rep.id)
    return books, uow, api_as(client, db, "finance"), rep


def invoice_shipped(finance, uow, books, qty_a, qty_b=0, *, on="2026-01-10"):
    lines = [(books.a, qty_a)] + ([(books.b, qty_b)] if qty_b else [])
    order = confirmed_order(uow, books.customer_id, lines)
    ship(uow, order.id, lines)
    invoice = ok(finance.post("/invoices", json={"sales_order_id": order.id, "invoice_date": on}), 201)
    return order, invoice


def test_finance_invoices_a_shipment_and_posts_it(client, db, setup):
    books, uow, finance, _rep = setup
    order = confirmed_order(uow, books.customer_id, [(books.a, 3), (books.b, 2)])
    ship(uow, order.id, [(books.a, 1), (books.b, 2)])
    made = ok(finance.post("/invoices", json={"sales_order_id": order.id, "invoice_date": "2026-03-02"}), 201)
    assert (made["number"], made["state"], made["due_date"]) == ("INV-2026-00001", "draft", "2026-04-01")
    assert (made["untaxed"], made["tax"], made["total"]) == ("25.59", "3.33", "28.92")
    assert [(li["qty"], li["untaxed"], li["tax"], li["total"]) for li in made["lines"]] == [
        ("1.0000", "10.05", "1.31", "11.36"), ("2.0000", "15.54", "2.02", "17.56")]

    posted = ok(finance.post(f"/invoices/{made['id']}/post"))
    assert (posted["state"], posted["open_amount"]) == ("posted", "28.92")
    assert finance.post(f"/invoices/{made['id']}/post").status_code == 409
    assert finance.post(f"/invoices/{made['id']}/cancel").status_code == 409
    again = finance.post("/invoices", json={"sales_order_id": order.id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "nothing_to_invoice"
    unknown = finance.post("/invoices", json={"sales_order_id": 999999})
    assert unknown.status_code == 422 and "sales_order_id" in unknown.get_json()["error"]["fields"]

    listed = ok(finance.get(f"/invoices?sales_order_id={order.id}&state=open"))
    assert [i["number"] for i in listed["items"]] == ["INV-2026-00001"]
    assert ok(finance.get(f"/invoices/{made['id']}"))["total"] == "28.92"


def test_payment_partial_then_overpaid_then_applied_later_and_sales_sees_the_status(client, db, setup):
    books, uow, finance, rep = setup
    owner = ApiClient(client, rep)  # the customer's sales rep
    order, invoice = invoice_shipped(finance, uow, books, 10)  # 113.57
    ok(finance.post(f"/invoices/{invoice['id']}/post"))

    payment = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "50",
                                                 "date": "2026-01-20", "method": "bank_transfer",
                                                 "reference": "wire 1"}), 201)
    assert (payment["number"], payment["unapplied"]) == ("PAY-2026-00001", "50.00")
    result = ok(finance.post(f"/payments/{payment['id']}/allocate",
                             json={"allocations": [{"invoice_id": invoice["id"], "amount": "50"}]}))
    assert result["payment"]["unapplied"] == "0.00"
    seen = ok(owner.get(f"/sales-orders/{order.id}"))
    assert (seen["payment_status"], seen["invoice_status"]) == ("partial", "invoiced")

    over = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "100.00",
                                              "date": "2026-01-25", "reference": "rest"}), 201)
    auto = ok(finance.post(f"/payments/{over['id']}/allocate", json={"auto": True}))
    assert [(a["invoice_number"], a["amount"]) for a in auto["allocations"]] == [(invoice["number"], "63.57")]
    assert auto["payment"]["unapplied"] == "36.43"
    assert ok(owner.get(f"/sales-orders/{order.id}"))["payment_status"] == "paid"

    order2, second = invoice_shipped(finance, uow, books, 2)  # 22.71
    ok(finance.post(f"/invoices/{second['id']}/post"))
    later = ok(finance.post(f"/payments/{over['id']}/allocate", json={"auto": True}))
    assert later["payment"]["unapplied"] == "13.72"
    assert ok(finance.get(f"/invoices/{second['id']}"))["state"] == "paid"

    undo_id = later["allocations"][0]["id"]
    reversal = ok(finance.post(f"/payments/{over['id']}/allocations/{undo_id}/undo"), 201)
    assert (reversal["amount"], reversal["reverses_id"]) == ("-22.71", undo_id)
    assert ok(owner.get(f"/sales-orders/{order2.id}"))["payment_status"] == "unpaid"
    assert finance.post(f"/payments/{over['id']}/allocations/{undo_id}/undo").status_code == 409
    assert ok(finance.get(f"/payments/{over['id']}"))["unapplied"] == "36.43"
    assert [p["number"] for p in ok(finance.get("/payments?unapplied=true"))["items"]] == [over["number"]]


def test_bad_payments_and_over_allocations_are_refused_and_change_nothing(client, db, setup):
    books, uow, finance, _rep = setup
    _order, invoice = invoice_shipped(finance, uow, books, 1)  # 11.36
    ok(finance.post(f"/invoices/{invoice['id']}/post"))
    for amount in ("0", "-10", "abc"):
        refused = finance.post("/payments", json={"customer_id": books.customer_id, "amount": amount})
        assert refused.status_code == 422 and "amount" in refused.get_json()["error"]["fields"], amount
    assert ok(finance.get("/payments"))["total"] == 0

    payment = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "20"}), 201)
    too_much_for_invoice = finance.post(f"/payments/{payment['id']}/allocate",
                                        json={"allocations": [{"invoice_id": invoice["id"], "amount": "12"}]})
    assert too_much_for_invoice.status_code == 409
    assert too_much_for_invoice.get_json()["error"]["code"] == "over_allocation"
    assert "allocations" in too_much_for_invoice.get_json()["error"]["fields"]
    negative = finance.post(f"/payments/{payment['id']}/allocate",
                            json={"allocations": [{"invoice_id": invoice["id"], "amount": "-1"}]})
    assert negative.status_code == 422
    after = ok(finance.get(f"/payments/{payment['id']}"))
    assert (after["unapplied"], after["allocations"]) == ("20.00", [])
    assert ok(finance.get(f"/invoices/{invoice['id']}"))["paid_amount"] == "0.00"


def test_aging_buckets_on_a_fixed_day(client, db, setup):
    books, uow, finance, _rep = setup
    # 30-day terms: due 2026-01-10 + 30 = 02-09, and so on
    for on in ("2026-01-10", "2025-12-01", "2025-10-20", "2025-08-01", "2026-03-01"):
        _order, invoice = invoice_shipped(finance, uow, books, 1, on=on)  # 11.36 each
        ok(finance.post(f"/invoices/{invoice['id']}/post"))
    aging = ok(finance.get("/receivables/aging?as_of=2026-03-05"))
    assert aging["as_of"] == "2026-03-05"
    (row,) = aging["items"]
    # due 02-09: 24 days late; 12-31: 64; 11-19: 106; 08-31: 186; 03-31: not yet due
    assert {k: row[k] for k in ("current", "1_30", "31_60", "61_90", "over_90", "total")} == {
        "current": "11.36", "1_30": "11.36", "31_60": "0.00", "61_90": "11.36", "over_90": "22.72",
        "total": "56.80"}
    assert aging["totals"]["total"] == "56.80"
    earlier = ok(finance.get("/receivables/aging?as_of=2026-02-01"))  # the March invoice did not exist yet
    assert earlier["items"][0]["total"] == "45.44"
    rep_answer = api_as(client, db, "sales_rep").get("/receivables/aging")
    assert rep_answer.status_code == 403


def test_customer_summary_numbers(client, db, setup):
    books, uow, finance, rep = setup
    order, invoice = invoice_shipped(finance, uow, books, 3, 2)  # order 34.07 + 17.56 = 51.63 gross
    ok(finance.post(f"/invoices/{invoice['id']}/post"))        # invoices all of it: 51.63
    other = confirmed_order(uow, books.customer_id, [(books.a, 1)])  # 11.36 unbilled
    payment = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": "60",
                                                 "date": "2026-01-15"}), 201)
    ok(finance.post(f"/payments/{payment['id']}/allocate",
                    json={"allocations": [{"invoice_id": invoice["id"], "amount": "20"}]}))

    summary = ok(ApiClient(client, rep).get(f"/customers/{books.customer_id}/summary"))
    assert {k: summary[k] for k in ("receivable", "unbilled", "exposure", "credit_limit", "available_credit",
                                    "overdue", "unapplied_credit")} == {
        "receivable": "31.63", "unbilled": "11.36", "exposure": "42.99", "credit_limit": "500.00",
        "available_credit": "457.01", "overdue": "31.63",  # due 2026-02-09, long past
        "unapplied_credit": "40.00"}
    by_number = {o["number"]: o for o in summary["orders"]}
    assert {k: by_number[order.number][k] for k in ("state", "shipment_status", "payment_status")} == {
        "state": "shipped", "shipment_status": "shipped", "payment_status": "partial"}
    assert (by_number[other.number]["shipment_status"], by_number[other.number]["payment_status"]) == (
        "none", "unpaid")
    outsider = api_as(client, db, "sales_rep").get(f"/customers/{books.customer_id}/summary")
    assert outsider.status_code == 404  # another rep's customer is hidden
    assert api_as(client, db, "sales_rep").post("/payments", json={
        "customer_id": books.customer_id, "amount": "1"}).status_code == 403


def test_invoices_due_on_the_invoice_date_plus_terms_for_another_customer(client, db, setup):
    books, uow, finance, _rep = setup
    order = confirmed_order(uow, books.other_customer_id, [(books.b, 1)])
    ship(uow, order.id, [(books.b, 1)])
    made = ok(finance.post("/invoices", json={"sales_order_id": order.id, "invoice_date": "2026-01-31",
                                              "post": True}), 201)
    assert (made["state"], made["due_date"]) == ("posted", str(date(2026, 4, 1)))  # 60 days
