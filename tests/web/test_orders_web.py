"""Thin tests of the sales order pages and the department pages that show what an order set
in motion: entry with the live totals, confirmation, a credit refusal in plain words, finance's
approval, cancellation, the warehouse's stock-and-locks page, and who is refused what."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from sqlalchemy import func, select

from crm.orders import services as crm
from crm.orders.models import SalesOrder
from inventory.models import Reservation
from tests.conftest import make_user, uow_for
from tests.flows.worked_example import build_worked_example, pump_order
from tests.web.test_forms import csrf_token, field_error, sign_in, unique

D = Decimal


def example_for(db, rep, **kwargs):
    return build_worked_example(uow_for(db), prefix=unique("W") + "-", owner_id=rep.id, **kwargs)


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and whitespace squeezed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def active_locks(db, order_id) -> int:
    return db.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.sales_order_id == order_id, Reservation.state == "active"))


def test_a_sales_rep_enters_an_order_sees_the_totals_and_confirms_it(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    pump = example.products["PUMP"]
    sign_in(client, rep)

    form = client.get("/sales-orders/new")
    assert form.status_code == 200
    assert f'<option value="{example.customer_id}"' in form.get_data(as_text=True)
    token = csrf_token(client, "/sales-orders/new")
    lines = {"lines-0-product_id": str(pump), "lines-0-qty": "10", "lines-0-unit_price": "", "lines-0-discount": "",
             "lines-1-product_id": "", "lines-1-qty": "", "lines-1-unit_price": "", "lines-1-discount": ""}

    preview = client.post("/sales-orders/preview", data={"csrf_token": token, **lines},
                          headers={"HX-Request": "true"})
    totals = text_of(preview.get_data(as_text=True))
    assert preview.status_code == 200
    assert "Untaxed 50,000.00" in totals and "Tax 6,500.00" in totals and "Total 56,500.00" in totals
    assert "10 × 5,000.00" in totals  # the empty unit price is the list price

    saved = client.post("/sales-orders/new", data={
        "csrf_token": token, "customer_id": str(example.customer_id), "requested_date": "2026-12-31",
        "warehouse_id": "", "customer_reference": "PO-77", "note": "", "action": "save", **lines})
    assert saved.status_code == 303
    order = db.scalar(select(SalesOrder).where(SalesOrder.customer_id == example.customer_id))
    assert saved.headers["Location"].endswith(f"/sales-orders/{order.id}")
    assert (order.state, order.total, len(order.lines)) == ("draft", D("56500.00"), 1)

    confirmed = client.post(f"/sales-orders/{order.id}/confirm", data={"csrf_token": token}, follow_redirects=True)
    page = text_of(confirmed.get_data(as_text=True))
    assert f"Sales order {order.number} is confirmed" in page
    db.refresh(order)
    assert order.state == "confirmed"
    assert re.search(r'data-line="[^"]*PUMP">.*?<td class="num" data-reserved>2</td>',
                     confirmed.get_data(as_text=True), re.S)

    work_orders = text_of(client.get(f"/production/work-orders/fragment?sales_order_id={order.id}").get_data(as_text=True))
    assert re.search(r"PUMP — Pump 8 pcs Planned 2026-12-28 2026-12-31 order line", work_orders)
    assert re.search(r"HOUSING — Housing 7 pcs Planned 2026-12-26 2026-12-28 component of WO-", work_orders)
    plans = text_of(client.get(f"/purchasing/plans/fragment?sales_order_id={order.id}").get_data(as_text=True))
    assert re.search(r"MOTOR — Motor \S+ — Supplier S1 5 pcs 2026-12-18 2026-12-28 Open", plans)
    assert re.search(r"STEEL — Steel \S+ — Supplier S2 14 pcs 2026-12-19 2026-12-26 Open", plans)


def test_a_bad_line_shows_a_field_error_and_saves_nothing(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    sign_in(client, rep)

    answer = client.post("/sales-orders/new", data={
        "csrf_token": csrf_token(client, "/sales-orders/new"), "customer_id": str(example.customer_id),
        "lines-3-product_id": str(example.products["PUMP"]), "lines-3-qty": "-2", "action": "save"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(html, "lines-3-qty") == "Must be greater than 0."
    assert 'name="lines-3-qty" value="-2"' in html  # the form keeps what was typed
    assert db.scalar(select(func.count()).select_from(SalesOrder)
                     .where(SalesOrder.customer_id == example.customer_id)) == 0


def test_a_draft_is_edited_through_its_form_and_confirmed_orders_are_not(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    uow = uow_for(db)
    order = pump_order(uow, example, 10)
    sign_in(client, rep)
    form = client.get(f"/sales-orders/{order.id}/edit").get_data(as_text=True)
    assert 'name="lines-0-qty" value="10"' in form and 'name="lines-0-unit_price" value="5000"' in form

    answer = client.post(f"/sales-orders/{order.id}/edit", data={
        "csrf_token": csrf_token(client, f"/sales-orders/{order.id}/edit"), "customer_id": str(example.customer_id),
        "requested_date": "2026-12-20", "lines-0-product_id": str(example.products["PUMP"]), "lines-0-qty": "4",
        "lines-0-unit_price": "5000", "lines-0-discount": "0.1", "action": "save"})

    assert answer.status_code == 303
    db.refresh(order)
    assert (order.total, str(order.requested_date), order.lines[0].discount) == (D("20340.00"), "2026-12-20", D("0.1"))
    crm.confirm_order(uow, order.id)
    refused = client.get(f"/sales-orders/{order.id}/edit", follow_redirects=True)
    assert f"Order {order.number} is no longer a draft and cannot be changed." in refused.get_data(as_text=True)


def test_a_credit_refusal_shows_the_limit_the_exposure_and_what_is_missing(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    uow = uow_for(db)
    for qty in (10, 5):
        crm.confirm_order(uow, pump_order(uow, example, qty).id)
    third = pump_order(uow, example, 3)
    sign_in(client, rep)

    answer = client.post(f"/sales-orders/{third.id}/confirm",
                         data={"csrf_token": csrf_token(client, f"/sales-orders/{third.id}")}, follow_redirects=True)

    page = text_of(answer.get_data(as_text=True))
    assert "Not confirmed: the customer's credit limit would be exceeded." in page
    assert ("Credit limit 100,000.00, current exposure 84,750.00, this order 16,950.00: "
            "1,700.00 is missing.") in page
    db.refresh(third)
    assert third.state == "draft" and active_locks(db, third.id) == 0
    credit = text_of(client.get(f"/finance/credit/fragment?customer_id={example.customer_id}").get_data(as_text=True))
    assert "Credit limit 100,000.00" in credit and "Exposure 84,750.00" in credit
    assert "Available credit 15,250.00" in credit
    assert "Approve this order over the credit limit" not in credit  # finance's form, not the rep's


def test_finance_approves_an_order_over_the_limit_and_then_it_confirms(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep, credit_limit=D("20000"))
    order = pump_order(uow_for(db), example, 10)
    finance = make_user(db, "finance")
    sign_in(client, finance)
    page = client.get(f"/finance/credit/fragment?customer_id={example.customer_id}&sales_order_id={order.id}")
    assert "Approve this order over the credit limit" in page.get_data(as_text=True)

    empty = client.post("/finance/credit-approvals", data={
        "csrf_token": csrf_token(client, f"/sales-orders/{order.id}"), "sales_order_id": order.id, "reason": " "},
        follow_redirects=True)
    assert "Give a reason for the approval; nothing was approved." in empty.get_data(as_text=True)
    approved = client.post("/finance/credit-approvals", data={
        "csrf_token": csrf_token(client, f"/sales-orders/{order.id}"), "sales_order_id": order.id,
        "reason": "Prepayment received by wire"}, follow_redirects=True)
    assert "Approved over the credit limit up to 56,500.00." in approved.get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, rep)
    client.post(f"/sales-orders/{order.id}/confirm", data={"csrf_token": csrf_token(client, f"/sales-orders/{order.id}")})
    db.refresh(order)
    assert order.state == "confirmed"


def test_cancelling_a_confirmed_order_releases_its_locks(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    uow = uow_for(db)
    order = crm.confirm_order(uow, pump_order(uow, example, 10).id)
    assert active_locks(db, order.id) > 0
    sign_in(client, rep)
    detail = client.get(f"/sales-orders/{order.id}").get_data(as_text=True)
    assert "Cancel order" in detail

    answer = client.post(f"/sales-orders/{order.id}/cancel", data={"csrf_token": csrf_token(client, "/")},
                         follow_redirects=True)

    assert f"Sales order {order.number} is cancelled" in answer.get_data(as_text=True)
    db.refresh(order)
    assert order.state == "cancelled" and active_locks(db, order.id) == 0


def test_the_stock_and_locks_page_shows_the_balances_and_the_order_holding_the_lock(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    uow = uow_for(db)
    order = crm.confirm_order(uow, pump_order(uow, example, 10).id)
    sku = db.get(SalesOrder, order.id).lines[0].product.sku
    sign_in(client, make_user(db, "warehouse"))

    answer = client.get(f"/inventory/stock?q={sku}")

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert re.search(r"On hand\s*</th>.*?Reserved.*?Available", html, re.S)
    balances = text_of(html.split('id="balances"')[1].split("</table>")[0])
    assert re.search(r"\S+ — \S.* 2 pcs 2 0", balances)  # on hand 2, reserved 2, available 0
    locks = html.split('id="locks"')[1].split("</table>")[0]
    assert f'href="/sales-orders/{order.id}">{order.number}</a>' in locks
    assert "order line" in locks
    motor = client.get(f"/inventory/stock?q={sku.replace('PUMP', 'MOTOR')}").get_data(as_text=True)
    assert order.number in motor and "work order" in motor  # MOTOR is locked by the pump's work order


def test_a_warehouse_user_is_refused_order_entry_but_reads_the_order(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    order = pump_order(uow_for(db), example, 1)
    sign_in(client, make_user(db, "warehouse"))

    assert client.get("/sales-orders/new").status_code == 403
    assert client.post(f"/sales-orders/{order.id}/confirm", data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    detail = client.get(f"/sales-orders/{order.id}")
    assert detail.status_code == 200
    assert "Confirm order" not in detail.get_data(as_text=True)
    menu = client.get("/").get_data(as_text=True)
    assert 'href="/inventory/stock"' in menu and 'href="/sales-orders/new"' not in menu


def test_a_sales_rep_cannot_open_another_reps_order_nor_the_lock_holders(client, db):
    owner = make_user(db, "sales_rep")
    example = example_for(db, owner)
    order = pump_order(uow_for(db), example, 1)
    sign_in(client, make_user(db, "sales_rep"))

    assert client.get(f"/sales-orders/{order.id}").status_code == 404
    assert client.get(f"/inventory/locks/fragment?sales_order_id={order.id}").status_code == 403
    customers = client.get("/sales-orders/new").get_data(as_text=True).split('name="customer_id"')[1].split("</select>")[0]
    assert f'value="{example.customer_id}"' not in customers
