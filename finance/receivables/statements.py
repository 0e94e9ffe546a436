"""The customer statement: what a customer was billed and paid over a period, and what is left.

`statement_data` reads it (finance's right to read receivables, any customer); `render_statement`
prints it with reportlab, plain data in and PDF bytes out, with Chinese and English labels.

The rules:

- The balance is what the customer owes on the books: the invoices as issued (posted ones, also
  those a credit note has cancelled since; drafts and discarded drafts never count), less credit
  notes, less the payments received, plus refunds paid back. A payment counts when it is received,
  whether or not it is allocated yet, so unapplied credit lowers the balance.
- Opening balance: all of that dated before `from`. Lines: invoices, credit notes, payments and
  refunds (an undone refund as a negative one) dated from `from` to `to`, by date and in that order
  on the same day, each with the running balance. Closing balance = opening + debits - credits.
- Each payment line names the invoices it is applied to now (allocations net of undone ones).
- The aging line is the customer's row of the aging report on `to`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core import pdf
from core.errors import InvalidInput, NotFound
from core.models import Customer, User
from core.money import ZERO
from core.registry import permissions_of
from finance.models import CreditNote, Invoice, InvoiceState, Payment, PaymentAllocation, Refund
from finance.queries import BILLED_INVOICE_STATES, BUCKETS, aging_rows


@dataclass(frozen=True)
class StatementLine:
    day: date
    kind: str  # "invoice", "credit_note", "payment" or "refund"
    number: str
    detail: str
    debit: Decimal  # invoiced, refunded
    credit: Decimal  # received, credited
    balance: Decimal  # running balance after this line


@dataclass(frozen=True)
class StatementData:
    customer_code: str
    customer_name: str
    start: date
    end: date
    currency: str
    opening: Decimal
    lines: Sequence[StatementLine]
    aging: dict[str, Decimal] = field(default_factory=dict)  # bucket -> open amount on `end`
    company: str = pdf.DEFAULT_COMPANY

    @property
    def invoiced(self) -> Decimal:
        """The period's debits: invoices as issued and refunds."""
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def received(self) -> Decimal:
        """The period's credits: payments and credit notes."""
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.invoiced - self.received


def statement_data(session: Session, actor: User | None, customer_id: int, *, start: date, end: date,
                   company: str = pdf.DEFAULT_COMPANY) -> StatementData:
    """The customer's statement from `start` to `end` (both included)."""
    if actor is not None:
        permissions_of(session).require(actor, "read", "receivable")
    if start > end:
        raise InvalidInput({"from": ["The period starts after it ends."]}, message="No statement for that period.")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    billed = (Invoice.customer_id == customer_id,
              or_(Invoice.state.in_(BILLED_INVOICE_STATES),
                  and_(Invoice.state == InvoiceState.CANCELLED.value, Invoice.posted_at.is_not(None))))
    issued = Invoice.total + Invoice.credited_amount

    def before(amount, day_column, *where) -> Decimal:
        return Decimal(session.scalar(select(func.coalesce(func.sum(amount), 0))
                                      .where(*where, day_column < start)) or 0)

    opening = (before(issued, Invoice.invoice_date, *billed)
               - before(CreditNote.total, CreditNote.credit_date, CreditNote.customer_id == customer_id)
               - before(Payment.amount, Payment.payment_date, Payment.customer_id == customer_id)
               + before(Refund.amount, Refund.refund_date, Refund.customer_id == customer_id))

    invoices = session.scalars(select(Invoice).where(*billed, Invoice.invoice_date >= start,
                                                     Invoice.invoice_date <= end)
                               .order_by(Invoice.invoice_date, Invoice.id)).all()
    payments = session.scalars(select(Payment).where(Payment.customer_id == customer_id,
                                                     Payment.payment_date >= start, Payment.payment_date <= end)
                               .order_by(Payment.payment_date, Payment.id)).all()
    applied: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if payments:
        rows = session.execute(select(PaymentAllocation.payment_id, Invoice.number, PaymentAllocation.amount)
                               .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
                               .where(PaymentAllocation.payment_id.in_([p.id for p in payments]))
                               .order_by(PaymentAllocation.id))
        for payment_id, number, amount in rows:
            applied[payment_id][number] += amount

    notes = session.scalars(select(CreditNote).where(CreditNote.customer_id == customer_id,
                                                     CreditNote.credit_date >= start, CreditNote.credit_date <= end)
                            .order_by(CreditNote.credit_date, CreditNote.id)).all()
    refunds = session.scalars(select(Refund).where(Refund.customer_id == customer_id, Refund.refund_date >= start,
                                                   Refund.refund_date <= end)
                              .order_by(Refund.refund_date, Refund.id)).all()

    entries: list[tuple[date, int, int, str, str, str, Decimal, Decimal]] = []
    for inv in invoices:
        entries.append((inv.invoice_date, 0, inv.id, "invoice", inv.number,
                        f"发票 Invoice, 到期 due {inv.due_date.isoformat()}", inv.issued_total, ZERO))
    for note in notes:
        entries.append((note.credit_date, 1, note.id, "credit_note", note.number,
                        f"红字发票 Credit note, {KINDS.get(note.kind, note.kind)}: {note.invoice.number}", ZERO,
                        note.total))
    for pay in payments:
        parts = [f"{number} {pdf.money(amount)}" for number, amount in applied[pay.id].items() if amount]
        detail = f"收款 Payment ({METHODS.get(pay.method, pay.method)})" + (f" {pay.reference}" if pay.reference else "")
        detail += f"; 核销 applied: {', '.join(parts)}" if parts else "; 未核销 unapplied"
        unapplied = pay.amount - sum((a for a in applied[pay.id].values()), ZERO)
        if parts and unapplied > 0:
            detail += f"; 未核销 unapplied {pdf.money(unapplied)}"
        entries.append((pay.payment_date, 2, pay.id, "payment", pay.number, detail, ZERO, pay.amount))
    for refund in refunds:
        detail = ("退款冲回 Refund undone" if refund.reverses_id else
                  f"退款 Refund ({METHODS.get(refund.method, refund.method)})")
        entries.append((refund.refund_date, 3, refund.id, "refund", refund.number,
                        detail + (f" {refund.reference}" if refund.reference else ""), refund.amount, ZERO))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    balance = opening
    lines = []
    for day, _order, _id, kind, number, detail, debit, credit in entries:
        balance += debit - credit
        lines.append(StatementLine(day, kind, number, detail, debit, credit, balance))

    rows, _totals = aging_rows(session, as_of=end, customer_id=customer_id)
    buckets = rows[0].buckets if rows else dict.fromkeys(BUCKETS, ZERO)
    return StatementData(customer.code, customer.name, start, end, "CNY", opening, lines, dict(buckets),
                         company=company)


