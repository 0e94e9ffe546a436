"""The double-entry journal: what each business act books, and the check that the books agree.

Every posted invoice, credit note, payment, allocation (and its undo), refund and every valued stock
move is booked as one balanced entry in the same transaction as the act itself:

* The acts announce what they did with domain events: inventory's `StockMoved` (every stock move,
  whichever module posts it: lower modules know nothing of the journal), finance's `InvoicePosted`,
  `PaymentRecorded`, `PaymentAllocated`, `AllocationUndone`, `CreditNotePosted`, `RefundRecorded`,
  `RefundUndone`, and crm's `CustomersMerged`. The `book_*` handlers below, subscribed by
  `finance.init_journal`, note them for the transaction.
* When every other handler of the act has run, right before the transaction commits, the unit of work
  announces `core.events.ActSettled` and `book_pending` turns what was noted into entries, seeing the
  whole act at once (a payment allocated in the act it is received in is one entry). An entry whose
  debits and credits differ is refused (`UnbalancedEntry`), and the whole act rolls back. Booking last
  also means the journal's number counter is locked only for the last moment of the transaction,
  after every other row lock the act takes.

The booking rules are `ACCOUNTS` and the functions below; `check` proves the invariants (see
docs/finance.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import DomainError, NotFound
from core.events import ActSettled, Event
from core.models import Customer, Product, ProductKind, User
from core.money import ZERO, round_money, round_qty
from core.numbering import next_numbers
from core.queries import Page, paginate, search
from core.registry import permissions_of
from core.uow import UnitOfWork
from crm.events import CustomersMerged
from finance.events import (
    AllocationUndone,
    CreditNotePosted,
    InvoicePosted,
    PaymentAllocated,
    PaymentRecorded,
    RefundRecorded,
    RefundUndone,
)
from finance.journal.models import Account, AccountType, JournalEntry, JournalLine
from finance.models import OPEN_INVOICE_STATES, Invoice, Payment, PaymentMethod, Refund
from inventory.events import StockMoved
from inventory.models import MoveKind, StockMove

#: The default chart of accounts (小企业会计准则 2013 codes), seeded by the journal's migration.
ACCOUNTS: tuple[tuple[str, str, str, AccountType], ...] = (
    ("1001", "Cash on hand", "库存现金", AccountType.ASSET),
    ("1002", "Bank deposits", "银行存款", AccountType.ASSET),
    ("1122", "Accounts receivable", "应收账款", AccountType.ASSET),
    ("1403", "Raw materials", "原材料", AccountType.ASSET),
    ("1405", "Finished goods", "库存商品", AccountType.ASSET),
    ("1901", "Unsettled asset gains and losses", "待处理财产损溢", AccountType.ASSET),
    ("2202", "Accounts payable", "应付账款", AccountType.LIABILITY),
    ("2202.01", "Accounts payable - goods received not invoiced", "应付账款—暂估应付", AccountType.LIABILITY),
    ("2203", "Advances from customers", "预收账款", AccountType.LIABILITY),
    ("2221.01", "VAT payable - output VAT", "应交税费—应交增值税(销项税额)", AccountType.LIABILITY),
    ("3103", "Profit of the year", "本年利润", AccountType.EQUITY),
    ("3104", "Profit distribution - opening balances", "利润分配—未分配利润(期初)", AccountType.EQUITY),
    ("4001", "Production cost (work in progress)", "生产成本", AccountType.ASSET),
    ("5001", "Main business revenue", "主营业务收入", AccountType.REVENUE),
    ("5401", "Main business cost (cost of goods sold)", "主营业务成本", AccountType.EXPENSE),
)

CASH, BANK, RECEIVABLE = "1001", "1002", "1122"
RAW_MATERIALS, FINISHED_GOODS, STOCK_DIFFERENCES = "1403", "1405", "1901"
GRNI, CUSTOMER_ADVANCES, OUTPUT_VAT = "2202.01", "2203", "2221.01"
OPENING_EQUITY, WIP, REVENUE, COGS = "3104", "4001", "5001", "5401"

#: Stock is valued on these accounts; `check` compares them with the stock ledger's valuation.
INVENTORY_ACCOUNTS = (RAW_MATERIALS, FINISHED_GOODS)
#: Made products are finished goods; bought ones are raw materials (and goods for resale).
INVENTORY_ACCOUNT_BY_KIND = {ProductKind.MAKE.value: FINISHED_GOODS, ProductKind.BUY.value: RAW_MATERIALS}
#: The other side of a stock move, by its kind (an adjustment: see `_stock_counter_account`); goods a
#: customer returns on a credit note (`return`) take their cost out of the cost of sales.
STOCK_COUNTER_ACCOUNT = {MoveKind.RECEIPT.value: GRNI, MoveKind.ISSUE.value: WIP,
                         MoveKind.PRODUCTION.value: WIP, MoveKind.SHIPMENT.value: COGS, "return": COGS}
#: Where money received or paid back goes, by payment method.
MONEY_ACCOUNT_BY_METHOD = {PaymentMethod.CASH.value: CASH}
OPENING_REASONS = ("opening", "期初")

PENDING = "journal_pending"


class UnbalancedEntry(DomainError):
    """An entry whose debits and credits differ is never written (the act rolls back)."""

    code = "unbalanced_entry"


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Leg:
    """One side of a booking: a signed amount (> 0 a debit, < 0 a credit) on an account."""

    account: str
    amount: Decimal
    customer_id: int | None = None
    product_id: int | None = None


@dataclass
class Draft:
    on: date
    source_type: str
    source_id: int | None
    memo: str
    legs: list[Leg] = field(default_factory=list)


def _lines_of(draft: Draft) -> list[tuple[str, Decimal, Decimal, int | None, int | None]]:
    """The draft's legs as (account, debit, credit, customer, product), zero legs left out;
    refused when an amount is not in cents or the debits and credits differ."""
    lines = []
    for leg in draft.legs:
        if leg.amount != round_money(leg.amount):
            raise UnbalancedEntry(f"{draft.memo}: {leg.amount} on {leg.account} is not an amount in cents.")
        if leg.amount:
            lines.append((leg.account, max(leg.amount, ZERO), max(-leg.amount, ZERO), leg.customer_id, leg.product_id))
    debit = sum((line[1] for line in lines), ZERO)
    credit = sum((line[2] for line in lines), ZERO)
    if debit != credit:
        raise UnbalancedEntry(f"The journal entry for {draft.memo} does not balance: debits {debit}, "
                              f"credits {credit}; nothing was booked.",
                              details={"debit": str(debit), "credit": str(credit), "source": draft.source_type})
    return lines


def write_entries(session: Session, drafts: Iterable[Draft]) -> list[JournalEntry]:
    """Append the drafts as numbered entries (`JE-YYYY-NNNNN`); all are checked before any is written.
    A draft whose legs are all zero books nothing."""
    checked = [(draft, lines) for draft in drafts if (lines := _lines_of(draft))]
    by_year: dict[int, list] = defaultdict(list)
    for item in checked:
        by_year[item[0].on.year].append(item)
    actor_id = session.info.get("actor_id")
    written = []
    for year in sorted(by_year):
        items = by_year[year]
        numbers = next_numbers(session, "JE", on=date(year, 1, 1), count=len(items))
        for number, (draft, lines) in zip(numbers, items, strict=True):
            entry = JournalEntry(number=number, entry_date=draft.on, source_type=draft.source_type,
                                 source_id=draft.source_id, memo=draft.memo[:300], created_by_id=actor_id)
            entry.lines = [JournalLine(position=index, account_code=account, debit=debit, credit=credit,
                                       customer_id=customer_id, product_id=product_id)
                           for index, (account, debit, credit, customer_id, product_id) in enumerate(lines, 1)]
            session.add(entry)
            written.append(entry)
    return written


# --------------------------------------------------------------------------- what each act books


def money_account(method: str | None) -> str:
    return MONEY_ACCOUNT_BY_METHOD.get(method or "", BANK)


def inventory_account(product: Product | None) -> str:
    return INVENTORY_ACCOUNT_BY_KIND.get(product.kind if product else "", RAW_MATERIALS)


def move_value(qty: Decimal, unit_cost: Decimal | None) -> Decimal:
    """A stock move's value to the cent: its quantity times its unit cost (as stored, 4 places)."""
    return round_money(round_qty(Decimal(qty)) * round_qty(Decimal(unit_cost or 0)))


