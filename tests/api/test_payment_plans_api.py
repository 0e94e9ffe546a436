"""Payment plans and invoices from explicit lines through the REST API: field errors that change
nothing, the plan with statuses, acceptance, the 409 codes, data scope and roles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.orders import services as crm
from finance.models import Invoice
from finance.plans.models import PaymentPlan
from tests.conftest import ApiClient, api_as, make_user, ok, uow_for
from tests.finance.builders import build_books, confirmed_order, ship

D = Decimal


def put(api: ApiClient, path, **kw):
    return api._call("put", path, **kw)


@pytest.fixture
def setup(client, db):
    rep = make_user(db, "sales_rep")
    books = build_books(uow_for(db), owner_id=rep.id)
    order = crm.create_order(uow_for(db, rep), {"customer_id": books.customer_id, "requested_date": None, "lines": [
        {"product_id": books.a, "qty": D(3)}, {"product_id": books.b, "qty": D(2)}]})
    return books, order, ApiClient(client, rep), api_as(client, db, "finance")


def test_the_owning_rep_sets_a_plan_and_confirmation_invoices_the_deposit(client, db, setup):
    books, order, sales, finance = setup
    plan = ok(put(sales, f"/sales-orders/{order.id}/payment-plan", json={"installments": [
        {"label": "Deposit", "percent": "30", "trigger": "on_confirmation", "days_after": 7},
        {"label": "Delivery", "percent": 60, "trigger": "on_delivery", "days_after": 30},
        {"label": "Acceptance", "percent": "10", "trigger": "after_acceptance", "days_after": 30}]}))
    assert [(i["amount"], i["status"]) for i in plan["installments"]] == [
        ("15.49", "planned"), ("30.98", "planned"), ("5.16", "planned")]
    assert plan["order_total"] == "51.63"

    ok(sales.post(f"/sales-orders/{order.id}/confirm"))
    got = ok(sales.get(f"/sales-orders/{order.id}/payment-plan"))
    first = got["installments"][0]
    assert (first["status"], first["amount"], first["overdue"]) == ("invoiced", "15.49", False)
    invoice = ok(finance.get(f"/invoices/{first['invoice_id']}"))
    assert (invoice["number"], invoice["total"], invoice["state"]) == (first["invoice_number"], "15.49", "posted")
    assert invoice["lines"][0]["description"].startswith("Deposit: 30% of order")
    assert invoice["lines"][0]["sku"] is None

    listed = ok(finance.get("/payment-installments?status=invoiced"))
    assert [(i["order_number"], i["amount"]) for i in listed["items"]] == [(order.number, "15.49")]
    assert ok(finance.get("/payment-installments?status=planned"))["total"] == 2
    assert sales.get("/payment-installments").status_code == 403

    refused = ok(finance.post("/invoices", json={"sales_order_id": order.id}), 409)
    assert refused["error"]["code"] == "invoiced_by_payment_plan"
    changed = ok(put(finance, f"/sales-orders/{order.id}/payment-plan", json={"template": "50/50"}), 409)
    assert changed["error"]["code"] == "order_already_invoiced"


def test_a_plan_that_does_not_make_100_percent_is_a_422_naming_the_field_and_changes_nothing(client, db, setup):
    _books, order, sales, _finance = setup
    bad = ok(put(sales, f"/sales-orders/{order.id}/payment-plan", json={"installments": [
        {"percent": "30", "trigger": "on_confirmation"}, {"percent": "60", "trigger": "on_delivery"}]}), 422)
    assert "90%" in bad["error"]["fields"]["installments"][0]
    negative = ok(put(sales, f"/sales-orders/{order.id}/payment-plan", json={"installments": [
        {"percent": "-5", "trigger": "on_confirmation"}, {"percent": "105", "trigger": "later"}]}), 422)
    assert set(negative["error"]["fields"]["installments"]) == {"0", "1"}
    assert "trigger" in negative["error"]["fields"]["installments"]["1"]
    empty = ok(put(sales, f"/sales-orders/{order.id}/payment-plan", json={"installments": []}), 422)
    assert "installments" in empty["error"]["fields"]
    unknown = ok(put(sales, f"/sales-orders/{order.id}/payment-plan", json={"template": "99/1"}), 422)
    assert "template" in unknown["error"]["fields"]
    assert db.scalar(select(func.count()).select_from(PaymentPlan)) == 0
    assert sales.get(f"/sales-orders/{order.id}/payment-plan").status_code == 404


def test_acceptance_through_the_api_and_who_may_see_and_change_plans(client, db, setup):
    books, order, sales, finance = setup
    ok(put(sales, f"/sales-orders/{order.id}/payment-plan", json={"template": "30/60/10"}))
    other_rep = api_as(client, db, "sales_rep")
    assert other_rep.get(f"/sales-orders/{order.id}/payment-plan").status_code == 404
    assert put(other_rep, f"/sales-orders/{order.id}/payment-plan", json={"template": "50/50"}).status_code == 404
    warehouse = api_as(client, db, "warehouse")
    assert warehouse.get(f"/sales-orders/{order.id}/payment-plan").status_code == 403
    management = api_as(client, db, "management")
    assert ok(management.get(f"/sales-orders/{order.id}/payment-plan"))["template"] == "30/60/10"
    assert put(management, f"/sales-orders/{order.id}/payment-plan", json={"template": "50/50"}).status_code == 403

    ok(sales.post(f"/sales-orders/{order.id}/confirm"))
    early = ok(finance.post(f"/sales-orders/{order.id}/accept", json={}), 409)
    assert early["error"]["code"] == "not_delivered"
    ship(uow_for(db), order.id, [(books.a, 3), (books.b, 2)])
    accepted = ok(finance.post(f"/sales-orders/{order.id}/accept", json={"accepted_on": "2026-04-01"}))
    assert accepted["accepted_on"] == "2026-04-01"
    assert [i["status"] for i in accepted["installments"]] == ["invoiced"] * 3
    assert accepted["installments"][2]["due_date"] == "2026-05-01"
    totals = db.scalars(select(Invoice.total).where(Invoice.sales_order_id == order.id)).all()
    assert sum(totals) == D("51.63")
    assert ok(finance.post(f"/sales-orders/{order.id}/accept", json={}), 409)["error"]["code"] == "already_accepted"


def test_an_invoice_of_explicit_lines_for_a_customer_rounds_like_the_others_and_posts(client, db, setup):
    books, _order, _sales, finance = setup
    made = ok(finance.post("/invoices", json={"customer_id": books.customer_id, "invoice_date": "2026-03-02",
                                              "post": True, "lines": [
        {"description": "Installation", "qty": "1.5", "unit_price": "80.05", "vat_rate": "0.06"},
        {"description": "Spare part", "product_id": books.b, "qty": 3, "unit_price": "7.77", "vat_rate": "0.13"}]}),
        201)
    # 1.5 x 80.05 = 120.075 -> 120.08, VAT 7.2048 -> 7.20; 23.31, VAT 3.0303 -> 3.03
    assert [(li["untaxed"], li["tax"], li["total"]) for li in made["lines"]] == [
        ("120.08", "7.20", "127.28"), ("23.31", "3.03", "26.34")]
    assert (made["total"], made["state"], made["due_date"]) == ("153.62", "posted", "2026-04-01")
    assert made["number"].startswith("INV-2026-")
    assert made["sales_order_id"] is None


def test_explicit_lines_are_checked_field_by_field_and_nothing_is_created(client, db, setup):
    books, _order, _sales, finance = setup
    bad = ok(finance.post("/invoices", json={"customer_id": books.customer_id, "lines": [
        {"description": "", "qty": "0", "unit_price": "-1", "vat_rate": "1.5"},
        {"description": "Fine", "product_id": 999999, "qty": 1, "unit_price": 1, "vat_rate": "0.13"}]}), 422)
    fields = bad["error"]["fields"]["lines"]
    assert set(fields["0"]) == {"description", "qty", "unit_price", "vat_rate"}
    assert set(fields["1"]) == {"product_id"}
    nobody = ok(finance.post("/invoices", json={"lines": [
        {"description": "x", "qty": 1, "unit_price": 1, "vat_rate": "0.13"}]}), 422)
    assert "customer_id" in nobody["error"]["fields"]
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


def test_explicit_lines_for_an_order_count_against_it_and_stop_its_shipment_invoicing(client, db, setup):
    books, _order, _sales, finance = setup
    order = confirmed_order(uow_for(db), books.customer_id, [(books.a, 2)])  # 22.71
    too_much = ok(finance.post("/invoices", json={"customer_id": books.customer_id, "sales_order_id": order.id,
                                                  "lines": [{"description": "Advance", "qty": 1,
                                                             "unit_price": "25", "vat_rate": "0.13"}]}), 409)
    assert too_much["error"]["code"] == "exceeds_order_amount"
    foreign = ok(finance.post("/invoices", json={"customer_id": books.other_customer_id, "sales_order_id": order.id,
                                                 "lines": [{"description": "Advance", "qty": 1, "unit_price": "5",
                                                            "vat_rate": "0.13"}]}), 422)
    assert "sales_order_id" in foreign["error"]["fields"]
    advance = ok(finance.post("/invoices", json={"sales_order_id": order.id, "post": True, "lines": [
        {"description": "Advance", "qty": 1, "unit_price": "10.00", "vat_rate": "0.13"}]}), 201)
    assert (advance["total"], advance["customer_id"]) == ("11.30", books.customer_id)
    db.refresh(order)
    assert order.invoiced_amount == D("11.30") and order.invoice_status == "partial"

    ship(uow_for(db), order.id, [(books.a, 2)])
    refused = ok(finance.post("/invoices", json={"sales_order_id": order.id}), 409)
    assert refused["error"]["code"] == "invoiced_by_lines"
    rest = ok(finance.post("/invoices", json={"sales_order_id": order.id, "post": True, "lines": [
        {"description": "Balance", "qty": 1, "unit_price": "10.10", "vat_rate": "0.13"}]}), 201)
    assert rest["total"] == "11.41"
    db.refresh(order)
    assert order.invoiced_amount == order.total == D("22.71")
