"""Credit control over overdue invoices: the daily hold (with a fixed `today`), its notifications
through the outbox, running it twice, finance lifting a hold with a reason (audited), the hold
refusing an order confirmation, the beat task, and the overdue alerts on the home pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import clock
from core.config import Settings
from core.errors import Forbidden, InvalidInput
from core.models import AuditEntry, Customer, Notification, OutboxMessage
from crm.orders import services as crm
from finance.credit import holds
from finance.invoicing import services as invoicing
from finance.payments import services as payments
from tests.conftest import ApiClient, api_as, make_user, uow_for
from tests.finance.builders import build_books, confirmed_order, ship
from tests.web.test_forms import csrf_token, sign_in

D = Decimal


def posted_invoice(uow, books, customer_id=None):
    order = confirmed_order(uow, customer_id or books.customer_id, [(books.a, 2)])
    ship(uow, order.id, [(books.a, 2)])
    return invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True})


def notifications(db) -> list[tuple[int, str]]:
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notify.user").order_by(OutboxMessage.id))
    return [(row.payload["user_id"], row.payload["message"]) for row in rows]


def notes(db, customer_id: int) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.entity == "Customer",
                                                    AuditEntry.entity_id == str(customer_id),
                                                    AuditEntry.action == "note").order_by(AuditEntry.id)))


@pytest.fixture
def setting(db):
    rep = make_user(db, "sales_rep")
    finance = make_user(db, "finance")
    uow = uow_for(db)
    books = build_books(uow, owner_id=rep.id)
    invoice = posted_invoice(uow, books)
    return rep, finance, books, invoice


def test_a_customer_overdue_past_the_limit_goes_on_hold_and_owner_and_finance_are_told_once(db, setting):
    rep, finance, books, invoice = setting
    today = invoice.due_date + timedelta(days=31)

    held = holds.hold_overdue_customers(uow_for(db), today=today, days=30)

    assert [(h.customer_id, h.invoice_numbers) for h in held] == [(books.customer_id, (invoice.number,))]
    assert db.get(Customer, books.customer_id).credit_hold is True
    assert db.get(Customer, books.other_customer_id).credit_hold is False
    sent = notifications(db)
    assert sorted(user_id for user_id, _ in sent) == sorted([rep.id, finance.id])
    assert all(invoice.number in message for _, message in sent)
    [note] = notes(db, books.customer_id)
    assert invoice.number in note.note and "31 days" in note.note
    assert note.changes["overdue_invoices"] == [invoice.number]

    assert holds.hold_overdue_customers(uow_for(db), today=today + timedelta(days=1), days=30) == []
    assert len(notifications(db)) == 2 and len(notes(db, books.customer_id)) == 1


def test_an_invoice_overdue_ten_days_or_exactly_the_limit_does_not_hold(db, setting):
    _, _, books, invoice = setting
    for days in (10, 30):
        assert holds.hold_overdue_customers(uow_for(db), today=invoice.due_date + timedelta(days=days), days=30) == []
    assert db.get(Customer, books.customer_id).credit_hold is False
    assert notifications(db) == []


def test_a_paid_invoice_does_not_hold(db, setting):
    _, _, books, invoice = setting
    payment = payments.record_payment(uow_for(db), {"customer_id": books.customer_id, "amount": invoice.total,
                                                    "date": invoice.due_date})
    payments.allocate(uow_for(db), payment.id, auto=True)
    assert holds.hold_overdue_customers(uow_for(db), today=invoice.due_date + timedelta(days=60), days=30) == []


def test_lifting_needs_a_reason_is_audited_and_excuses_only_the_invoices_overdue_then(db, setting):
    rep, finance, books, invoice = setting
    today = invoice.due_date + timedelta(days=31)
    holds.hold_overdue_customers(uow_for(db), today=today, days=30)

    with pytest.raises(InvalidInput) as refused:
        holds.lift_credit_hold(uow_for(db, finance), books.customer_id, reason="  ", today=today, days=30)
    assert "reason" in refused.value.fields
    db.rollback()
    assert db.get(Customer, books.customer_id).credit_hold is True
    with pytest.raises(Forbidden):
        holds.lift_credit_hold(uow_for(db, rep), books.customer_id, reason="promised to pay", today=today)
    db.rollback()

    holds.lift_credit_hold(uow_for(db, finance), books.customer_id, reason="Paying Friday, agreed by CFO",
                           today=today, days=30)
    assert db.get(Customer, books.customer_id).credit_hold is False
    lift = notes(db, books.customer_id)[-1]
    assert lift.note == "Credit hold lifted: Paying Friday, agreed by CFO" and lift.user_id == finance.id
    assert lift.changes["excused_invoices"] == [invoice.number]

    # the next runs do not put it back for the excused invoice ...
    assert holds.hold_overdue_customers(uow_for(db), today=today + timedelta(days=5), days=30) == []
    # ... but another invoice going overdue past the limit does
    later = posted_invoice(uow_for(db), books)
    held = holds.hold_overdue_customers(uow_for(db), today=later.due_date + timedelta(days=31), days=30)
    assert [h.invoice_numbers for h in held] == [(later.number,)]


def test_the_hold_refuses_a_new_order_confirmation_and_finance_lifts_it_through_the_api(client, db, setting):
    rep, _, books, invoice = setting
    holds.hold_overdue_customers(uow_for(db), today=invoice.due_date + timedelta(days=31), days=30)
    order = crm.create_order(uow_for(db, rep), {"customer_id": books.customer_id, "requested_date": None,
                                                "lines": [{"product_id": books.a, "qty": D(1)}]})
    sales = ApiClient(client, rep)  # the customer's owner
    refused = sales.post(f"/sales-orders/{order.id}/confirm")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "credit_hold"

    assert sales.post(f"/customers/{books.customer_id}/credit-hold/lift",
                      json={"reason": "x"}).status_code == 403
    finance = api_as(client, db, "finance")
    missing = finance.post(f"/customers/{books.customer_id}/credit-hold/lift", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    db.expire_all()
    assert db.get(Customer, books.customer_id).credit_hold is True
    lifted = finance.post(f"/customers/{books.customer_id}/credit-hold/lift",
                          json={"reason": "Cheque received"})
    assert lifted.status_code == 200 and lifted.get_json()["credit_hold"] is False
    assert sales.post(f"/sales-orders/{order.id}/confirm").status_code == 200


def test_the_beat_task_holds_through_the_service_and_relays_the_notifications(app, db, setting):
    rep, finance, books, invoice = setting
    celery = app.extensions["celery"]
    assert any(entry["task"] == "finance.hold_overdue_customers" for entry in celery.conf.beat_schedule.values())
    # the invoice is back-dated so that it is overdue past the limit on the real today
    invoice.due_date = clock.today() - timedelta(days=app.config["SETTINGS"].credit_hold_overdue_days + 1)
    db.commit()

    with app.app_context():
        assert celery.tasks["finance.hold_overdue_customers"].apply().get() == 1
        assert celery.tasks["finance.hold_overdue_customers"].apply().get() == 0

    db.expire_all()
    assert db.get(Customer, books.customer_id).credit_hold is True
    counts = dict(db.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all())
    assert (counts.get(rep.id), counts.get(finance.id)) == (1, 1)


def test_the_overdue_days_are_a_setting():
    assert Settings.from_env({"SECRET_KEY": "k"}).credit_hold_overdue_days == 30
    assert Settings.from_env({"SECRET_KEY": "k", "CREDIT_HOLD_OVERDUE_DAYS": "45"}).credit_hold_overdue_days == 45


def test_finance_and_the_owning_rep_see_the_overdue_alert_and_finance_lifts_from_the_page(app, client, db, setting):
    rep, finance, books, invoice = setting
    invoice.due_date = clock.today() - timedelta(days=3)
    db.commit()
    holds.hold_overdue_customers(uow_for(db), today=clock.today() + timedelta(days=40), days=30)

    sign_in(client, rep)
    home = client.get("/").get_data(as_text=True)
    assert "Overdue invoices: 1" in home and "/finance/overdue" in home
    assert invoice.number in client.get("/finance/overdue").get_data(as_text=True)
    other = app.test_client()
    sign_in(other, make_user(db, "sales_rep"))
    assert "Overdue invoices:" not in other.get("/").get_data(as_text=True)
    assert invoice.number not in other.get("/finance/overdue").get_data(as_text=True)

    client = app.test_client()
    sign_in(client, finance)
    assert "Overdue invoices: 1" in client.get("/").get_data(as_text=True)
    page = client.get("/finance/credit-holds").get_data(as_text=True)
    assert f'id="customer-{books.customer_id}"' in page and invoice.number in page
    token = csrf_token(client, "/finance/credit-holds")
    refused = client.post(f"/finance/credit-holds/{books.customer_id}/lift", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 303
    db.expire_all()
    assert db.get(Customer, books.customer_id).credit_hold is True
    client.post(f"/finance/credit-holds/{books.customer_id}/lift", data={"csrf_token": token, "reason": "Paid"})
    db.expire_all()
    assert db.get(Customer, books.customer_id).credit_hold is False
    assert f'id="customer-{books.customer_id}"' not in client.get("/finance/credit-holds").get_data(as_text=True)
