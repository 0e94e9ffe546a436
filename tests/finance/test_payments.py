"""Payments: partial payment, overpayment kept as unapplied credit and applied later, automatic
allocation (invoice number in the reference first, then oldest due), undo by a reversing row,
and refusals that change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import DomainError, InvalidInput
from core.models import AuditEntry
from finance.credit.exposure import receivable
from finance.models import Invoice, Payment, PaymentAllocation
from finance.payments import services as payments
from tests.finance.builders import ON, build_books, invoiced_order

D = Decimal


@pytest.fixture
def books(uow):
    return build_books(uow)


def posted_invoice(uow, books, qty_a, *, on=ON, customer_id=None):
    return invoiced_order(uow, customer_id or books.customer_id, [(books.a, qty_a)], on=on)


def pay(uow, books, amount, reference=None, customer_id=None):
    return payments.record_payment(uow, {"customer_id": customer_id or books.customer_id, "amount": D(amount),
                                         "date": ON, "method": "bank_transfer", "reference": reference})


def snapshot(db):
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(PaymentAllocation)),
            [(i.id, i.state, i.paid_amount) for i in db.scalars(select(Invoice).order_by(Invoice.id))],
            [(p.id, p.allocated_amount) for p in db.scalars(select(Payment).order_by(Payment.id))])


def test_a_partial_payment_leaves_the_invoice_and_the_order_partly_paid(db, uow, books):
    order, invoice = posted_invoice(uow, books, 10)  # 100.50 + 13.07 = 113.57
    assert invoice.total == D("113.57")
    payment = pay(uow, books, "50.00")
    assert payment.number == f"PAY-{ON.year}-00001"
    (allocation,) = payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice.id, "amount": D(50)}])
    assert allocation.amount == D(50)
    db.expire_all()
    assert [(a.invoice_id, a.amount) for a in db.scalars(select(PaymentAllocation))] == [(invoice.id, D(50))]
    assert (invoice.state, invoice.paid_amount, invoice.open_amount) == ("partially_paid", D(50), D("63.57"))
    assert payment.unapplied == D(0)
    assert (order.paid_amount, order.payment_status) == (D(50), "partial")
    assert receivable(db, books.customer_id) == D("63.57")


def test_an_overpayment_stays_as_unapplied_credit_and_is_applied_to_a_later_invoice(db, uow, books):
    order1, first = posted_invoice(uow, books, 10)  # 113.57
    payment = pay(uow, books, "200.00")
    payments.allocate(uow, payment.id, auto=True)
    assert (first.state, order1.payment_status) == ("paid", "paid")
    assert payment.unapplied == D("86.43")
    assert receivable(db, books.customer_id) == D(0)

    order2, second = posted_invoice(uow, books, 5)  # 50.25 + 6.53 = 56.78
    (later,) = payments.allocate(uow, payment.id, auto=True)
    assert (later.invoice_id, later.amount) == (second.id, D("56.78"))
    assert (second.state, order2.payment_status) == ("paid", "paid")
    assert payment.unapplied == D("29.65")

    with pytest.raises(DomainError) as nothing:
        payments.allocate(uow, payment.id, auto=True)
    assert nothing.value.code == "nothing_to_allocate"


def test_auto_allocation_takes_the_invoice_named_in_the_reference_first_then_the_oldest_due(db, uow, books):
    _o1, oldest = posted_invoice(uow, books, 1, on=date(2026, 1, 5))    # 11.36, due 2026-02-04
    _o2, middle = posted_invoice(uow, books, 2, on=date(2026, 1, 20))   # 22.71, due 2026-02-19
    _o3, named = posted_invoice(uow, books, 3, on=date(2026, 2, 1))     # 34.07, due 2026-03-03
    _o4, foreign = posted_invoice(uow, books, 1, on=date(2026, 1, 1), customer_id=books.other_customer_id)
    payment = pay(uow, books, "40.00", reference=f"settles {named.number.lower()}, thanks")
    made = payments.allocate(uow, payment.id, auto=True)
    assert [(a.invoice_id, a.amount) for a in made] == [(named.id, D("34.07")), (oldest.id, D("5.93"))]
    assert (named.state, oldest.state, middle.state, foreign.state) == ("paid", "partially_paid", "posted", "posted")
    assert payment.unapplied == D(0)


def test_undo_writes_a_reversing_row_reopens_the_invoice_and_is_audited(db, uow, books):
    order, invoice = posted_invoice(uow, books, 10)
    payment = pay(uow, books, "113.57")
    (allocation,) = payments.allocate(uow, payment.id, auto=True)
    assert order.payment_status == "paid"

    reversal = payments.undo_allocation(uow, payment.id, allocation.id)
    assert (reversal.amount, reversal.reverses_id) == (D("-113.57"), allocation.id)
    assert db.get(PaymentAllocation, allocation.id).amount == D("113.57")  # the original is untouched
    assert (invoice.state, invoice.paid_amount) == ("posted", D(0))
    assert payment.unapplied == D("113.57")
    assert (order.paid_amount, order.payment_status) == (D(0), "unpaid")
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "PaymentAllocation", AuditEntry.entity_id == str(reversal.id))) == 1

    for target, code in ((allocation.id, "already_undone"), (reversal.id, "is_reversal")):
        with pytest.raises(DomainError) as refused:
            payments.undo_allocation(uow, payment.id, target)
        assert refused.value.code == code
        uow.rollback()

    (again,) = payments.allocate(uow, payment.id, auto=True)  # the money can be applied again
    assert again.amount == D("113.57") and invoice.state == "paid"


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005"])
def test_a_payment_of_zero_negative_or_fractional_cents_is_refused(db, uow, books, amount):
    with pytest.raises(InvalidInput) as refused:
        pay(uow, books, amount)
    assert "amount" in refused.value.fields
    uow.rollback()
    assert db.scalar(select(func.count()).select_from(Payment)) == 0


def test_over_allocation_is_refused_and_nothing_changes(db, uow, books):
    _o1, first = posted_invoice(uow, books, 10)   # 113.57
    _o2, second = posted_invoice(uow, books, 1)   # 11.36
    _o3, foreign = posted_invoice(uow, books, 1, customer_id=books.other_customer_id)
    payment = pay(uow, books, "100.00")
    before = snapshot(db)

    cases = [
        ([{"invoice_id": first.id, "amount": D("90")}, {"invoice_id": second.id, "amount": D("11")}],
         DomainError, "over_allocation"),                    # 101 > 100 unapplied
        ([{"invoice_id": second.id, "amount": D("11.37")}], DomainError, "over_allocation"),  # > 11.36 open
        ([{"invoice_id": second.id, "amount": D("6")}, {"invoice_id": second.id, "amount": D("6")}],
         DomainError, "over_allocation"),                    # together more than the invoice's open amount
        ([{"invoice_id": foreign.id, "amount": D("1")}], InvalidInput, "validation_error"),
        ([{"invoice_id": 999999, "amount": D("1")}], InvalidInput, "validation_error"),
        ([{"invoice_id": second.id, "amount": D("0")}], InvalidInput, "validation_error"),
        ([{"invoice_id": second.id, "amount": D("-1")}], InvalidInput, "validation_error"),
        ([], InvalidInput, "validation_error"),
    ]
    for allocations, error, code in cases:
        with pytest.raises(error) as refused:
            payments.allocate(uow, payment.id, allocations=allocations)
        assert refused.value.code == code, allocations
        uow.rollback()
        assert snapshot(db) == before, allocations
