"""Bank accounts, imported bank statements and their lines, as reconciliation sees them.

A statement line is born `unmatched`, `suggested` or `matched` by the automatic matching on import
(an `unmatched` or `suggested` one may be matched again later, `finance.bank.services.rematch_statement`);
a finance user then reconciles it (the line is tied to a payment) or ignores it (a bank fee, a
transfer between own accounts). A reconciled line never changes again."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Timestamp
from core.errors import check_transition
from core.models import Audited

DEFAULT_CURRENCY = "CNY"

#: The columns a mapping may name: the field of a line each CSV column fills.
MAPPING_FIELDS = ("date", "amount", "credit", "debit", "reference", "counterparty", "line_id", "currency")


class BankAccount(Audited, Base):
    """One of the company's bank accounts, with how its bank's CSV export is read: `mapping` names
    the CSV column of each field (`date`; `amount` signed, or `credit` and `debit`; `reference`,
    `counterparty`, and optionally `line_id` and `currency`), `date_format` (strptime) and
    `decimal_separator`."""

    __tablename__ = "finance_bank_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    account_number: Mapped[str] = mapped_column(String(60), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    date_format: Mapped[str] = mapped_column(String(40), default="%Y-%m-%d")
    decimal_separator: Mapped[str] = mapped_column(String(1), default=".")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]


class BankStatement(Audited, Base):
    """One imported file. The same file (same content hash) is never imported twice into an account."""

    __tablename__ = "finance_bank_statement"
    __table_args__ = (UniqueConstraint("bank_account_id", "file_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("finance_bank_account.id"), index=True)
    file_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    imported_at: Mapped[Timestamp]

    bank_account: Mapped[BankAccount] = relationship(lazy="joined", innerjoin=True)


class LineState(StrEnum):
    UNMATCHED = "unmatched"
    SUGGESTED = "suggested"
    MATCHED = "matched"
    RECONCILED = "reconciled"
    IGNORED = "ignored"


class StatementLine(Audited, Base):
    """One movement on a statement: `amount` is signed (money in is positive). `fingerprint` is the
    bank's own line id when the export has one, else a hash of account, date, amount, reference and
    counterparty; it is unique per account, so a line is imported once however many files carry it.

    `invoice_ids` are the invoices the matching found (matched: the ones to pay, in order; suggested:
    the candidates), `payment_id` the payment it matched or was reconciled to, `rule` why it matched."""

    __tablename__ = "finance_statement_line"
    __table_args__ = (UniqueConstraint("bank_account_id", "fingerprint"),
                      Index("ix_finance_statement_line_statement_state", "statement_id", "state"))

    TRANSITIONS: ClassVar[dict[LineState, set[LineState]]] = {
        LineState.UNMATCHED: {LineState.RECONCILED, LineState.IGNORED},
        LineState.SUGGESTED: {LineState.RECONCILED, LineState.IGNORED},
        LineState.MATCHED: {LineState.RECONCILED, LineState.IGNORED},
        LineState.IGNORED: set(),
        LineState.RECONCILED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("finance_bank_statement.id"))
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("finance_bank_account.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    line_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Money]
    reference: Mapped[str] = mapped_column(String(300), default="")
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    bank_line_id: Mapped[str | None] = mapped_column(String(80))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=LineState.UNMATCHED.value)
    rule: Mapped[str | None] = mapped_column(String(30))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer.id"))
    invoice_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("finance_payment.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    reconciled_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    reconciled_at: Mapped[datetime | None]

    statement: Mapped[BankStatement] = relationship()

    @property
    def is_credit(self) -> bool:
        return self.amount > Decimal(0)

    @property
    def open(self) -> bool:
        return self.state not in (LineState.RECONCILED, LineState.IGNORED)

    def reconcile(self, *, payment_id: int, by: int | None, at: datetime) -> None:
        check_transition("statement line", self.state, LineState.RECONCILED, self.TRANSITIONS)
        self.state, self.payment_id = LineState.RECONCILED.value, payment_id
        self.reconciled_by_id, self.reconciled_at = by, at

    def ignore(self, *, reason: str, by: int | None, at: datetime) -> None:
        check_transition("statement line", self.state, LineState.IGNORED, self.TRANSITIONS)
        self.state, self.note = LineState.IGNORED.value, reason
        self.reconciled_by_id, self.reconciled_at = by, at

    def rematch(self, *, state: str, rule: str | None, customer_id: int | None, invoice_ids: list[int],
                payment_id: int | None) -> bool:
        """The outcome of matching the line again (only an `unmatched` or `suggested` line is matched
        again); False when nothing changes."""
        if self.state not in (LineState.UNMATCHED, LineState.SUGGESTED):
            raise ValueError(f"A {self.state} statement line is not matched again.")
        new = (state, rule, customer_id, list(invoice_ids), payment_id)
        if (self.state, self.rule, self.customer_id, list(self.invoice_ids or []), self.payment_id) == new:
            return False
        self.state, self.rule, self.customer_id, self.invoice_ids, self.payment_id = new
        return True
