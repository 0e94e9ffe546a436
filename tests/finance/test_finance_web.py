"""Finance's pages: invoice a shipped order, record a payment, allocate it by hand (a refusal changes
nothing) and automatically, undo, the receivables filters and the aging table; sales cannot get in."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from finance.models import Invoice, Payment
from tests.conftest import make_user, uow_for
from tests.finance.builders import build_books, confirmed_order, ship
from tests.web.test_forms import csrf_token, sign_in

D = Decimal


def test_finance_invoices_a_shipment_and_collects_it_through_the_pages(client, db):
    uow = uow_for(db)
    books = build_books(uow)
    order = confirmed_order(uow, books.customer_id, [(books.a, 10)])
    ship(uow, order.id, [(books.a, 4)])
    sign_in(client, make_user(db, "finance"))

    page = client.get("/finance/to-invoice").get_data(as_text=True)
    assert f'data-order="{order.number}"' in page and "45.43" in page  # 40.20 + 5.23 VAT
    token = csrf_token(client, "/finance/to-invoice")
    created = client.post("/finance/invoices", data={"csrf_token": token, "sales_order_id": order.id, "post": "1"})
    assert created.status_code == 303
    invoice = db.scalars(select(Invoice)).one()
    assert (invoice.state, invoice.total) == ("posted", D("45.43"))
    assert f'data-order="{order.number}"' not in client.get("/finance/to-invoice").get_data(as_text=True)

    refused = client.post("/finance/payments", data={"csrf_token": token, "customer_id": books.customer_id,
                                                     "amount": "0", "date": "2026-03-05"})
    assert refused.status_code == 422 and "more than zero" in refused.get_data(as_text=True)
    assert db.scalars(select(Payment)).all() == []
    recorded = client.post("/finance/payments", data={"csrf_token": token, "customer_id": books.customer_id,
                                                      "amount": "60", "date": "2026-03-05", "method": "cash",
                                                      "reference": ""})
    assert recorded.status_code == 303
    payment = db.scalars(select(Payment)).one()

    detail = client.get(recorded.headers["Location"]).get_data(as_text=True)
    assert f'name="amount-{invoice.id}"' in detail
    too_much = client.post(f"/finance/payments/{payment.id}/allocate",
                           data={"csrf_token": token, f"amount-{invoice.id}": "50"}, follow_redirects=True)
    assert "only 45.43 open" in too_much.get_data(as_text=True)
    db.refresh(payment)
    assert payment.allocated_amount == D(0)

    client.post(f"/finance/payments/{payment.id}/allocate", data={"csrf_token": token, f"amount-{invoice.id}": "20"})
    client.post(f"/finance/payments/{payment.id}/allocate", data={"csrf_token": token, "auto": "1"})
    db.refresh(invoice)
    db.refresh(payment)
    assert (invoice.state, payment.unapplied) == ("paid", D("14.57"))

    first = payment.allocations[0]
    client.post(f"/finance/payments/{payment.id}/allocations/{first.id}/undo", data={"csrf_token": token})
    db.refresh(invoice)
    assert (invoice.state, invoice.open_amount) == ("partially_paid", D("20.00"))
    detail = client.get(f"/finance/payments/{payment.id}").get_data(as_text=True)
    assert "undone" in detail and "reverses an allocation" in detail

    listed = client.get("/finance/receivables?state=open").get_data(as_text=True)
    assert f'data-invoice="{invoice.number}"' in listed
    assert f'data-invoice="{invoice.number}"' not in client.get("/finance/receivables?state=paid").get_data(
        as_text=True)
    aging = client.get(f"/finance/aging?as_of={invoice.due_date + timedelta(days=31)}").get_data(as_text=True)
    row = re.search(r'data-customer="FC1">(.*?)</tr>', aging, re.S).group(1)
    assert re.findall(r'data-bucket="(\w+)">20.00<', row) == ["31_60"]
    assert "Receivables" in client.get("/").get_data(as_text=True)


def test_sales_reps_cannot_open_the_finance_pages(client, db):
    sign_in(client, make_user(db, "sales_rep"))
    for path in ("/finance/receivables", "/finance/to-invoice", "/finance/payments", "/finance/aging"):
        assert client.get(path).status_code == 403, path