# --------------------------------------------------------------------------- printing

METHODS = {"bank_transfer": "银行转账 bank transfer", "cash": "现金 cash", "cheque": "支票 cheque",
           "card": "银行卡 card", "other": "其他 other"}
KINDS = {"return": "退货 return", "price_correction": "价格更正 price correction"}

COLUMNS = (
    pdf.Column("日期 Date", 1.25), pdf.Column("单号 Number", 1.6), pdf.Column("摘要 Details", 3.0),
    pdf.Column("借方 Debit", 1.05, numeric=True), pdf.Column("贷方 Credit", 1.05, numeric=True),
    pdf.Column("余额 Balance", 1.1, numeric=True),
)
AGING_COLUMNS = (
    pdf.Column("未到期 Not yet due", 1, numeric=True), pdf.Column("1–30天 days", 1, numeric=True),
    pdf.Column("31–60天 days", 1, numeric=True), pdf.Column("61–90天 days", 1, numeric=True),
    pdf.Column("90天以上 Over 90 days", 1, numeric=True), pdf.Column("合计 Total", 1, numeric=True),
)


def statement(data: StatementData) -> pdf.Document:
    rows = [[data.start.isoformat(), "", "期初余额 Opening balance", "", "", pdf.money(data.opening)]]
    rows += [[line.day.isoformat(), line.number, line.detail, pdf.money(line.debit) if line.debit else "",
              pdf.money(line.credit) if line.credit else "", pdf.money(line.balance)] for line in data.lines]
    aging_row = [pdf.money(data.aging.get(key, ZERO)) for key in BUCKETS]
    aging_row.append(pdf.money(sum(data.aging.values(), ZERO)))
    return pdf.Document(
        title="客户对账单 Customer statement",
        number=f"{data.customer_code} {data.start.isoformat()} – {data.end.isoformat()}", company=data.company,
        meta=[("客户 Customer", f"{data.customer_code} — {data.customer_name}"),
              ("期间 Period", f"{data.start.isoformat()} – {data.end.isoformat()}"),
              ("币种 Currency", data.currency),
              ("期初余额 Opening balance", pdf.money(data.opening)),
              ("期末余额 Closing balance", pdf.money(data.closing))],
        sections=[
            pdf.Section(columns=COLUMNS, rows=rows, title="往来明细 Invoices and payments",
                        totals=[data.end.isoformat(), "", "期末余额 Closing balance", pdf.money(data.invoiced),
                                pdf.money(data.received), pdf.money(data.closing)]),
            pdf.Section(columns=AGING_COLUMNS, rows=[aging_row],
                        title=f"账龄 Aging on {data.end.isoformat()}"),
        ],
        notes=["如对账单有误，请于收到后十五日内与我司财务部联系。"
               " Please tell our finance department within 15 days if anything on this statement is wrong."],
    )


def render_statement(data: StatementData) -> bytes:
    return pdf.render(statement(data))
