"""Quotes and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamp
from core.errors import DomainError, check_transition
from core.models import Audited, Customer, Product
from core.money import ZERO
from crm.totals import DocumentTotals, LineTotals


class QuoteState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"      # ready to be accepted by the customer
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class Quote(DocumentTotals, Audited, Base):
    __tablename__ = "crm_quote"
    __table_args__ = (UniqueConstraint("number", "version"),)

    TRANSITIONS: ClassVar[dict[QuoteState, set[QuoteState]]] = {
        QuoteState.DRAFT: {QuoteState.PENDING_APPROVAL, QuoteState.APPROVED, QuoteState.SUPERSEDED},
        QuoteState.PENDING_APPROVAL: {QuoteState.APPROVED, QuoteState.DRAFT, QuoteState.SUPERSEDED},
        QuoteState.APPROVED: {QuoteState.ACCEPTED, QuoteState.REJECTED, QuoteState.SUPERSEDED},
        QuoteState.ACCEPTED: set(),
        QuoteState.REJECTED: {QuoteState.SUPERSEDED},
        QuoteState.SUPERSEDED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=QuoteState.DRAFT.value, index=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    note: Mapped[str | None] = mapped_column(Text)
    # untaxed, tax, total: DocumentTotals
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    approved_at: Mapped[datetime | None]
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[QuoteLine]] = relationship(back_populates="quote", order_by="QuoteLine.position",
                                                  cascade="all, delete-orphan", lazy="selectin")

    @property
    def label(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def max_discount(self) -> Decimal:
        return max((line.discount or ZERO for line in self.lines), default=ZERO)

    def ensure_draft(self) -> None:
        if self.state != QuoteState.DRAFT:
            raise DomainError(f"Quote {self.label} is {self.state}; only a draft can be changed.", code="not_editable")

    def set_lines(self, lines: list[tuple[Product, Decimal, Decimal | None, Decimal]]) -> None:
        self.ensure_draft()
        self.lines.clear()
        for position, (product, qty, unit_price, discount) in enumerate(lines, start=1):
            line = QuoteLine(product_id=product.id, product=product, position=position, qty=qty,
                             unit_price=product.list_price if unit_price is None else unit_price,
                             discount=discount, tax_rate=product.tax_rate)
            line.compute()
            self.lines.append(line)
        self.compute_totals()

    # -- transitions
    def submit(self, *, threshold: Decimal) -> None:
        if not self.lines:
            raise DomainError(f"Quote {self.label} has no lines.", code="empty_quote")
        target = QuoteState.PENDING_APPROVAL if self.max_discount > threshold else QuoteState.APPROVED
        check_transition("quote", self.state, target, self.TRANSITIONS)
        self.state = target.value

    def approve(self, *, by: int, at: datetime) -> None:
        check_transition("quote", self.state, QuoteState.APPROVED, self.TRANSITIONS)
        self.state, self.approved_by_id, self.approved_at = QuoteState.APPROVED.value, by, at

    def send_back(self) -> None:
        if self.state != QuoteState.PENDING_APPROVAL:
            check_transition("quote", self.state, QuoteState.DRAFT, {})
        self.state = QuoteState.DRAFT.value

    def accept(self, *, sales_order_id: int) -> None:
        self.ensure_acceptable()
        self.state, self.sales_order_id = QuoteState.ACCEPTED.value, sales_order_id

    def ensure_acceptable(self) -> None:
        if self.state == QuoteState.PENDING_APPROVAL:
            raise DomainError(f"Quote {self.label} gives a discount of {self.max_discount:%} and waits for a "
                              "sales manager's approval; it cannot be accepted yet.", code="approval_required")
        check_transition("quote", self.state, QuoteState.ACCEPTED, self.TRANSITIONS)

    def reject(self) -> None:
        check_transition("quote", self.state, QuoteState.REJECTED, self.TRANSITIONS)
        self.state = QuoteState.REJECTED.value

    def supersede(self) -> None:
        check_transition("quote", self.state, QuoteState.SUPERSEDED, self.TRANSITIONS)
        self.state = QuoteState.SUPERSEDED.value


class QuoteLine(LineTotals, Audited, Base):
    __tablename__ = "crm_quote_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("crm_quote.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"))
    # qty, unit_price, discount, tax_rate, untaxed, tax, total: LineTotals

    quote: Mapped[Quote] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