def _stock_counter_account(move: StockMoved) -> str:
    if move.kind == MoveKind.ADJUSTMENT.value:
        reason = (move.reason or "").strip().lower()
        return OPENING_EQUITY if reason.startswith(OPENING_REASONS) else STOCK_DIFFERENCES
    return STOCK_COUNTER_ACCOUNT.get(move.kind, STOCK_DIFFERENCES)


def stock_move_draft(session: Session, move: StockMoved) -> Draft:
    """Inventory against the move's other side: GRNI on receipt, WIP on issue and completion, cost of
    sales on shipment and return, opening balances or stock differences on adjustment."""
    value = move_value(move.qty, move.unit_cost)
    product = session.get(Product, move.product_id)
    label = f"{move.kind} {move.reference or ''}".strip()
    return Draft(on=move.moved_at.date(), source_type="stock_move", source_id=move.move_id,
                 memo=f"Stock {label}: {move.qty} of {product.sku if product else move.product_id}",
                 legs=[Leg(inventory_account(product), value, product_id=move.product_id),
                       Leg(_stock_counter_account(move), -value, product_id=move.product_id)])


def invoice_draft(invoice: InvoicePosted) -> Draft:
    """Receivable from the customer against revenue and output VAT."""
    return Draft(on=invoice.invoice_date, source_type="invoice", source_id=invoice.invoice_id,
                 memo=f"Invoice {invoice.number}",
                 legs=[Leg(RECEIVABLE, invoice.total, customer_id=invoice.customer_id),
                       Leg(REVENUE, -invoice.untaxed, customer_id=invoice.customer_id),
                       Leg(OUTPUT_VAT, -invoice.tax, customer_id=invoice.customer_id)])


