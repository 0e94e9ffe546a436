"""Customer payments and their allocation to invoices: the only code that changes them.

Allocations are append-only: undoing one writes a reversing row. Every allocation locks the
payment row first, then the invoice rows in id order, and checks the amounts on the locked rows,
so two clerks allocating one payment at once are serialized and can never over-allocate it.
What a payment does not cover stays as the customer's unapplied credit, to be applied later.
Each payment and allocation row is announced (`PaymentRecorded`, `PaymentAllocated`, `AllocationUndone`)
for the journal to book."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core import clock
from core.errors import DomainError, InvalidInput, NotFound
from core.forms import load_input
from core.models import Customer
from core.money import ZERO
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.orders import services as crm_services
from finance.events import AllocationUndone, PaymentAllocated, PaymentRecorded
from finance.models import OPEN_INVOICE_STATES, Invoice, Payment, PaymentAllocation, PaymentMethod
from finance.schemas import AllocateSchema, CreatePaymentSchema

RESOURCE = "payment"
INVOICE_NUMBER = re.compile(r"INV-\d{4}-\d{5}", re.IGNORECASE)


def _authorize(uow: UnitOfWork, action: str) -> None:
    uow.authorize(action, RESOURCE)


def get_payment(uow: UnitOfWork, payment_id: int, *, for_update: bool = False) -> Payment:
    _authorize(uow, "read")
    return uow.get(Payment, payment_id, "payment", for_update=for_update)


NOT_RECORDED = "The payment was not recorded."


def movement_method(data: dict) -> str:
    """The method of money received or refunded, as loaded by its schema: a bank transfer unless given."""
    return data.get("method") or PaymentMethod.BANK_TRANSFER.value


def movement_reference(data: dict) -> str | None:
    return (data.get("reference") or "").strip() or None


def record_payment(uow: UnitOfWork, data: dict, *, on: date | None = None) -> Payment:
    """A customer receipt: customer, amount (> 0), date, method (a bank transfer unless given) and
    reference. `data` goes through `CreatePaymentSchema` here as in the page and the API (see
    `finance.schemas`); only the customer needs the database."""
    _authorize(uow, "create")
    data = load_input(CreatePaymentSchema, data, message=NOT_RECORDED)
    customer = uow.session.get(Customer, data["customer_id"])
    if customer is None:
        raise InvalidInput({"customer_id": [f"No customer with id {data['customer_id']}."]}, message=NOT_RECORDED)
    amount, method, reference = data["amount"], movement_method(data), movement_reference(data)
    payment_date = data.get("date") or on or clock.today()
    payment = Payment(number=next_number(uow.session, "PAY", on=payment_date), customer_id=customer.id,
                      amount=amount, allocated_amount=ZERO, payment_date=payment_date, method=method,
                      reference=reference, created_by_id=uow.actor_id)
    uow.session.add(payment)
    uow.session.flush()  # the payment's id, for the event
    uow.publish(PaymentRecorded(payment_id=payment.id, number=payment.number, customer_id=payment.customer_id,
                                amount=payment.amount, payment_date=payment.payment_date, method=payment.method))
    uow.commit()
    return payment


def lock_invoices(uow: UnitOfWork, ids) -> dict[int, Invoice]:
    """Lock the invoices in id order (one order for every client: no deadlock) and read them fresh."""
    found = {}
    for invoice_id in sorted(set(ids)):
        invoice = uow.session.get(Invoice, invoice_id, with_for_update={"of": Invoice.__table__},
                                  populate_existing=True)
        if invoice is not None:
            found[invoice_id] = invoice
    return found


def _auto_plan(uow: UnitOfWork, payment: Payment) -> list[tuple[Invoice, Decimal]]:
    """The customer's open invoices named in the payment's reference first (in the order named),
    then the others, oldest due first; each takes what is left of the payment, up to its open amount."""
    candidates = list(uow.session.scalars(
        select(Invoice.id).where(Invoice.customer_id == payment.customer_id,
                                 Invoice.state.in_(OPEN_INVOICE_STATES))))
    invoices = lock_invoices(uow, candidates)
    named = [n.upper() for n in INVOICE_NUMBER.findall(payment.reference or "")]
    rank = {number: index for index, number in enumerate(dict.fromkeys(named))}
    ordered = sorted(
        (i for i in invoices.values() if i.state in OPEN_INVOICE_STATES and i.open_amount > 0),
        key=lambda i: (0, rank[i.number], i.id) if i.number in rank else (1, i.due_date, i.id))
    plan, left = [], payment.unapplied
    for invoice in ordered:
        if left <= 0:
            break
        amount = min(left, invoice.open_amount)
        plan.append((invoice, amount))
        left -= amount
    return plan


def _manual_plan(uow: UnitOfWork, payment: Payment, allocations: list[dict]) -> list[tuple[Invoice, Decimal]]:
    """The allocations asked for, loaded through `AllocateSchema` (an amount more than zero with two
    decimals; the bank's split and tests allocate with plain dicts), checked against the invoices."""
    if not allocations:
        raise InvalidInput({"allocations": ["Name at least one invoice and amount, or ask for auto."]})
    allocations = load_input(AllocateSchema, {"allocations": allocations},
                             message="The allocation was not made.")["allocations"]
    invoices = lock_invoices(uow, [a.get("invoice_id") for a in allocations if isinstance(a.get("invoice_id"), int)])
    invalid: dict[str, dict[str, list[str]]] = {}
    over: dict[str, dict[str, list[str]]] = {}
    asked: dict[int, Decimal] = defaultdict(Decimal)
    plan = []
    for index, item in enumerate(allocations):
        invoice = invoices.get(item.get("invoice_id"))
        amount = item.get("amount")
        if invoice is None:
            invalid[str(index)] = {"invoice_id": [f"No invoice with id {item.get('invoice_id')}."]}
            continue
        if invoice.customer_id != payment.customer_id:
            invalid[str(index)] = {"invoice_id": [f"Invoice {invoice.number} belongs to another customer."]}
            continue
        if invoice.state not in OPEN_INVOICE_STATES:
            over[str(index)] = {"invoice_id": [f"Invoice {invoice.number} is {invoice.state}; only a posted, "
                                               f"unpaid invoice takes payments."]}
            continue
        asked[invoice.id] += amount
        if asked[invoice.id] > invoice.open_amount:
            over[str(index)] = {"amount": [f"Invoice {invoice.number} has only {invoice.open_amount} open."]}
            continue
        plan.append((invoice, amount))
    if invalid:
        raise InvalidInput({"allocations": invalid}, message="The allocation was not made.")
    if over:
        raise DomainError("An invoice cannot take that much; nothing was allocated.", code="over_allocation",
                          fields={"allocations": over})
    total = sum((amount for _, amount in plan), ZERO)
    if total > payment.unapplied:
        raise DomainError(f"Payment {payment.number} has only {payment.unapplied} unapplied, not {total}; "
                          f"nothing was allocated.", code="over_allocation",
                          fields={"allocations": [f"At most {payment.unapplied} can be allocated."]},
                          details={"unapplied": str(payment.unapplied), "asked": str(total)})
    return plan


def allocate(uow: UnitOfWork, payment_id: int, *, allocations: list[dict] | None = None,
             auto: bool = False) -> list[PaymentAllocation]:
    """Apply the payment to invoices, by hand (`allocations`: [{invoice_id, amount}]) or automatically.
    Refusals change nothing: 422 for unknown or foreign invoices, 409 `over_allocation` for more than
    the payment's unapplied amount or an invoice's open amount, 409 `nothing_to_allocate`."""
    _authorize(uow, "update")
    payment = get_payment(uow, payment_id, for_update=True)
    if auto:
        plan = _auto_plan(uow, payment)
        if not plan:
            reason = ("nothing of it is unapplied" if payment.unapplied <= 0
                      else "the customer has no open invoice")
            raise DomainError(f"Payment {payment.number} cannot be allocated: {reason}.", code="nothing_to_allocate")
    else:
        plan = _manual_plan(uow, payment, allocations or [])
    made = [_apply(uow, payment, invoice, amount) for invoice, amount in plan]
    _report_paid(uow, [(invoice, amount) for invoice, amount in plan])
    announce_allocations(uow, made)
    uow.commit()
    return made


def _apply(uow: UnitOfWork, payment: Payment, invoice: Invoice, amount: Decimal,
           reverses: PaymentAllocation | None = None) -> PaymentAllocation:
    row = PaymentAllocation(payment=payment, invoice_id=invoice.id, invoice=invoice, amount=amount,
                            reverses_id=reverses.id if reverses else None,
                            created_by_id=uow.actor_id)
    uow.session.add(row)
    invoice.paid_amount = (invoice.paid_amount or ZERO) + amount
    invoice.follow_payments()
    payment.allocated_amount = (payment.allocated_amount or ZERO) + amount
    return row


def announce_allocations(uow: UnitOfWork, rows: list[PaymentAllocation]) -> None:
    """Publish what allocation rows written by `_apply` did, once they are flushed (their ids go in the
    events): `PaymentAllocated`, or `AllocationUndone` for a reversing row (its amount as a positive one)."""
    if any(row.id is None for row in rows):
        uow.session.flush()
    for row in rows:
        payment, invoice = row.payment, row.invoice
        on = row.created_at.date()
        if row.reverses_id is None:
            uow.publish(PaymentAllocated(
                allocation_id=row.id, payment_id=payment.id, payment_number=payment.number, invoice_id=invoice.id,
                invoice_number=invoice.number, customer_id=payment.customer_id, amount=row.amount, allocated_on=on))
        else:
            uow.publish(AllocationUndone(
                allocation_id=row.id, undone_allocation_id=row.reverses_id, payment_id=payment.id,
                payment_number=payment.number, invoice_id=invoice.id, invoice_number=invoice.number,
                customer_id=payment.customer_id, amount=-row.amount, undone_on=on))


def _report_paid(uow: UnitOfWork, applied: list[tuple[Invoice, Decimal]]) -> None:
    """The orders learn what was paid on their invoices, one call per order in id order."""
    per_order: dict[int, Decimal] = defaultdict(Decimal)
    for invoice, amount in applied:
        if invoice.sales_order_id is not None:
            per_order[invoice.sales_order_id] += amount
    for order_id in sorted(per_order):
        crm_services.note_paid(uow, order_id, per_order[order_id])


def undo_allocation(uow: UnitOfWork, payment_id: int, allocation_id: int) -> PaymentAllocation:
    """Undo one allocation with a reversing row: the money returns to the payment's unapplied
    amount and the invoice reopens. An allocation is undone once; a reversal is not undone."""
    _authorize(uow, "update")
    payment = get_payment(uow, payment_id, for_update=True)
    original = uow.session.get(PaymentAllocation, allocation_id)
    if original is None or original.payment_id != payment.id:
        raise NotFound("allocation", allocation_id)
    if original.reverses_id is not None:
        raise DomainError("This row reverses another allocation and cannot be undone itself.",
                          code="is_reversal")
    if uow.session.scalar(select(PaymentAllocation.id).where(PaymentAllocation.reverses_id == original.id)):
        raise DomainError("This allocation was already undone.", code="already_undone")
    invoice = lock_invoices(uow, [original.invoice_id])[original.invoice_id]
    reversal = _apply(uow, payment, invoice, -original.amount, reverses=original)
    _report_paid(uow, [(invoice, -original.amount)])
    announce_allocations(uow, [reversal])
    uow.commit()
    return reversal
