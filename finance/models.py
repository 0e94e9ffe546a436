"""Finance records: credit approvals, invoices, payments and their allocations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Quantity, Rate, Timestamp, UnitPrice
from core.errors import check_transition
from core.models import AppendOnly, Audited, Customer, Product
from core.money import ZERO


class CreditApproval(Audited, Base):
    """Finance's approval of one sales order over the customer's credit limit, with a reason.
    It lets that order (and only it, up to `approved_total`) through the credit check."""

    __tablename__ = "finance_credit_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("crm_sales_order.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    approved_total: Mapped[Money]
    reason: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    approved_at: Mapped[Timestamp]
    used_at: Mapped[datetime | None]


# --------------------------------------------------------------------------- invoices and payments


class InvoiceState(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"


#: Posted invoices that still count as receivable (their open amount may be zero only when paid).
OPEN_INVOICE_STATES = (InvoiceState.POSTED.value, InvoiceState.PARTIALLY_PAID.value)


class Invoice(Audited, Base):
    """A customer invoice. Its `paid_amount` is the sum of its payment allocations (reversals
    included); the state follows it. `untaxed`, `tax` and `total` are what the invoice charges net
    of its posted credit notes (`credited_amount`, gross); the amounts as issued are the lines' sums
    (`issued_total`). A draft can be discarded; a posted invoice is cancelled only by a credit note
    that credits all of it."""

    __tablename__ = "finance_invoice"
    __table_args__ = (Index("ix_finance_invoice_customer_state", "customer_id", "state"),)

    TRANSITIONS: ClassVar[dict[InvoiceState, set[InvoiceState]]] = {
        InvoiceState.DRAFT: {InvoiceState.POSTED, InvoiceState.CANCELLED},
        # cancelled: by a full credit note
        InvoiceState.POSTED: {InvoiceState.PARTIALLY_PAID, InvoiceState.PAID, InvoiceState.CANCELLED},
        InvoiceState.PARTIALLY_PAID: {InvoiceState.PAID, InvoiceState.POSTED},
        InvoiceState.PAID: {InvoiceState.PARTIALLY_PAID, InvoiceState.POSTED},
        InvoiceState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"))
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=InvoiceState.DRAFT.value, index=True)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    untaxed: Mapped[Money] = mapped_column(default=ZERO)
    tax: Mapped[Money] = mapped_column(default=ZERO)
    total: Mapped[Money] = mapped_column(default=ZERO)
    paid_amount: Mapped[Money] = mapped_column(default=ZERO)
    credited_amount: Mapped[Money] = mapped_column(default=ZERO)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]
    posted_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan", lazy="selectin")

    @property
    def open_amount(self) -> Decimal:
        if self.state not in OPEN_INVOICE_STATES:
            return ZERO
        return self.total - (self.paid_amount or ZERO)

    @property
    def issued_total(self) -> Decimal:
        """The gross amount as first issued (before credit notes)."""
        return self.total + (self.credited_amount or ZERO)

    def days_overdue(self, on: date) -> int:
        return max((on - self.due_date).days, 0)

    def move_to(self, target: InvoiceState) -> None:
        if target != self.state:
            check_transition("invoice", self.state, target, self.TRANSITIONS)
            self.state = target.value

    def follow_payments(self) -> None:
        """The state after the paid amount changed."""
        paid = self.paid_amount or ZERO
        self.move_to(InvoiceState.POSTED if paid <= 0 else InvoiceState.PAID if paid >= self.total
                     else InvoiceState.PARTIALLY_PAID)


class InvoiceLine(Audited, Base):
    __tablename__ = "finance_invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("finance_invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sales_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order_line.id"), index=True)
    # an invoice from explicit lines may bill something that is not a product (a service, a deposit)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("core_product.id"))
    description: Mapped[str | None] = mapped_column(String(200))
    qty: Mapped[Quantity]
    unit_price: Mapped[UnitPrice]
    discount: Mapped[Rate] = mapped_column(default=ZERO)
    tax_rate: Mapped[Rate]
    untaxed: Mapped[Money]
    tax: Mapped[Money]
    total: Mapped[Money]

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """What the line bills, as printed: its description, else the product's SKU and name."""
        if self.description:
            return self.description
        return f"{self.product.sku} {self.product.name}" if self.product is not None else ""


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"
    CARD = "card"
    OTHER = "other"