Allocation = PaymentAllocated | AllocationUndone


def allocated_amount(allocation: Allocation) -> Decimal:
    """What the allocation row applied to its invoice: negative for an undo."""
    return -allocation.amount if isinstance(allocation, AllocationUndone) else allocation.amount


def payment_draft(payment: PaymentRecorded, allocations: list[Allocation]) -> Draft:
    """Money in against receivable for what is allocated in the same act, and against customer
    advances for the rest (the unapplied part)."""
    allocated = sum((allocated_amount(a) for a in allocations), ZERO)
    return Draft(on=payment.payment_date, source_type="payment", source_id=payment.payment_id,
                 memo=f"Payment {payment.number} ({payment.method})",
                 legs=[Leg(money_account(payment.method), payment.amount, customer_id=payment.customer_id),
                       Leg(RECEIVABLE, -allocated, customer_id=payment.customer_id),
                       Leg(CUSTOMER_ADVANCES, allocated - payment.amount, customer_id=payment.customer_id)])


def allocation_draft(allocation: Allocation) -> Draft:
    """Unapplied credit applied to an invoice: advances against receivable (an undo books the reverse)."""
    undo = isinstance(allocation, AllocationUndone)
    amount = allocated_amount(allocation)
    return Draft(on=allocation.undone_on if undo else allocation.allocated_on, source_type="allocation",
                 source_id=allocation.allocation_id,
                 memo=f"{'Undo of allocation' if undo else 'Allocation'}: payment {allocation.payment_number} "
                      f"to invoice {allocation.invoice_number}",
                 legs=[Leg(CUSTOMER_ADVANCES, amount, customer_id=allocation.customer_id),
                       Leg(RECEIVABLE, -amount, customer_id=allocation.customer_id)])


