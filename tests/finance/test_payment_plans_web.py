"""Payment plans in the web UI: the plan panel on the order page (loaded from finance, crm imports
nothing of it), setting a plan from a template, a refused hand-made plan that changes nothing,
acceptance, the scope of another rep, finance's installment list, and the Chinese labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.orders import services as crm
from finance.plans.models import PaymentPlan
from tests.conftest import make_user, uow_for
from tests.finance.builders import build_books, ship
from tests.web.test_forms import csrf_token, sign_in

D = Decimal


@pytest.fixture
def setting(app, db):
    rep = make_user(db, "sales_rep")
    books = build_books(uow_for(db), owner_id=rep.id)
    order = crm.create_order(uow_for(db, rep), {"customer_id": books.customer_id, "requested_date": None, "lines": [
        {"product_id": books.a, "qty": D(3)}, {"product_id": books.b, "qty": D(2)}]})
    client = app.test_client()
    sign_in(client, rep)
    return rep, books, order, client


def fragment(client, order_id) -> str:
    answer = client.get(f"/finance/payment-plans/fragment?sales_order_id={order_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_owner_sets_a_plan_from_a_template_on_the_order_page_and_sees_the_deposit_invoiced(db, setting):
    rep, books, order, client = setting
    page = client.get(f"/sales-orders/{order.id}").get_data(as_text=True)
    assert f"/finance/payment-plans/fragment?sales_order_id={order.id}" in page
    assert "No payment plan" in fragment(client, order.id)

    token = csrf_token(client, f"/sales-orders/{order.id}")
    saved = client.post(f"/finance/payment-plans/{order.id}", data={"csrf_token": token, "template": "30/60/10"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/sales-orders/{order.id}#payment-plan")
    html = fragment(client, order.id)
    assert html.count('data-status="planned"') == 3 and "15.49" in html and "5.16" in html

    crm.confirm_order(uow_for(db, rep), order.id)
    html = fragment(client, order.id)
    assert 'data-installment="1" data-status="invoiced"' in html and "INV-" in html
    assert "Change the payment plan" not in html  # invoiced: the terms are fixed now


def test_a_hand_made_plan_that_is_not_100_percent_is_refused_with_the_reason_and_nothing_is_saved(db, setting):
    _rep, _books, order, client = setting
    token = csrf_token(client, f"/sales-orders/{order.id}")
    answer = client.post(f"/finance/payment-plans/{order.id}", data={
        "csrf_token": token, "template": "", "label-0": "Deposit", "percent-0": "30", "trigger-0": "on_confirmation",
        "days-0": "7", "percent-1": "60", "trigger-1": "on_delivery", "days-1": "30"}, follow_redirects=True)
    assert "they must make 100%" in answer.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(PaymentPlan)) == 0

    answer = client.post(f"/finance/payment-plans/{order.id}", data={
        "csrf_token": token, "percent-0": "40", "trigger-0": "on_confirmation",
        "percent-1": "60", "trigger-1": "on_delivery", "days-1": "30"}, follow_redirects=True)
    assert "Payment plan saved: 2 installments." in answer.get_data(as_text=True)


def test_acceptance_from_the_panel_and_another_rep_sees_nothing(app, db, setting):
    rep, books, order, client = setting
    token = csrf_token(client, f"/sales-orders/{order.id}")
    client.post(f"/finance/payment-plans/{order.id}", data={"csrf_token": token, "template": "30/60/10"})
    crm.confirm_order(uow_for(db, rep), order.id)
    ship(uow_for(db), order.id, [(books.a, 3), (books.b, 2)])
    assert "Mark accepted by the customer" in fragment(client, order.id)
    client.post(f"/finance/payment-plans/{order.id}/accept", data={"csrf_token": token})
    html = fragment(client, order.id)
    assert html.count('data-status="invoiced"') == 3 and "Accepted by the customer on" in html

    other = app.test_client()
    sign_in(other, make_user(db, "sales_rep"))
    assert other.get(f"/finance/payment-plans/fragment?sales_order_id={order.id}").status_code == 404
    warehouse = app.test_client()
    sign_in(warehouse, make_user(db, "warehouse"))
    assert warehouse.get(f"/finance/payment-plans/fragment?sales_order_id={order.id}").status_code == 403
    assert warehouse.get("/finance/payment-plans/installments").status_code == 403


def test_finance_lists_installments_by_status_and_reads_them_in_chinese(app, db, setting):
    rep, books, order, client = setting
    token = csrf_token(client, f"/sales-orders/{order.id}")
    client.post(f"/finance/payment-plans/{order.id}", data={"csrf_token": token, "template": "50/50"})
    crm.confirm_order(uow_for(db, rep), order.id)
    finance = app.test_client()
    sign_in(finance, make_user(db, "finance"))
    listed = finance.get("/finance/payment-plans/installments?status=invoiced").get_data(as_text=True)
    assert f'data-installment="{order.number}-1"' in listed and f"{order.number}-2" not in listed
    assert f'data-installment="{order.number}-2"' in finance.get(
        "/finance/payment-plans/installments?status=planned").get_data(as_text=True)
    assert "/finance/payment-plans/installments" in finance.get("/").get_data(as_text=True)  # in the menu
    ship(uow_for(db), order.id, [(books.a, 3), (books.b, 2)])
    assert order.number not in finance.get("/finance/to-invoice").get_data(as_text=True)  # billed by its plan

    finance.post("/language", data={"csrf_token": csrf_token(finance, "/"), "locale": "zh_CN"})
    chinese = finance.get(f"/finance/payment-plans/fragment?sales_order_id={order.id}").get_data(as_text=True)
    assert "已开票" in chinese and "交货时" in chinese