class Payment(Audited, Base):
    """A customer receipt. `allocated_amount` is the sum of its allocations (reversals included),
    `refunded_amount` the sum of its refund parts; what is left is the customer's unapplied credit."""

    __tablename__ = "finance_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    amount: Mapped[Money]
    allocated_amount: Mapped[Money] = mapped_column(default=ZERO)
    refunded_amount: Mapped[Money] = mapped_column(default=ZERO)  # paid back (finance.payments.refunds)
    payment_date: Mapped[date] = mapped_column(Date, index=True)
    method: Mapped[str] = mapped_column(String(20), default=PaymentMethod.BANK_TRANSFER.value)
    reference: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id", lazy="selectin")

    @property
    def unapplied(self) -> Decimal:
        return self.amount - (self.allocated_amount or ZERO) - (self.refunded_amount or ZERO)


class PaymentAllocation(AppendOnly, Audited, Base):
    """Append-only: a part of a payment applied to an invoice. Undoing one writes a reversing row
    (negative amount, `reverses_id` pointing at the original); a row is never edited."""

    __tablename__ = "finance_payment_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("finance_payment.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("finance_invoice.id"), index=True)
    amount: Mapped[Money]
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("finance_payment_allocation.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship(lazy="joined", innerjoin=True)


# --------------------------------------------------------------------------- credit notes and refunds


class CreditNoteKind(StrEnum):
    RETURN = "return"  # a quantity of invoiced lines comes back
    PRICE_CORRECTION = "price_correction"  # an untaxed amount off invoiced lines


class CreditNote(Audited, Base):
    """A posted credit note against one invoice (`finance.invoicing.credit_notes`). Its amounts are the sums of
    its lines, each rounded to the cent like invoice lines; `to_unapplied_credit` is the part the
    invoice had already been paid, released to the customer's unapplied credit."""

    __tablename__ = "finance_credit_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("finance_invoice.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    credit_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("core_warehouse.id"))
    untaxed: Mapped[Money]
    tax: Mapped[Money]
    total: Mapped[Money]
    to_unapplied_credit: Mapped[Money] = mapped_column(default=ZERO)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    invoice: Mapped[Invoice] = relationship(lazy="joined", innerjoin=True)
    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.position", cascade="all, delete-orphan",
        lazy="selectin")


class CreditNoteLine(Audited, Base):
    __tablename__ = "finance_credit_note_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("finance_credit_note.id", ondelete="CASCADE"),
                                                index=True)
    position: Mapped[int] = mapped_column(Integer)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("finance_invoice_line.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("core_product.id"))  # as on the invoice line
    qty: Mapped[Quantity] = mapped_column(default=ZERO)  # returned; 0 on a price correction
    untaxed: Mapped[Money]
    tax: Mapped[Money]
    total: Mapped[Money]
    restocked: Mapped[bool] = mapped_column(default=False)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))  # the cost the returned goods came back into stock at

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")
    invoice_line: Mapped[InvoiceLine] = relationship(lazy="joined", innerjoin=True)
    product: Mapped[Product | None] = relationship(lazy="joined")


class Refund(AppendOnly, Audited, Base):
    """Append-only: money paid back to a customer out of its unapplied credit. Undoing one writes a
    reversing row (negative amount, `reverses_id`); a row is never edited."""

    __tablename__ = "finance_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    amount: Mapped[Money]
    refund_date: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20), default=PaymentMethod.BANK_TRANSFER.value)
    reference: Mapped[str | None] = mapped_column(String(200))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("finance_refund.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    parts: Mapped[list[RefundPart]] = relationship(back_populates="refund", order_by="RefundPart.id",
                                                   lazy="selectin")


class RefundPart(AppendOnly, Audited, Base):
    """Append-only: the part of a refund taken from one payment's unapplied credit (signed like the refund)."""

    __tablename__ = "finance_refund_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("finance_refund.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("finance_payment.id"), index=True)
    amount: Mapped[Money]

    refund: Mapped[Refund] = relationship(back_populates="parts")
    payment: Mapped[Payment] = relationship(lazy="joined", innerjoin=True)