def credit_note_draft(event: CreditNotePosted, released_by_rows: Decimal) -> Draft:
    """Revenue and output VAT back against receivable. The paid part the note released becomes unapplied
    credit: the allocation rows that released it (reversals, less what was re-applied) book it as
    allocations do, and any part released otherwise moves from receivable to customer advances here."""
    extra = event.to_unapplied_credit - released_by_rows
    customer = event.customer_id
    return Draft(on=event.credit_date, source_type="credit_note", source_id=event.credit_note_id,
                 memo=f"Credit note {event.number} ({event.reason})",
                 legs=[Leg(REVENUE, event.untaxed, customer_id=customer),
                       Leg(OUTPUT_VAT, event.tax, customer_id=customer),
                       Leg(RECEIVABLE, -event.total, customer_id=customer),
                       Leg(RECEIVABLE, extra, customer_id=customer),
                       Leg(CUSTOMER_ADVANCES, -extra, customer_id=customer)])


def refund_draft(event: RefundRecorded) -> Draft:
    """Customer advances paid back: advances against the money account of the method."""
    return Draft(on=event.refund_date, source_type="refund", source_id=event.refund_id,
                 memo=f"Refund {event.number} ({event.method})",
                 legs=[Leg(CUSTOMER_ADVANCES, event.amount, customer_id=event.customer_id),
                       Leg(money_account(event.method), -event.amount, customer_id=event.customer_id)])


def refund_undone_draft(session: Session, event: RefundUndone) -> Draft:
    """The exact reverse of the refund's entry, for the customer whose payments get the credit back (the
    kept customer, if the refund's customer was merged away since)."""
    original = session.scalars(select(JournalLine).join(JournalEntry).where(
        JournalEntry.source_type == "refund", JournalEntry.source_id == event.refund_id)).all()
    refund = session.get(Refund, event.refund_id)
    customer_id = refund.parts[0].payment.customer_id if refund is not None and refund.parts else event.customer_id
    legs = [Leg(line.account_code, line.credit - line.debit, customer_id if line.customer_id else None,
                line.product_id) for line in original]
    if not legs:  # the refund predates the journal: book the usual reverse on the bank
        legs = [Leg(BANK, event.amount, customer_id=customer_id),
                Leg(CUSTOMER_ADVANCES, -event.amount, customer_id=customer_id)]
    return Draft(on=event.undone_on, source_type="refund_undone", source_id=event.reversal_id,
                 memo=f"Refund {event.refund_id} undone", legs=legs)


def merge_draft(session: Session, event: CustomersMerged) -> Draft:
    """The merged-away customer's receivable and advances move to the kept customer (their invoices
    and payments were re-pointed in the same act)."""
    balances = session.execute(
        select(JournalLine.account_code, func.sum(JournalLine.debit) - func.sum(JournalLine.credit))
        .where(JournalLine.customer_id == event.drop_id, JournalLine.account_code.in_((RECEIVABLE, CUSTOMER_ADVANCES)))
        .group_by(JournalLine.account_code)).all()
    legs = []
    for account, balance in balances:
        amount = Decimal(balance or 0)
        legs += [Leg(account, -amount, customer_id=event.drop_id), Leg(account, amount, customer_id=event.keep_id)]
    return Draft(on=utcnow().date(), source_type="customer_merge", source_id=event.drop_id,
                 memo=f"Customer {event.drop_id} merged into {event.keep_id}", legs=legs)


# --------------------------------------------------------------------------- noting and booking


def _noted(session: Session) -> list[Event]:
    """The sources noted in the session's current transaction; a list left behind by a transaction
    that rolled back is dropped, so nothing of an act that did not happen is booked."""
    transaction = session.get_transaction()
    noted = session.info.get(PENDING)
    if noted is None or noted[0] is not transaction:
        noted = session.info[PENDING] = (transaction, [])
    return noted[1]


def _note(uow: UnitOfWork, event: Event) -> None:
    _noted(uow.session).append(event)


def book_stock_move(uow: UnitOfWork, event: StockMoved) -> None:
    """A stock move's value: booked when the act settles (`book_pending`)."""
    _note(uow, event)


def book_invoice(uow: UnitOfWork, event: InvoicePosted) -> None:
    _note(uow, event)


def book_payment(uow: UnitOfWork, event: PaymentRecorded) -> None:
    _note(uow, event)


def book_allocation(uow: UnitOfWork, event: PaymentAllocated) -> None:
    _note(uow, event)


