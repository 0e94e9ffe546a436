"""The order page's "Mark delivered" button: an order of services only is marked delivered by its sales
rep and becomes shipped and billable; an order with goods still to ship shows no button and is refused
in plain words; a role that may not mark orders delivered is refused."""

from __future__ import annotations

from decimal import Decimal

from core import services as core_services
from crm.orders import services as crm
from finance.invoicing import services as invoicing
from tests.conftest import make_user, uow_for
from tests.finance.builders import ON, build_books
from tests.web.test_forms import csrf_token, sign_in, unique
from tests.web.test_orders_web import text_of

D = Decimal


def setting(db):
    rep = make_user(db, "sales_rep")
    prefix = unique("SW")
    uow = uow_for(db)
    books = build_books(uow, prefix=prefix, owner_id=rep.id)
    install = core_services.create_product(uow, {"sku": f"{prefix}-INSTALL", "name": "Installation",
                                                 "kind": "service", "list_price": D("300"), "tax_rate": D("0.06")})
    return rep, books, install


def confirmed(db, rep, customer_id, lines):
    order = crm.create_order(uow_for(db, rep), {"customer_id": customer_id, "requested_date": None,
                                                "lines": [{"product_id": p, "qty": D(q)} for p, q in lines]}, on=ON)
    return crm.confirm_order(uow_for(db, rep), order.id, on=ON)


def test_a_rep_marks_a_service_only_order_delivered_on_its_page(client, db):
    rep, books, install = setting(db)
    order = confirmed(db, rep, books.customer_id, [(install.id, 1)])
    sign_in(client, rep)
    page = client.get(f"/sales-orders/{order.id}").get_data(as_text=True)
    assert f'action="/sales-orders/{order.id}/deliver"' in page and "Mark delivered" in page
    assert "service: marked delivered when done, no stock" in text_of(page)

    answer = client.post(f"/sales-orders/{order.id}/deliver",
                         data={"csrf_token": csrf_token(client, f"/sales-orders/{order.id}")}, follow_redirects=True)

    assert answer.status_code == 200
    shown = text_of(answer.get_data(as_text=True))
    assert f"Sales order {order.number} is delivered: its services are done and can be invoiced." in shown
    assert "Mark delivered" not in shown
    db.refresh(order)
    assert (order.state, order.lines[0].shipped_qty) == ("shipped", D(1))
    invoice = invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id}, on=ON)
    assert invoice.total == D("318.00")


def test_an_order_with_goods_to_ship_is_refused_in_plain_words(client, db):
    rep, books, install = setting(db)
    order = confirmed(db, rep, books.customer_id, [(books.a, 2), (install.id, 1)])
    sign_in(client, rep)
    page = client.get(f"/sales-orders/{order.id}").get_data(as_text=True)
    assert "Mark delivered" not in page and "service: delivered with the goods, no stock" in text_of(page)

    answer = client.post(f"/sales-orders/{order.id}/deliver",
                         data={"csrf_token": csrf_token(client, f"/sales-orders/{order.id}")}, follow_redirects=True)

    shown = text_of(answer.get_data(as_text=True))
    assert f"Not marked delivered: Order {order.number} still has goods to ship" in shown
    db.refresh(order)
    assert order.state == "confirmed"


def test_the_warehouse_may_not_mark_an_order_delivered(client, db):
    rep, books, install = setting(db)
    order = confirmed(db, rep, books.customer_id, [(install.id, 1)])
    sign_in(client, make_user(db, "warehouse"))

    answer = client.post(f"/sales-orders/{order.id}/deliver", data={"csrf_token": csrf_token(client, "/")})

    assert answer.status_code == 403
    db.refresh(order)
    assert order.state == "confirmed"
