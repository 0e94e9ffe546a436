"""What the finance module announces. Frozen, past tense, ids and values only.

Amounts are positive Decimals rounded to the cent; a subscriber (the journal) books them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.events import Event


@dataclass(frozen=True)
class InvoicePosted(Event):
    """Invoice `invoice_id` was posted (left draft): the customer owes `total` (= untaxed + tax)."""

    invoice_id: int
    number: str
    customer_id: int
    sales_order_id: int | None
    invoice_date: date
    untaxed: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class PaymentRecorded(Event):
    """Money received from a customer; what no allocation applies is the customer's unapplied credit."""

    payment_id: int
    number: str
    customer_id: int
    amount: Decimal
    payment_date: date
    method: str


@dataclass(frozen=True)
class PaymentAllocated(Event):
    """Row `allocation_id` applied `amount` of payment `payment_id` (of customer `customer_id`) to
    invoice `invoice_id`."""

    allocation_id: int
    payment_id: int
    payment_number: str
    invoice_id: int
    invoice_number: str
    customer_id: int
    amount: Decimal
    allocated_on: date


@dataclass(frozen=True)
class AllocationUndone(Event):
    """Row `allocation_id` reversed allocation `undone_allocation_id`: `amount` went back from invoice
    `invoice_id` to the unapplied credit of payment `payment_id` (a clerk's undo, or a credit note
    releasing what the invoice had been paid beyond what it now charges)."""

    allocation_id: int
    undone_allocation_id: int
    payment_id: int
    payment_number: str
    invoice_id: int
    invoice_number: str
    customer_id: int
    amount: Decimal
    undone_on: date


@dataclass(frozen=True)
class CreditedLine:
    """One line of a credit note: a returned quantity (`qty` > 0) or a price correction (`qty` 0)."""

    invoice_line_id: int
    product_id: int | None
    qty: Decimal
    untaxed: Decimal
    tax: Decimal
    restocked: bool  # the returned quantity came back into stock (at `warehouse_id` of the event)
    unit_cost: Decimal | None = None  # the unit cost it came back at (stock move of kind `return`)


@dataclass(frozen=True)
class CreditNotePosted(Event):
    """A posted credit note reduced invoice `invoice_id` by `total` (= untaxed + tax).
    `to_unapplied_credit` is the part of it that the invoice had already been paid: those payment
    allocations were released and the money is now the customer's unapplied credit (open to apply
    to another invoice or to refund). `invoice_cancelled`: the note credited the whole invoice."""

    credit_note_id: int
    number: str
    invoice_id: int
    customer_id: int
    sales_order_id: int | None
    credit_date: date
    reason: str  # "return" or "price_correction"
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    to_unapplied_credit: Decimal
    invoice_cancelled: bool
    warehouse_id: int | None
    lines: tuple[CreditedLine, ...]


@dataclass(frozen=True)
class RefundRecorded(Event):
    """Money paid back to a customer out of its unapplied credit (overpayments, released credit)."""

    refund_id: int
    number: str
    customer_id: int
    amount: Decimal
    refund_date: date
    method: str
    payment_ids: tuple[int, ...]  # the payments whose unapplied credit the refund used


@dataclass(frozen=True)
class RefundUndone(Event):
    """A refund recorded by mistake was reversed by row `reversal_id`: the credit is unapplied again."""

    refund_id: int
    reversal_id: int
    customer_id: int
    amount: Decimal
    undone_on: date
