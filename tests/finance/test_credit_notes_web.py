"""The credit note and refund pages: finance credits an invoice from its page (a refusal keeps
nothing), prints it, refunds the customer's unapplied credit and undoes the refund; sales sees the
order's invoiced and paid amounts, payment status and the overdue flag on the order and customer pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core import clock
from finance.invoicing import services as invoicing
from finance.models import CreditNote, Invoice, Payment, Refund
from finance.payments import services as payments
from tests.conftest import make_user, uow_for
from tests.finance.builders import build_books, confirmed_order, ship
from tests.web.test_forms import csrf_token, sign_in

D = Decimal


def test_finance_credits_an_invoice_and_refunds_the_credit_through_the_pages(client, db):
    uow = uow_for(db)
    books = build_books(uow)
    order = confirmed_order(uow, books.customer_id, [(books.a, 10)])
    ship(uow, order.id, [(books.a, 10)])
    invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True, "invoice_date": clock.today()})
    payment = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": invoice.total})
    payments.allocate(uow, payment.id, auto=True)
    line_id = invoice.lines[0].id
    sign_in(client, make_user(db, "finance"))

    fragment = client.get(f"/finance/invoices/{invoice.id}/credit-notes/fragment").get_data(as_text=True)
    assert "data-new-credit-note" in fragment and f"/finance/invoices/{invoice.id}/pdf" in fragment
    form = client.get(f"/finance/invoices/{invoice.id}/credit-notes/new")
    assert form.status_code == 200 and f'name="qty-{line_id}"' in form.get_data(as_text=True)
    token = csrf_token(client, f"/finance/invoices/{invoice.id}/credit-notes/new")
    refused = client.post(f"/finance/invoices/{invoice.id}/credit-notes/new",
                          data={"csrf_token": token, "kind": "return", f"qty-{line_id}": "11", "restock": "1"})
    assert refused.status_code == 422 and "left to return" in refused.get_data(as_text=True)
    assert db.scalars(select(CreditNote)).all() == []
    without_token = client.post(f"/finance/invoices/{invoice.id}/credit-notes/new",
                                data={"kind": "return", f"qty-{line_id}": "1"})
    assert without_token.status_code in (400, 403) and db.scalars(select(CreditNote)).all() == []

    made = client.post(f"/finance/invoices/{invoice.id}/credit-notes/new",
                       data={"csrf_token": token, "kind": "price_correction", f"amount-{line_id}": "10.00",
                             "reason": "agreed discount"})
    assert made.status_code == 303
    note = db.scalars(select(CreditNote)).one()
    assert (note.kind, note.total, note.to_unapplied_credit) == ("price_correction", D("11.30"), D("11.30"))
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert note.number in page and "11.30" in page
    pdf = client.get(f"/finance/credit-notes/{note.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert client.get(f"/finance/invoices/{invoice.id}/pdf").data.startswith(b"%PDF-")

    customer_page = client.get(f"/customers/{books.customer_id}").get_data(as_text=True)
    assert f"/finance/customers/{books.customer_id}/credit-panel" in customer_page
    panel = client.get(f"/finance/customers/{books.customer_id}/credit-panel").get_data(as_text=True)
    assert 'data-unapplied-credit="11.30"' in panel
    refunds_page = client.get(f"/finance/customers/{books.customer_id}/refunds").get_data(as_text=True)
    assert 'data-unapplied-credit="11.30"' in refunds_page and 'id="refund-form"' in refunds_page
    too_much = client.post(f"/finance/customers/{books.customer_id}/refunds",
                           data={"csrf_token": token, "amount": "11.31", "method": "bank_transfer"})
    assert too_much.status_code == 422 and "At most 11.30" in too_much.get_data(as_text=True)
    assert db.scalars(select(Refund)).all() == []
    done = client.post(f"/finance/customers/{books.customer_id}/refunds",
                       data={"csrf_token": token, "amount": "11.30", "method": "bank_transfer", "date": "",
                             "reference": "RF to customer"})
    assert done.status_code == 303
    refund = db.scalars(select(Refund)).one()
    db.refresh(payment)
    assert (refund.amount, payment.unapplied) == (D("11.30"), D(0))
    client.post(f"/finance/refunds/{refund.id}/undo", data={"csrf_token": token})
    db.expire_all()
    assert [r.amount for r in db.scalars(select(Refund).order_by(Refund.id))] == [D("11.30"), D("-11.30")]
    assert db.get(Payment, payment.id).unapplied == D("11.30")


def test_sales_sees_invoiced_and_paid_amounts_and_the_overdue_flag(client, db):
    rep = make_user(db, "sales_rep")
    uow = uow_for(db)
    books = build_books(uow, owner_id=rep.id)
    order = confirmed_order(uow, books.customer_id, [(books.a, 10)])
    ship(uow, order.id, [(books.a, 10)])
    invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True,
                                             "invoice_date": clock.today() - timedelta(days=40)})
    payment = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D(50)})
    payments.allocate(uow, payment.id, auto=True)
    sign_in(client, rep)

    page = client.get(f"/sales-orders/{order.id}").get_data(as_text=True)
    assert 'data-invoiced>113.57' in page and 'data-paid>50.00' in page
    assert 'data-payment="partial"' in page and "data-overdue" in page
    panel = client.get(f"/sales-orders?customer_id={books.customer_id}", headers={"HX-Request": "true"})
    html = panel.get_data(as_text=True)
    assert "113.57" in html and "50.00" in html and "data-overdue" in html
    # finance-only pages stay closed to sales
    assert client.get(f"/finance/invoices/{invoice.id}/credit-notes/new").status_code == 403
    assert client.get(f"/finance/customers/{books.customer_id}/refunds").status_code == 403
    assert db.scalars(select(Invoice)).one().state == "partially_paid"
