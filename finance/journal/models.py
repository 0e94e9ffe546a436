"""The double-entry journal: a chart of accounts, and entries of balanced debit and credit lines.

Entries and lines are append-only (`core.models.AppendOnly`) and audited: a correction is a new
entry. The customer and product on a line are plain ids, not foreign keys, so that booking an entry
never waits on a customer or product row that another transaction holds locked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Timestamp
from core.models import AppendOnly, Audited
from core.money import ZERO


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    EXPENSE = "expense"


#: Accounts whose normal balance is a debit (the others' is a credit).
DEBIT_NORMAL = (AccountType.ASSET.value, AccountType.EXPENSE.value)


class Account(Audited, Base):
    """One account of the chart, keyed by its code (小企业会计准则 numbering; sub-accounts `2221.01`)."""

    __tablename__ = "finance_account"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL


class JournalEntry(AppendOnly, Audited, Base):
    """One balanced booking of one business act (`source_type` + `source_id` name it)."""

    __tablename__ = "finance_journal_entry"
    __table_args__ = (Index("ix_finance_journal_entry_source", "source_type", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    source_type: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[int | None] = mapped_column(Integer)
    memo: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", order_by="JournalLine.position", lazy="selectin")

    @property
    def total(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)


class JournalLine(AppendOnly, Audited, Base):
    """A debit or a credit (never both) to one account, optionally for one customer or product."""

    __tablename__ = "finance_journal_line"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="amounts_not_negative"),
        CheckConstraint("debit = 0 OR credit = 0", name="debit_or_credit"),
        Index("ix_finance_journal_line_account_customer", "account_code", "customer_id"),
        Index("ix_finance_journal_line_account_product", "account_code", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("finance_journal_entry.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    account_code: Mapped[str] = mapped_column(String(20), ForeignKey("finance_account.code"))
    debit: Mapped[Money] = mapped_column(default=ZERO)
    credit: Mapped[Money] = mapped_column(default=ZERO)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)
