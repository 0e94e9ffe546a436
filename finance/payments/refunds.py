"""Refunds of a customer's unapplied credit: the only code that records or undoes them.

A customer's unapplied credit lives on its payments (an overpayment, or what a credit note released
from a paid invoice): `amount - allocated_amount - refunded_amount`. A refund pays some of it back
(amount, date, method, reference) and takes it from those payments, oldest first, one refund part per
payment; asking more than the unapplied credit is refused (409 `over_refund`) and changes nothing.
Refunds are append-only like allocations: undoing one writes a reversing refund (negative amount and
parts, `reverses_id`); a refund is undone once and a reversal is not undone. The payments are locked
in id order (the order `finance.payments.services` uses), so a refund and an allocation of the same payment
are serialized and never use the same money twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import clock
from core.errors import DomainError
from core.forms import load_input
from core.models import Customer
from core.money import ZERO
from core.numbering import next_number
from core.uow import UnitOfWork
from finance.events import RefundRecorded, RefundUndone
from finance.models import Payment, Refund, RefundPart
from finance.payments.services import movement_method, movement_reference
from finance.schemas import CreateRefundSchema

RESOURCE = "refund"


def get_refund(uow: UnitOfWork, refund_id: int) -> Refund:
    uow.authorize("read", RESOURCE)
    return uow.get(Refund, refund_id, "refund")


def _lock_payments(uow: UnitOfWork, ids) -> list[Payment]:
    return [uow.session.get(Payment, payment_id, with_for_update={"of": Payment.__table__}, populate_existing=True)
            for payment_id in sorted(set(ids))]


def record_refund(uow: UnitOfWork, customer_id: int, data: dict, *, on: date | None = None) -> Refund:
    """Pay back `amount` of the customer's unapplied credit: `date`, `method`, `reference`. `data`
    goes through `CreateRefundSchema` here as in the page and the API (see `finance.schemas`)."""
    uow.authorize("create", RESOURCE)
    customer = uow.get(Customer, customer_id, "customer")
    data = load_input(CreateRefundSchema, data, message="The refund was not recorded.")
    amount, method, reference = data["amount"], movement_method(data), movement_reference(data)
    candidates = uow.session.scalars(select(Payment.id).where(Payment.customer_id == customer.id)).all()
    locked = _lock_payments(uow, candidates)
    with_credit = sorted((p for p in locked if p.unapplied > 0), key=lambda p: (p.payment_date, p.id))
    available = sum((p.unapplied for p in with_credit), ZERO)
    if amount > available:
        raise DomainError(f"{customer.name} has only {available} of unapplied credit, not {amount}; "
                          f"nothing was refunded.", code="over_refund",
                          fields={"amount": [f"At most {available} can be refunded."]},
                          details={"unapplied_credit": str(available), "asked": str(amount)})
    refund_date = data.get("date") or on or clock.today()
    refund = Refund(number=next_number(uow.session, "RF", on=refund_date), customer_id=customer.id, amount=amount,
                    refund_date=refund_date, method=method, reference=reference,
                    created_by_id=uow.actor_id)
    uow.session.add(refund)
    left = amount
    for payment in with_credit:
        if left <= 0:
            break
        part = min(left, payment.unapplied)
        refund.parts.append(RefundPart(payment_id=payment.id, payment=payment, amount=part))
        payment.refunded_amount = (payment.refunded_amount or ZERO) + part
        left -= part
    uow.session.flush()
    uow.publish(RefundRecorded(refund_id=refund.id, number=refund.number, customer_id=customer.id, amount=amount,
                               refund_date=refund_date, method=method,
                               payment_ids=tuple(part.payment_id for part in refund.parts)))
    uow.commit()
    return refund


def undo_refund(uow: UnitOfWork, refund_id: int, *, on: date | None = None) -> Refund:
    """Reverse a refund recorded by mistake: the credit is unapplied again on the same payments."""
    uow.authorize("update", RESOURCE)
    original = get_refund(uow, refund_id)
    if original.reverses_id is not None:
        raise DomainError("This row reverses another refund and cannot be undone itself.", code="is_reversal")
    payments = {p.id: p for p in _lock_payments(uow, [part.payment_id for part in original.parts])}
    if uow.session.scalar(select(Refund.id).where(Refund.reverses_id == original.id)):
        raise DomainError(f"Refund {original.number} was already undone.", code="already_undone")
    undone_on = on or clock.today()
    reversal = Refund(number=next_number(uow.session, "RF", on=undone_on), customer_id=original.customer_id,
                      amount=-original.amount, refund_date=undone_on, method=original.method,
                      reference=f"Undo {original.number}", reverses_id=original.id,
                      created_by_id=uow.actor_id)
    uow.session.add(reversal)
    for part in original.parts:
        payment = payments[part.payment_id]
        reversal.parts.append(RefundPart(payment_id=payment.id, payment=payment, amount=-part.amount))
        payment.refunded_amount = (payment.refunded_amount or ZERO) - part.amount
    uow.session.flush()
    uow.publish(RefundUndone(refund_id=original.id, reversal_id=reversal.id, customer_id=original.customer_id,
                             amount=original.amount, undone_on=undone_on))
    uow.commit()
    return reversal


def check_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """The customer whose refunds the actor may read (finance, management, admin)."""
    uow.authorize("read", RESOURCE)
    return uow.get(Customer, customer_id, "customer")


def unapplied_credit(session, customer_id: int):
    """The customer's payments with unapplied credit, oldest first, and the sum of it."""
    found = [p for p in session.scalars(select(Payment).where(Payment.customer_id == customer_id)
                                        .order_by(Payment.payment_date, Payment.id)) if p.unapplied > 0]
    return found, sum((p.unapplied for p in found), ZERO)


def refunds_of(session, customer_id: int) -> list[Refund]:
    return list(session.scalars(select(Refund).where(Refund.customer_id == customer_id).order_by(Refund.id.desc())))
