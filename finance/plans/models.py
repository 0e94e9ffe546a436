"""Payment plans: an order's schedule of installments, each invoiced when its trigger happens.

An installment's status is derived, never written: `planned` until its trigger has happened,
then it follows its invoice (`invoiced`, `partially_paid`, `paid`); `cancelled` when the order was
cancelled before the installment was invoiced. Overdue is computed against a given day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Timestamp
from core.models import AppendOnly, Audited
from core.money import ZERO
from crm.orders.models import SalesOrder
from finance.models import OPEN_INVOICE_STATES, Invoice, InvoiceState


class InstallmentTrigger(StrEnum):
    ON_CONFIRMATION = "on_confirmation"
    ON_DELIVERY = "on_delivery"  # the order is fully shipped
    AFTER_ACCEPTANCE = "after_acceptance"  # finance or sales marked the order accepted
    ON_DATE = "on_date"  # a fixed date


class InstallmentStatus(StrEnum):
    PLANNED = "planned"
    INVOICED = "invoiced"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentPlan(Audited, Base):
    """One order's schedule of installments (at most one plan per order)."""

    __tablename__ = "finance_payment_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("crm_sales_order.id"), unique=True)
    template: Mapped[str | None] = mapped_column(String(40))
    accepted_on: Mapped[date | None] = mapped_column(Date)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    order: Mapped[SalesOrder] = relationship(lazy="joined", innerjoin=True)
    installments: Mapped[list[PaymentInstallment]] = relationship(
        back_populates="plan", order_by="PaymentInstallment.position", cascade="all, delete-orphan",
        lazy="selectin")

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.installments), ZERO)


class PaymentInstallment(Audited, Base):
    """One installment: a percentage of the order total or a fixed amount (`amount` is what it bills,
    to the cent), a trigger and the days after it when payment is due."""

    __tablename__ = "finance_payment_installment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("finance_payment_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(80))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    fixed_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    amount: Mapped[Money]
    trigger: Mapped[str] = mapped_column(String(20))
    days_after: Mapped[int] = mapped_column(Integer, default=0)
    fixed_date: Mapped[date | None] = mapped_column(Date)
    triggered_on: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("finance_invoice.id"), unique=True)

    plan: Mapped[PaymentPlan] = relationship(back_populates="installments")
    invoice: Mapped[Invoice | None] = relationship(lazy="joined")

    def status(self, *, order_cancelled: bool = False) -> InstallmentStatus:
        invoice = self.invoice
        if invoice is None or invoice.state == InvoiceState.CANCELLED:
            return InstallmentStatus.CANCELLED if order_cancelled else InstallmentStatus.PLANNED
        if invoice.state == InvoiceState.PAID:
            return InstallmentStatus.PAID
        if invoice.state == InvoiceState.PARTIALLY_PAID:
            return InstallmentStatus.PARTIALLY_PAID
        return InstallmentStatus.INVOICED

    @property
    def paid_amount(self) -> Decimal:
        return (self.invoice.paid_amount or ZERO) if self.invoice is not None else ZERO

    @property
    def open_amount(self) -> Decimal:
        invoice = self.invoice
        return invoice.open_amount if invoice is not None and invoice.state in OPEN_INVOICE_STATES else ZERO

    def overdue(self, on: date) -> bool:
        return self.due_date is not None and self.due_date < on and self.open_amount > 0


class InstallmentReminder(AppendOnly, Base):
    """A reminder sent to the order's owner about one installment; one row per installment and kind
    (`before`, `after_<days>`), so that no reminder is ever sent twice."""

    __tablename__ = "finance_installment_reminder"
    __table_args__ = (UniqueConstraint("installment_id", "kind", name="uq_finance_installment_reminder_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("finance_payment_installment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sent_on: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]
