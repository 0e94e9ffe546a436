"""Refunds of unapplied credit: from an overpayment and from a credit note on a paid invoice; more than
the unapplied credit is refused and changes nothing; undo writes a reversing refund (append-only)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import DomainError, InvalidInput
from core.models import AuditEntry
from finance.events import RefundRecorded
from finance.invoicing import credit_notes
from finance.models import Payment, Refund, RefundPart
from finance.payments import refunds
from finance.payments import services as payments
from tests.conftest import make_user
from tests.finance.builders import ON, build_books, invoiced_order

D = Decimal


@pytest.fixture
def books(uow):
    return build_books(uow)


def pay(uow, books, amount, on=ON):
    return payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D(amount), "date": on})


def snapshot(db):
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(Refund)), db.scalar(select(func.count()).select_from(RefundPart)),
            [(p.id, p.allocated_amount, p.refunded_amount) for p in db.scalars(select(Payment).order_by(Payment.id))])


def test_an_overpayment_is_refunded_from_the_oldest_payments_first(db, uow, books):
    first, second = pay(uow, books, "30.00"), pay(uow, books, "50.00")
    seen: list = []
    uow.events = uow.events.copy()
    uow.events.subscribe(RefundRecorded, lambda _uow, event: seen.append(event))
    refund = refunds.record_refund(uow, books.customer_id, {"amount": D("45.00"), "date": ON, "method": "bank_transfer",
                                                            "reference": "refund of overpayment"})
    assert refund.number == f"RF-{ON.year}-00001"
    assert [(part.payment_id, part.amount) for part in refund.parts] == [(first.id, D(30)), (second.id, D(15))]
    db.expire_all()
    assert (first.unapplied, second.unapplied, second.refunded_amount) == (D(0), D(35), D(15))
    assert refunds.unapplied_credit(db, books.customer_id)[1] == D(35)
    (event,) = seen
    assert (event.refund_id, event.amount, event.payment_ids) == (refund.id, D(45), (first.id, second.id))
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "Refund", AuditEntry.entity_id == str(refund.id)))
    # a refunded amount can no longer be allocated
    invoice = invoiced_order(uow, books.customer_id, [(books.a, 10)])[1]
    with pytest.raises(DomainError) as refused:
        payments.allocate(uow, first.id, allocations=[{"invoice_id": invoice.id, "amount": D(1)}])
    assert refused.value.code == "over_allocation"


def test_credit_released_by_a_credit_note_can_be_refunded(db, uow, books):
    invoice = invoiced_order(uow, books.customer_id, [(books.a, 10)])[1]
    payment = pay(uow, books, invoice.total)
    payments.allocate(uow, payment.id, auto=True)
    credit_notes.create_credit_note(uow, invoice.id, {"kind": "return", "lines": [
        {"invoice_line_id": invoice.lines[0].id, "qty": D(2)}]})
    db.expire_all()
    assert payment.unapplied == D("22.71")
    refunds.record_refund(uow, books.customer_id, {"amount": D("22.71"), "method": "bank_transfer"})
    db.expire_all()
    assert (payment.unapplied, payment.refunded_amount) == (D(0), D("22.71"))


def test_an_over_refund_is_refused_and_changes_nothing(db, uow, books):
    pay(uow, books, "30.00")
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        refunds.record_refund(uow, books.customer_id, {"amount": D("30.01")})
    assert refused.value.code == "over_refund"
    assert "amount" in refused.value.fields
    db.rollback()
    for bad in ({"amount": D(0)}, {"amount": D("-5")}, {"amount": D("1.005")}, {"amount": "x"},
                {"amount": D(5), "method": "barter"}):
        with pytest.raises(InvalidInput):
            refunds.record_refund(uow, books.customer_id, bad)
        db.rollback()
    assert snapshot(db) == before


def test_undoing_a_refund_writes_a_reversal_and_the_credit_is_unapplied_again(db, uow, books):
    payment = pay(uow, books, "40.00")
    refund = refunds.record_refund(uow, books.customer_id, {"amount": D("25.00")})
    reversal = refunds.undo_refund(uow, refund.id)
    assert (reversal.amount, reversal.reverses_id) == (D(-25), refund.id)
    assert [(part.payment_id, part.amount) for part in reversal.parts] == [(payment.id, D(-25))]
    db.expire_all()
    assert (payment.unapplied, payment.refunded_amount) == (D(40), D(0))
    assert db.scalar(select(func.count()).select_from(Refund)) == 2  # the original row stays
    for target, code in ((refund.id, "already_undone"), (reversal.id, "is_reversal")):
        with pytest.raises(DomainError) as refused:
            refunds.undo_refund(uow, target)
        assert refused.value.code == code
        db.rollback()


def test_the_summary_and_the_payment_list_count_refunded_money_as_gone(db, uow, books):
    from finance import queries

    paid_back, kept = pay(uow, books, "30.00"), pay(uow, books, "20.00")
    refunds.record_refund(uow, books.customer_id, {"amount": D("30.00")})
    assert queries.customer_summary(db, None, books.customer_id)["unapplied_credit"] == D(20)
    listed = queries.payments(db, make_user(db, "finance"), customer_id=books.customer_id, unapplied=True)
    assert [p.id for p in listed.items] == [kept.id] and paid_back.unapplied == D(0)