def book_allocation_undone(uow: UnitOfWork, event: AllocationUndone) -> None:
    _note(uow, event)


def book_credit_note(uow: UnitOfWork, event: CreditNotePosted) -> None:
    _note(uow, event)


def book_refund(uow: UnitOfWork, event: RefundRecorded) -> None:
    _note(uow, event)


def book_refund_undone(uow: UnitOfWork, event: RefundUndone) -> None:
    _note(uow, event)


def book_customer_merge(uow: UnitOfWork, event: CustomersMerged) -> None:
    _note(uow, event)


def book_pending(uow: UnitOfWork, _event: ActSettled) -> None:
    """Book everything noted in this act, once all its other handlers have run, right before it commits:
    one entry per source; a payment takes the allocations made of it in the same act into its entry, and
    a credit note's entry sees the allocation rows that released its paid part."""
    session = uow.session
    noted = session.info.pop(PENDING, None)
    if noted is None or noted[0] is not session.get_transaction() or not noted[1]:
        return
    events = list(dict.fromkeys(noted[1]))  # in the order noted, each once
    new_payments = {e.payment_id: e for e in events if isinstance(e, PaymentRecorded)}
    allocations = [e for e in events if isinstance(e, PaymentAllocated | AllocationUndone)]
    drafts: list[Draft] = []
    for item in events:
        if isinstance(item, StockMoved):
            drafts.append(stock_move_draft(session, item))
        elif isinstance(item, InvoicePosted):
            drafts.append(invoice_draft(item))
    for payment in new_payments.values():
        drafts.append(payment_draft(payment, [a for a in allocations if a.payment_id == payment.payment_id]))
    drafts += [allocation_draft(a) for a in allocations if a.payment_id not in new_payments]
    for note in (e for e in events if isinstance(e, CreditNotePosted)):
        released = -sum((allocated_amount(a) for a in allocations if a.invoice_id == note.invoice_id), ZERO)
        drafts.append(credit_note_draft(note, released))
    drafts += [refund_draft(e) for e in events if isinstance(e, RefundRecorded)]
    drafts += [refund_undone_draft(session, e) for e in events if isinstance(e, RefundUndone)]
    write_entries(session, drafts)
    merges = [e for e in events if isinstance(e, CustomersMerged)]
    if merges:
        session.flush()  # the merge moves balances that include what was just booked
        write_entries(session, [merge_draft(session, e) for e in merges])


# --------------------------------------------------------------------------- reading the books


@dataclass(frozen=True)
class BalanceRow:
    account: Account
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """In the account's normal direction (debit for assets and expenses, credit otherwise)."""
        net = self.debit - self.credit
        return net if self.account.debit_normal else -net


def trial_balance(session: Session, actor: User | None, *, up_to: date | None = None) -> list[BalanceRow]:
    """Every account with its total debits and credits (of entries dated up to `up_to`)."""
    if actor is not None:
        permissions_of(session).require(actor, "read", "journal")
    stmt = (select(JournalLine.account_code, func.coalesce(func.sum(JournalLine.debit), 0),
                   func.coalesce(func.sum(JournalLine.credit), 0))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id).group_by(JournalLine.account_code))
    if up_to is not None:
        stmt = stmt.where(JournalEntry.entry_date <= up_to)
    sums = {code: (Decimal(d), Decimal(c)) for code, d, c in session.execute(stmt)}
    return [BalanceRow(account, *sums.get(account.code, (ZERO, ZERO)))
            for account in session.scalars(select(Account).order_by(Account.code))]


SOURCE_TYPES = ("invoice", "credit_note", "payment", "allocation", "refund", "refund_undone", "stock_move",
                "customer_merge", "opening")


