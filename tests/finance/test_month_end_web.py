"""Month-end in finance's pages: every shipped order invoiced with one button on a chosen date (each order in
its own transaction, the list read again when the button is pressed), and the overdue check run on demand from the credit holds page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core import clock
from core.models import Customer
from finance.models import Invoice
from tests.conftest import make_user, uow_for
from tests.finance.builders import build_books, confirmed_order, invoiced_order, ship
from tests.web.test_forms import csrf_token, sign_in

D = Decimal


def test_invoice_all_bills_every_listed_order_on_the_chosen_date(client, db):
    uow = uow_for(db)
    books = build_books(uow)
    first = confirmed_order(uow, books.customer_id, [(books.a, 10)])
    ship(uow, first.id, [(books.a, 4)])
    second = confirmed_order(uow, books.other_customer_id, [(books.b, 3)])
    ship(uow, second.id, [(books.b, 3)])
    sign_in(client, make_user(db, "finance"))

    page = client.get("/finance/to-invoice").get_data(as_text=True)
    assert "Invoice all 2 orders" in page
    token = csrf_token(client, "/finance/to-invoice")
    refused = client.post("/finance/invoices/all", data={"csrf_token": token, "invoice_date": "31/03/2026",
                                                          "post": "1"}, follow_redirects=True)
    assert "nothing was invoiced" in refused.get_data(as_text=True)
    assert db.scalars(select(Invoice)).all() == []

    done = client.post("/finance/invoices/all", data={"csrf_token": token, "invoice_date": "2026-03-31",
                                                       "post": "1"}, follow_redirects=True)
    invoices = db.scalars(select(Invoice).order_by(Invoice.id)).all()
    assert [(i.sales_order_id, i.invoice_date, i.state, i.total) for i in invoices] == [
        (first.id, date(2026, 3, 31), "posted", D("45.43")), (second.id, date(2026, 3, 31), "posted", D("26.34"))]
    text = done.get_data(as_text=True)
    assert "2 invoices created" in text and "Every shipment is invoiced." in text


def test_invoice_all_reads_the_list_again_so_an_order_billed_meanwhile_is_not_billed_twice(client, db):
    uow = uow_for(db)
    books = build_books(uow)
    first = confirmed_order(uow, books.customer_id, [(books.a, 2)])
    ship(uow, first.id, [(books.a, 2)])
    second = confirmed_order(uow, books.other_customer_id, [(books.b, 1)])
    ship(uow, second.id, [(books.b, 1)])
    user = make_user(db, "finance")
    sign_in(client, user)
    token = csrf_token(client, "/finance/to-invoice")
    # the first order is billed meanwhile by someone else: the list the button acts on is stale
    from finance.invoicing import services as invoicing

    listed = client.get("/finance/to-invoice").get_data(as_text=True)
    assert f'data-order="{first.number}"' in listed
    invoicing.create_invoice(uow_for(db, user), {"sales_order_id": first.id, "post": True})

    client.post("/finance/invoices/all", data={"csrf_token": token, "post": "1"})
    billed = {i.sales_order_id for i in db.scalars(select(Invoice))}
    assert billed == {first.id, second.id}
    assert len(db.scalars(select(Invoice)).all()) == 2  # nothing billed twice


def test_the_overdue_check_runs_from_the_credit_holds_page(client, db):
    uow = uow_for(db)
    books = build_books(uow)
    invoiced_order(uow, books.customer_id, [(books.a, 1)], on=clock.today() - timedelta(days=100))  # due 70 days ago
    rep = make_user(db, "sales_rep")
    sign_in(client, rep)
    assert client.post("/finance/credit-holds/check",
                       data={"csrf_token": csrf_token(client, "/leads/desk")}).status_code == 403
    assert db.get(Customer, books.customer_id).credit_hold is False

    client.post("/logout", data={"csrf_token": csrf_token(client, "/leads/desk")})
    sign_in(client, make_user(db, "finance"))
    token = csrf_token(client, "/finance/credit-holds")
    assert "Check overdue invoices now" in client.get("/finance/credit-holds").get_data(as_text=True)
    answer = client.post("/finance/credit-holds/check", data={"csrf_token": token}, follow_redirects=True)
    assert "1 customers put on credit hold" in answer.get_data(as_text=True)
    assert db.get(Customer, books.customer_id).credit_hold is True
    again = client.post("/finance/credit-holds/check", data={"csrf_token": token}, follow_redirects=True)
    assert "0 customers put on credit hold" in again.get_data(as_text=True)
