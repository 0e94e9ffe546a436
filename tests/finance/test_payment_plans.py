"""Payment plans: validation that changes nothing, the deposit invoiced at confirmation, the delivery
installment at full shipment, the acceptance installment, statuses following payments, invoices that
add up to the order to the cent, reminders before and after due exactly once (fixed `today`), and
the order's shipped quantities no longer invoiced once it has a plan."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import clock
from core.errors import DomainError, InvalidInput
from core.models import OutboxMessage
from crm.orders import services as crm
from crm.orders.models import SalesOrder
from finance.invoicing import services as invoicing
from finance.models import Invoice
from finance.payments import services as payments
from finance.plans import services as plans
from finance.plans.models import InstallmentReminder, PaymentPlan
from tests.conftest import make_user, uow_for
from tests.finance.builders import ON, build_books, confirmed_order, ship

D = Decimal
LINES = [(0, 3), (1, 2)]  # 3 x A at 10.05 and 2 x B at 7.77: untaxed 45.69, VAT 5.94, total 51.63


@pytest.fixture
def setting(db):
    rep = make_user(db, "sales_rep")
    books = build_books(uow_for(db), owner_id=rep.id)
    return rep, books


def draft(db, books, rep=None):
    products = (books.a, books.b)
    return crm.create_order(uow_for(db, rep), {"customer_id": books.customer_id, "requested_date": None, "lines": [
        {"product_id": products[index], "qty": D(qty)} for index, qty in LINES]}, on=ON)


def plan_30_60_10(db, order_id, actor=None):
    return plans.set_payment_plan(uow_for(db, actor), order_id, {"template": "30/60/10"}, on=ON)


def invoices_of(db, order_id) -> list[Invoice]:
    return list(db.scalars(select(Invoice).where(Invoice.sales_order_id == order_id).order_by(Invoice.id)))


def statuses(db, order_id, today=ON):
    order, plan = plans.get_plan(uow_for(db), order_id)
    return [(i["status"], i["overdue"]) for i in plans.plan_view(order, plan, today=today)["installments"]]


def test_a_template_plan_splits_the_total_to_the_cent_and_the_last_takes_the_remainder(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan = plan_30_60_10(db, order.id, rep)
    assert order.total == D("51.63")
    # 30% = 15.489 -> 15.49, 60% = 30.978 -> 30.98, the last 10% takes what is left: 5.16 (not 5.163 -> 5.16 by luck)
    assert [(i.label, i.amount, i.trigger, i.days_after) for i in plan.installments] == [
        ("Deposit", D("15.49"), "on_confirmation", 7), ("On delivery", D("30.98"), "on_delivery", 30),
        ("After acceptance", D("5.16"), "after_acceptance", 30)]
    assert plan.total == order.total
    assert statuses(db, order.id) == [("planned", False)] * 3
    assert invoices_of(db, order.id) == []  # a draft triggers nothing


@pytest.mark.parametrize(("installments", "where"), [
    ([{"percent": D(30), "trigger": "on_confirmation"}, {"percent": D(60), "trigger": "on_delivery"}],
     "installments"),  # 90%
    ([{"percent": D(-10), "trigger": "on_confirmation"}, {"percent": D(110), "trigger": "on_delivery"}],
     "percent"),
    ([], "installments"),
    ([{"percent": D(100), "amount": D(5), "trigger": "on_delivery"}], "percent"),
    ([{"amount": D(-1), "trigger": "on_delivery"}], "amount"),
    ([{"percent": D(100), "trigger": "someday"}], "trigger"),
    ([{"percent": D(100), "trigger": "on_date"}], "due_date"),
    ([{"percent": D(100), "trigger": "on_delivery", "days_after": -3}], "days_after"),
    ([{"amount": D("20.00"), "trigger": "on_confirmation"}, {"amount": D("20.00"), "trigger": "on_delivery"}],
     "installments"),  # 40.00 of 51.63
])
def test_a_bad_plan_is_refused_field_by_field_and_nothing_changes(db, setting, installments, where):
    rep, books = setting
    order = draft(db, books, rep)
    with pytest.raises(InvalidInput) as refused:
        plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": installments})
    fields = refused.value.fields
    if where == "installments":
        assert isinstance(fields["installments"], list) and fields["installments"]
    else:
        assert where in fields["installments"]["0"]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(PaymentPlan)) == 0


def test_a_bad_replacement_keeps_the_plan_there_was(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)
    with pytest.raises(InvalidInput):
        plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": [
            {"percent": D(50), "trigger": "on_confirmation"}]})
    db.rollback()
    db.expire_all()
    _, plan = plans.get_plan(uow_for(db), order.id)
    assert [i.amount for i in plan.installments] == [D("15.49"), D("30.98"), D("5.16")]


def test_mixed_amounts_and_percentages_must_make_the_total(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan = plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": [
        {"label": "Booking fee", "amount": D("10.00"), "trigger": "on_confirmation"},
        {"percent": D("80.6308"), "trigger": "on_delivery"},  # 80.6308% of 51.63 is 41.63, the rest
    ]})
    assert [i.amount for i in plan.installments] == [D("10.00"), D("41.63")]


def test_the_deposit_is_invoiced_and_posted_at_confirmation_before_anything_ships(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)

    crm.confirm_order(uow_for(db, rep), order.id, on=ON)  # a sales rep confirms; finance's rules invoice

    [deposit] = invoices_of(db, order.id)
    assert (deposit.state, deposit.invoice_date, deposit.due_date) == ("posted", ON, ON + timedelta(days=7))
    assert (deposit.untaxed, deposit.tax, deposit.total) == (D("13.71"), D("1.78"), D("15.49"))
    [line] = deposit.lines
    assert line.product_id is None and line.description == f"Deposit: 30% of order {order.number}"
    assert line.tax_rate == D("0.13")
    db.refresh(order)
    assert order.invoiced_amount == D("15.49") and order.invoice_status == "partial"
    assert statuses(db, order.id) == [("invoiced", False), ("planned", False), ("planned", False)]


def test_delivery_installment_waits_for_the_last_shipment_then_acceptance_completes_the_order_to_the_cent(
        db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)
    crm.confirm_order(uow_for(db), order.id, on=ON)

    ship(uow_for(db), order.id, [(books.a, 3)])
    assert len(invoices_of(db, order.id)) == 1  # partly shipped: no delivery invoice yet
    with pytest.raises(DomainError) as early:
        plans.accept_order(uow_for(db, rep), order.id, on=ON)
    assert early.value.code == "not_delivered"
    db.rollback()

    shipped_on = ON + timedelta(days=5)
    uow = uow_for(db)
    from inventory import shipping

    shipment = shipping.create_shipment(uow, {"sales_order_id": order.id, "lines": [
        {"product_id": books.b, "qty": D(2)}]}, on=shipped_on)
    shipping.ship_shipment(uow, shipment.id, on=shipped_on)
    deposit, delivery = invoices_of(db, order.id)
    assert (delivery.total, delivery.invoice_date, delivery.due_date) == (
        D("30.98"), shipped_on, shipped_on + timedelta(days=30))
    assert (delivery.untaxed, delivery.tax) == (D("27.42"), D("3.56"))

    accepted_on = ON + timedelta(days=12)
    plans.accept_order(uow_for(db, rep), order.id, on=accepted_on)  # the owning rep records acceptance
    *_, last = invoices_of(db, order.id)
    assert (last.total, last.due_date) == (D("5.16"), accepted_on + timedelta(days=30))
    # the last installment takes what is left of the order's untaxed amount and VAT
    assert (last.untaxed, last.tax) == (D("4.56"), D("0.60"))
    every = invoices_of(db, order.id)
    assert sum(i.untaxed for i in every) == order.untaxed == D("45.69")
    assert sum(i.tax for i in every) == order.tax == D("5.94")
    assert sum(i.total for i in every) == order.total == D("51.63")
    db.refresh(order)
    assert order.invoiced_amount == order.total and order.invoice_status == "invoiced"

    with pytest.raises(DomainError) as twice:
        plans.accept_order(uow_for(db, rep), order.id)
    assert twice.value.code == "already_accepted"


def test_installment_status_follows_partial_and_full_payment_and_overdue_is_computed(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)
    crm.confirm_order(uow_for(db), order.id, on=ON)
    [deposit] = invoices_of(db, order.id)
    late = deposit.due_date + timedelta(days=1)
    assert statuses(db, order.id, today=late)[0] == ("invoiced", True)

    payment = payments.record_payment(uow_for(db), {"customer_id": books.customer_id, "amount": D("10.00"),
                                                    "date": ON})
    payments.allocate(uow_for(db), payment.id, auto=True)
    assert statuses(db, order.id, today=late)[0] == ("partially_paid", True)

    rest = payments.record_payment(uow_for(db), {"customer_id": books.customer_id, "amount": D("5.49"), "date": ON})
    payments.allocate(uow_for(db), rest.id, auto=True)
    assert statuses(db, order.id, today=late) == [("paid", False), ("planned", False), ("planned", False)]
    db.refresh(order)
    assert order.paid_amount == D("15.49") and order.payment_status == "partial"


def test_an_order_with_a_plan_is_not_invoiced_by_its_shipped_quantities(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": [
        {"percent": D(100), "trigger": "after_acceptance", "days_after": 10}]})
    crm.confirm_order(uow_for(db), order.id, on=ON)
    ship(uow_for(db), order.id, [(books.a, 3), (books.b, 2)])

    with pytest.raises(DomainError) as refused:
        invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id}, on=ON)
    assert refused.value.code == "invoiced_by_payment_plan"
    with pytest.raises(DomainError) as lines:
        invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id, "lines": [
            {"description": "Freight", "qty": D(1), "unit_price": D(5), "vat_rate": D("0.09")}]}, on=ON)
    assert lines.value.code == "invoiced_by_payment_plan"
    db.rollback()
    assert invoices_of(db, order.id) == []


def test_a_plan_set_after_confirmation_invoices_the_deposit_at_once_and_then_cannot_change(db, setting):
    rep, books = setting
    order = confirmed_order(uow_for(db), books.customer_id, [(books.a, 3), (books.b, 2)])
    plans.set_payment_plan(uow_for(db, rep), order.id, {"template": "50/50"}, on=ON + timedelta(days=1))
    [deposit] = invoices_of(db, order.id)
    assert deposit.total == D("25.82") and deposit.due_date == ON + timedelta(days=7)  # from the confirmation

    with pytest.raises(DomainError) as refused:
        plans.set_payment_plan(uow_for(db, rep), order.id, {"template": "30/70"})
    assert refused.value.code == "order_already_invoiced"
    db.rollback()
    with pytest.raises(DomainError):
        plans.remove_payment_plan(uow_for(db, rep), order.id)


def test_fixed_amounts_that_no_longer_fit_a_changed_draft_refuse_its_confirmation(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": [
        {"amount": D("20.00"), "trigger": "on_confirmation"}, {"percent": D("61.2628"), "trigger": "on_delivery"}]})
    crm.update_order(uow_for(db, rep), order.id, {"lines": [{"product_id": books.a, "qty": D(1)}]})

    with pytest.raises(DomainError) as refused:
        crm.confirm_order(uow_for(db, rep), order.id, on=ON)
    assert refused.value.code == "payment_plan_mismatch"
    db.rollback()
    db.expire_all()
    assert db.get(SalesOrder, order.id).state == "draft" and invoices_of(db, order.id) == []


def test_percentages_follow_a_changed_draft_total(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)
    crm.update_order(uow_for(db, rep), order.id, {"lines": [{"product_id": books.a, "qty": D(1)}]})  # 11.36
    crm.confirm_order(uow_for(db, rep), order.id, on=ON)
    _, plan = plans.get_plan(uow_for(db), order.id)
    assert [i.amount for i in plan.installments] == [D("3.41"), D("6.82"), D("1.13")]
    assert invoices_of(db, order.id)[0].total == D("3.41")


def test_an_installment_on_a_fixed_date_is_invoiced_when_the_date_comes(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    when = ON + timedelta(days=20)
    plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": [
        {"percent": D(40), "trigger": "on_confirmation"},
        {"percent": D(60), "trigger": "on_date", "due_date": when, "days_after": 5}]})
    crm.confirm_order(uow_for(db), order.id, on=ON)
    assert plans.invoice_dated_installments(uow_for(db), today=when - timedelta(days=1)) == []
    [made] = plans.invoice_dated_installments(uow_for(db), today=when)
    assert (made.total, made.invoice_date, made.due_date) == (D("30.98"), when, when + timedelta(days=5))
    assert plans.invoice_dated_installments(uow_for(db), today=when + timedelta(days=1)) == []
    assert sum(i.total for i in invoices_of(db, order.id)) == order.total


# --------------------------------------------------------------------------- reminders


def reminders_to(db, user_id) -> list[str]:
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notify.user").order_by(OutboxMessage.id))
    return [row.payload["message"] for row in rows if row.payload["user_id"] == user_id]


def test_reminders_go_to_the_owner_before_and_after_due_exactly_once_each(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)
    crm.confirm_order(uow_for(db), order.id, on=ON)
    due = ON + timedelta(days=7)

    def run(day):
        return [r.kind for r in plans.remind_installments(uow_for(db), today=day, before_days=3, after_days=(1, 7))]

    assert run(due - timedelta(days=4)) == []
    assert run(due - timedelta(days=3)) == ["before"]
    assert run(due - timedelta(days=3)) == []  # the same day again
    assert run(due - timedelta(days=1)) == []  # "before" was sent already
    assert run(due) == []
    assert run(due + timedelta(days=1)) == ["after_1"]
    assert run(due + timedelta(days=2)) == []
    assert run(due + timedelta(days=9)) == ["after_7"]
    assert run(due + timedelta(days=30)) == []
    sent = reminders_to(db, rep.id)
    assert len(sent) == 3 and all(order.number in message for message in sent)
    assert "due on" in sent[0] and "8 days overdue" not in sent[0] and "9 days overdue" in sent[2]
    assert db.scalar(select(func.count()).select_from(InstallmentReminder)) == 3


def test_a_paid_installment_is_not_reminded_and_skipped_stages_are_not_sent_late(db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plans.set_payment_plan(uow_for(db, rep), order.id, {"template": "50/50"})
    crm.confirm_order(uow_for(db), order.id, on=ON)
    due = ON + timedelta(days=7)
    # the task did not run for a while: only the latest stage reached is sent
    assert [r.kind for r in plans.remind_installments(uow_for(db), today=due + timedelta(days=15))] == ["after_14"]
    assert plans.remind_installments(uow_for(db), today=due + timedelta(days=16)) == []

    other = draft(db, books, rep)
    plans.set_payment_plan(uow_for(db, rep), other.id, {"template": "50/50"})
    crm.confirm_order(uow_for(db), other.id, on=ON)
    [deposit] = invoices_of(db, other.id)
    payment = payments.record_payment(uow_for(db), {"customer_id": books.customer_id, "amount": deposit.total,
                                                    "date": ON})
    payments.allocate(uow_for(db), payment.id, allocations=[{"invoice_id": deposit.id, "amount": deposit.total}])
    assert plans.remind_installments(uow_for(db), today=due + timedelta(days=17)) == []  # the other is paid


def test_the_beat_tasks_are_scheduled_and_the_reminder_settings_read_from_the_environment(app):
    from core.config import Settings

    schedule = {entry["task"] for entry in app.extensions["celery"].conf.beat_schedule.values()}
    assert {"finance.remind_installments", "finance.invoice_dated_installments"} <= schedule
    settings = Settings.from_env({"SECRET_KEY": "k"})
    assert (settings.installment_remind_before_days, settings.installment_remind_after_days) == (3, (1, 7, 14))
    custom = Settings.from_env({"SECRET_KEY": "k", "INSTALLMENT_REMIND_BEFORE_DAYS": "5",
                                "INSTALLMENT_REMIND_AFTER_DAYS": "10, 2"})
    assert (custom.installment_remind_before_days, custom.installment_remind_after_days) == (5, (2, 10))


def test_the_reminder_task_runs_the_service_on_todays_date(app, db, setting):
    rep, books = setting
    order = draft(db, books, rep)
    plan_30_60_10(db, order.id, rep)
    crm.confirm_order(uow_for(db), order.id, on=clock.today() - timedelta(days=8))  # due yesterday
    celery = app.extensions["celery"]
    with app.app_context():
        assert celery.tasks["finance.remind_installments"].apply().get() == 1
        assert celery.tasks["finance.remind_installments"].apply().get() == 0
    db.expire_all()
    assert len(reminders_to(db, rep.id)) == 1