def entries(session: Session, actor: User, *, date_from: date | None = None, date_to: date | None = None,
            account: str | None = None, source_type: str | None = None, customer_id: int | None = None,
            q: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Journal entries, newest first, filtered by date, account, source, customer, or number and memo."""
    permissions_of(session).require(actor, "read", "journal")
    stmt = select(JournalEntry)
    if date_from is not None:
        stmt = stmt.where(JournalEntry.entry_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(JournalEntry.entry_date <= date_to)
    if source_type:
        stmt = stmt.where(JournalEntry.source_type == source_type)
    if account or customer_id:
        lines = select(JournalLine.entry_id)
        if account:
            lines = lines.where(JournalLine.account_code == account)
        if customer_id:
            lines = lines.where(JournalLine.customer_id == customer_id)
        stmt = stmt.where(JournalEntry.id.in_(lines))
    if (found := search(q, JournalEntry.number, JournalEntry.memo)) is not None:
        stmt = stmt.where(found)
    return paginate(session, stmt.order_by(JournalEntry.id.desc()), page, per_page)


def get_entry(session: Session, actor: User, entry_id: int) -> JournalEntry:
    permissions_of(session).require(actor, "read", "journal")
    entry = session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound("journal entry", entry_id)
    return entry


def entry_references(session: Session, entry: JournalEntry) -> tuple[dict[int, Customer], dict[int, Product]]:
    """The customers and products the entry's lines name, by id, one query each."""
    customer_ids = {line.customer_id for line in entry.lines if line.customer_id}
    product_ids = {line.product_id for line in entry.lines if line.product_id}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    return customers, products


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Difference:
    what: str
    journal: Decimal
    books: Decimal

    def __str__(self) -> str:
        return f"{self.what}: the journal says {self.journal}, the books say {self.books}"


def _net_by(session: Session, key, accounts: tuple[str, ...]) -> dict[int | None, Decimal]:
    rows = session.execute(select(key, func.sum(JournalLine.debit) - func.sum(JournalLine.credit))
                           .where(JournalLine.account_code.in_(accounts)).group_by(key))
    return {k: Decimal(v or 0) for k, v in rows}


def stock_valuation(session: Session) -> dict[int, Decimal]:
    """Stock value per product: the sum of its moves' quantity x unit cost, each move to the cent."""
    value: dict[int, Decimal] = defaultdict(Decimal)
    for product_id, qty, unit_cost in session.execute(
            select(StockMove.product_id, StockMove.qty, StockMove.unit_cost)):
        value[product_id] += move_value(qty, unit_cost)
    return dict(value)


def unapplied_credit(session: Session) -> dict[int, Decimal]:
    """Per customer: what payments received have neither applied to invoices nor been refunded."""
    left = Payment.amount - Payment.allocated_amount - Payment.refunded_amount  # `Payment.unapplied` in SQL
    rows = session.execute(select(Payment.customer_id, func.sum(left)).group_by(Payment.customer_id))
    return {k: Decimal(v or 0) for k, v in rows}


def open_receivable(session: Session) -> dict[int, Decimal]:
    """Per customer: the open amounts of posted invoices (`finance.credit.exposure.receivable` for all customers)."""
    rows = session.execute(select(Invoice.customer_id, func.sum(Invoice.total - Invoice.paid_amount))
                           .where(Invoice.state.in_(OPEN_INVOICE_STATES)).group_by(Invoice.customer_id))
    return {k: Decimal(v or 0) for k, v in rows}


def check(session: Session) -> list[Difference]:
    """Every difference between the journal and the books; empty when they agree:
    each entry balances and so does the whole journal; per customer, receivable (1122) equals the open
    invoices, customer advances (2203) the unapplied credit, and their net the open invoices less the
    unapplied credit; per product, the inventory accounts equal the stock valuation."""
    found: list[Difference] = []
    for number, debit, credit in session.execute(
            select(JournalEntry.number, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id).group_by(JournalEntry.number)
            .having(func.round(func.sum(JournalLine.debit) - func.sum(JournalLine.credit), 2) != 0)
            .order_by(JournalEntry.number)):
        found.append(Difference(f"entry {number} does not balance (debits vs credits)", Decimal(debit), Decimal(credit)))
    debit, credit = session.execute(select(func.coalesce(func.sum(JournalLine.debit), 0),
                                           func.coalesce(func.sum(JournalLine.credit), 0))).one()
    if Decimal(debit) != Decimal(credit):
        found.append(Difference("the journal's total debits vs total credits", Decimal(debit), Decimal(credit)))

    receivable = _net_by(session, JournalLine.customer_id, (RECEIVABLE,))
    advances = {k: -v for k, v in _net_by(session, JournalLine.customer_id, (CUSTOMER_ADVANCES,)).items()}
    invoices, credit_left = open_receivable(session), unapplied_credit(session)
    for customer_id in sorted(set(receivable) | set(advances) | set(invoices) | set(credit_left), key=lambda c: c or 0):
        label = f"customer {customer_id}"
        owed, paid_ahead = receivable.get(customer_id, ZERO), advances.get(customer_id, ZERO)
        books_owed, books_ahead = invoices.get(customer_id, ZERO), credit_left.get(customer_id, ZERO)
        if owed != books_owed:
            found.append(Difference(f"{label}: receivable {RECEIVABLE} vs open invoices", owed, books_owed))
        if paid_ahead != books_ahead:
            found.append(Difference(f"{label}: advances {CUSTOMER_ADVANCES} vs unapplied credit", paid_ahead, books_ahead))
        if owed - paid_ahead != books_owed - books_ahead:
            found.append(Difference(f"{label}: {RECEIVABLE} less {CUSTOMER_ADVANCES} vs open invoices less "
                                    f"unapplied credit", owed - paid_ahead, books_owed - books_ahead))

    stock = _net_by(session, JournalLine.product_id, INVENTORY_ACCOUNTS)
    valuation = stock_valuation(session)
    for product_id in sorted(set(stock) | set(valuation), key=lambda p: p or 0):
        journal, books = stock.get(product_id, ZERO), valuation.get(product_id, ZERO)
        if journal != books:
            found.append(Difference(f"product {product_id}: inventory {'+'.join(INVENTORY_ACCOUNTS)} vs stock "
                                    f"valuation", journal, books))
    return found


def opening_draft(session: Session, *, on: date) -> Draft:
    """The entry that brings the journal level with books kept before it existed (a database upgraded with
    invoices, payments and stock already in it): per customer, receivable and advances up to the open invoices
    and unapplied credit; per product, inventory up to the stock valuation; the difference to opening balances
    (3104). Refused while an entry of the journal does not balance: that is not history, it is a fault."""
    if any(d.what.startswith("entry ") for d in check(session)):
        raise UnbalancedEntry("An entry of the journal does not balance; opening balances cannot cover that.")
    receivable = _net_by(session, JournalLine.customer_id, (RECEIVABLE,))
    advances = _net_by(session, JournalLine.customer_id, (CUSTOMER_ADVANCES,))
    invoices, credit_left = open_receivable(session), unapplied_credit(session)
    legs = []
    for customer_id in sorted(set(receivable) | set(advances) | set(invoices) | set(credit_left), key=lambda c: c or 0):
        legs.append(Leg(RECEIVABLE, invoices.get(customer_id, ZERO) - receivable.get(customer_id, ZERO),
                        customer_id=customer_id))
        legs.append(Leg(CUSTOMER_ADVANCES, -credit_left.get(customer_id, ZERO) - advances.get(customer_id, ZERO),
                        customer_id=customer_id))
    stock, valuation = _net_by(session, JournalLine.product_id, INVENTORY_ACCOUNTS), stock_valuation(session)
    for product_id in sorted(set(stock) | set(valuation), key=lambda p: p or 0):
        gap = valuation.get(product_id, ZERO) - stock.get(product_id, ZERO)
        if gap:
            legs.append(Leg(inventory_account(session.get(Product, product_id)), gap, product_id=product_id))
    legs.append(Leg(OPENING_EQUITY, -sum((leg.amount for leg in legs), ZERO)))
    return Draft(on=on, source_type="opening", source_id=None, memo="Opening balances of the journal", legs=legs)


def book_opening_balances(uow: UnitOfWork, *, on: date | None = None) -> JournalEntry | None:
    """Book `opening_draft` (nothing when the journal already agrees with the books)."""
    uow.authorize("read", "journal")
    written = write_entries(uow.session, [opening_draft(uow.session, on=on or utcnow().date())])
    uow.commit()
    return written[0] if written else None
