"""Bank reconciliation: bank accounts and their CSV column mappings, statement import with automatic
matching, matching the open lines again after invoices are posted, and the finance user's actions on a
line (confirm, split, create a payment, ignore).

Import is all or nothing: a file with a missing column, a bad date or amount, a foreign currency or
a line repeated inside it is refused with every bad row named, and nothing is stored. The same file
(by content hash) is never imported twice into an account, and a line already imported (by the
bank's line id, or a fingerprint of date, amount, reference and counterparty) is skipped, so
overlapping exports add only what is new. Lines are written in bulk (one multi-row insert, and their
audit entries likewise); matching is set-based (`finance.bank.matching`).

Reconciling a line goes through the payment services: the payment is recorded and allocated by
`finance.payments.services`, so its locks, the orders' paid amounts and the audit apply. The line row is
locked first; a line is reconciled or ignored once (409 `line_closed`)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, insert, select

from core.audit import record_note
from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.forms import check_input, load_input
from core.imports import decode_text
from core.models import AuditEntry, Customer
from core.money import round_money
from core.schemas import DATE_MAX, DATE_MIN
from core.uow import UnitOfWork
from finance.bank.matching import Matcher
from finance.bank.models import (
    DEFAULT_CURRENCY,
    MAPPING_FIELDS,
    BankAccount,
    BankStatement,
    LineState,
    StatementLine,
)
from finance.bank.schemas import (
    BankAccountInputSchema,
    CreateBankAccountSchema,
    IgnoreLineSchema,
    PaymentFromLineSchema,
    SplitPartSchema,
)
from finance.models import OPEN_INVOICE_STATES, Invoice, Payment, PaymentMethod
from finance.payments import services as payments

RESOURCE = "bank_statement"
MAX_LINES = 200_000
CURRENCY_ALIASES = {"CNY": "CNY", "RMB": "CNY", "人民币": "CNY", "人民币元": "CNY", "¥": "CNY", "￥": "CNY"}
CHUNK = 5_000
CLOSED = (LineState.RECONCILED.value, LineState.IGNORED.value)


class StatementUnreadable(InvalidInput):
    code = "statement_unreadable"


def _authorize(uow: UnitOfWork, action: str, resource: str = RESOURCE) -> None:
    uow.authorize(action, resource)


# --------------------------------------------------------------------------- bank accounts


NOT_SAVED = "The bank account was not saved."


def _account_values(data: dict, *, existing: BankAccount | None = None) -> dict:
    """The columns to write from `data` loaded through its schema (see `finance.bank.schemas`): text
    trimmed, blank mapping columns left out, and on a new account the defaults of what was not named."""
    out: dict = {}
    for name in ("name", "account_number"):
        if name in data:
            out[name] = data[name].strip()
    if "currency" in data or existing is None:
        out["currency"] = (data.get("currency") or DEFAULT_CURRENCY).strip().upper()
    if "mapping" in data or existing is None:
        out["mapping"] = {k: v.strip() for k, v in (data.get("mapping") or {}).items() if v and v.strip()}
    if "date_format" in data or existing is None:
        out["date_format"] = (data.get("date_format") or "").strip() or "%Y-%m-%d"
    if "decimal_separator" in data or existing is None:
        out["decimal_separator"] = data.get("decimal_separator") or "."
    if "active" in data:
        out["active"] = bool(data["active"])
    return out


def create_bank_account(uow: UnitOfWork, data: dict) -> BankAccount:
    _authorize(uow, "create", "bank_account")
    values = _account_values(load_input(CreateBankAccountSchema, data, message=NOT_SAVED))
    if uow.session.scalar(select(BankAccount.id).where(BankAccount.account_number == values["account_number"])):
        raise InvalidInput({"account_number": ["Another bank account has this number."]}, message=NOT_SAVED)
    account = BankAccount(**values)
    uow.session.add(account)
    uow.commit()
    return account


def update_bank_account(uow: UnitOfWork, account_id: int, data: dict) -> BankAccount:
    _authorize(uow, "update", "bank_account")
    account = get_bank_account(uow, account_id)
    values = _account_values(load_input(BankAccountInputSchema, data, message=NOT_SAVED), existing=account)
    number = values.get("account_number")
    if number and uow.session.scalar(select(BankAccount.id).where(BankAccount.account_number == number,
                                                                  BankAccount.id != account.id)):
        raise InvalidInput({"account_number": ["Another bank account has this number."]}, message=NOT_SAVED)
    for key, value in values.items():
        setattr(account, key, value)
    uow.commit()
    return account


def get_bank_account(uow: UnitOfWork, account_id: int) -> BankAccount:
    _authorize(uow, "read", "bank_account")
    return uow.get(BankAccount, account_id, "bank account")


# --------------------------------------------------------------------------- reading a file


@dataclass
class ParsedLine:
    row: int
    line_date: date
    amount: Decimal
    reference: str
    counterparty: str
    bank_line_id: str | None
    fingerprint: str


def _decode(content: bytes) -> str:
    text = decode_text(content)
    if text is not None:
        return text
    raise StatementUnreadable({"file": ["The file is neither UTF-8 nor GB18030 text."]},
                              message="The statement was not imported.")


def _amount(text: str, separator: str) -> Decimal | None:
    """A decimal from bank text: currency signs, spaces and thousands separators dropped; blank is None."""
    text = re.sub(r"[\s¥￥+]|CNY|RMB", "", text or "")
    if not text:
        return None
    text = text.replace(".", "").replace(",", ".") if separator == "," else text.replace(",", "")
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    value = Decimal(text)  # InvalidOperation for anything else
    if not value.is_finite() or (value and value.adjusted() >= 14):  # beyond any amount the books hold
        raise InvalidOperation(text)
    return value


def _fingerprint(account_id: int, line_date: date, amount: Decimal, reference: str, counterparty: str,
                 bank_line_id: str | None) -> str:
    key = (f"id|{bank_line_id}" if bank_line_id
           else f"{line_date.isoformat()}|{amount}|{reference.strip()}|{counterparty.strip()}")
    return hashlib.sha256(f"{account_id}|{key}".encode()).hexdigest()


def read_statement(account: BankAccount, content: bytes) -> list[ParsedLine]:
    """Every line of the file through the account's mapping; every bad row is reported at once
    (`rows`: {row number: {field: [why]}}, row 1 being the header), nothing is half read."""
    text = _decode(content)
    rows = list(csv.reader(io.StringIO(text)))
    mapping = account.mapping or {}
    wanted = {field: column for field, column in mapping.items() if field in MAPPING_FIELDS}
    header_at = next((index for index, row in enumerate(rows[:30])
                      if wanted.get("date") in [cell.strip() for cell in row]), None)
    if header_at is None:
        header = [cell.strip() for cell in rows[0]] if rows else []
    else:
        header = [cell.strip() for cell in rows[header_at]]
    missing = [column for column in wanted.values() if column not in header]
    if missing:
        raise StatementUnreadable(
            {"columns": [f"Missing column {column!r}." for column in missing]},
            message=f"The statement was not imported: the file lacks {len(missing)} column(s) the mapping of "
                    f"{account.name} names ({', '.join(missing)}).")
    where = {field: header.index(column) for field, column in wanted.items()}
    errors: dict[str, dict[str, list[str]]] = {}
    parsed: list[ParsedLine] = []
    seen: dict[str, int] = {}
    start = (header_at or 0) + 1
    if len(rows) - start > MAX_LINES:
        raise StatementUnreadable({"file": [f"At most {MAX_LINES} lines per statement."]},
                                  message="The statement was not imported.")
    for index, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row=row) -> str:
            at = where.get(name)
            return row[at].strip() if at is not None and at < len(row) else ""

        problems: dict[str, list[str]] = {}
        line_date = None
        try:
            line_date = datetime.strptime(cell("date"), account.date_format).date()
        except ValueError:
            problems["date"] = [f"{cell('date')!r} is not a date in the format {account.date_format}."]
        if line_date is not None and not DATE_MIN <= line_date <= DATE_MAX:  # matching looks days around it
            problems["date"] = [f"Use a date between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}."]
            line_date = None
        amount = None
        try:
            if "amount" in where:
                amount = _amount(cell("amount"), account.decimal_separator)
                if amount is None or amount == 0:
                    problems["amount"] = ["No amount."]
            else:
                credit = _amount(cell("credit"), account.decimal_separator) or Decimal(0)
                debit = _amount(cell("debit"), account.decimal_separator) or Decimal(0)
                if credit and debit:
                    problems["amount"] = ["Money in and money out on one line."]
                elif credit < 0 or debit < 0:
                    problems["amount"] = ["Money in and money out are written without a sign."]
                elif not credit and not debit:
                    problems["amount"] = ["No amount in or out."]
                amount = credit - debit
        except InvalidOperation:
            problems["amount"] = ["Not a number."]
        if amount is not None and "amount" not in problems and round_money(amount) != amount:
            problems["amount"] = ["At most two decimals."]
        if "currency" in where:
            currency = cell("currency")
            code = CURRENCY_ALIASES.get(currency.upper(), CURRENCY_ALIASES.get(currency, currency.upper()))
            if code != account.currency:
                problems["currency"] = [f"{currency or 'No currency'}: the account {account.name} is in "
                                        f"{account.currency}; foreign-currency lines are not imported."]
        reference, counterparty = cell("reference")[:300], cell("counterparty")[:200]
        bank_line_id = cell("line_id")[:80] or None
        if not problems:
            fingerprint = _fingerprint(account.id, line_date, amount, reference, counterparty, bank_line_id)
            if fingerprint in seen:
                problems["line"] = [f"Repeats row {seen[fingerprint]}: a line appears once in a statement."]
            else:
                seen[fingerprint] = index
                parsed.append(ParsedLine(index, line_date, amount, reference, counterparty, bank_line_id, fingerprint))
        if problems:
            errors[str(index)] = problems
    if errors:
        raise InvalidInput({"rows": errors}, message=f"The statement was not imported: {len(errors)} row(s) have "
                                                     f"errors; nothing was stored.")
    if not parsed:
        raise StatementUnreadable({"file": ["The file has no lines."]}, message="The statement was not imported.")
    return parsed


# --------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    statement: BankStatement | None  # None when every line was imported before
    created: bool
    imported: int
    skipped: int
    counts: dict[str, int]


def _existing_fingerprints(uow: UnitOfWork, account_id: int, lines: list[ParsedLine]) -> set[str]:
    """Fingerprints of the account's lines already stored on the days the file covers (a bank line has
    one date, so a line imported before is among them): one range query instead of a long IN list."""
    return set(uow.session.scalars(select(StatementLine.fingerprint).where(
        StatementLine.bank_account_id == account_id,
        StatementLine.line_date.between(min(line.line_date for line in lines), max(line.line_date for line in lines)))))


def _state_counts(uow: UnitOfWork, statement_id: int) -> dict[str, int]:
    counts = {state.value: 0 for state in LineState}
    for state, n in uow.session.execute(select(StatementLine.state, func.count()).where(
            StatementLine.statement_id == statement_id).group_by(StatementLine.state)):
        counts[state] = n
    return counts


def import_statement(uow: UnitOfWork, account_id: int, content: bytes, *, filename: str = "") -> ImportResult:
    """Read, check, match and store a statement in one transaction (see the module's docstring)."""
    _authorize(uow, "create")
    account = get_bank_account(uow, account_id)
    if not account.active:
        raise DomainError(f"The bank account {account.name} is closed.", code="account_inactive")
    file_hash = hashlib.sha256(content).hexdigest()
    before = uow.session.scalar(select(BankStatement).where(BankStatement.bank_account_id == account.id,
                                                            BankStatement.file_hash == file_hash))
    if before is not None:
        return ImportResult(before, False, 0, before.line_count + before.skipped_count,
                            _state_counts(uow, before.id))
    parsed = read_statement(account, content)
    known = _existing_fingerprints(uow, account.id, parsed)
    new = [line for line in parsed if line.fingerprint not in known]
    if not new:
        return ImportResult(None, False, 0, len(parsed), {state.value: 0 for state in LineState})
    statement = BankStatement(bank_account_id=account.id, file_hash=file_hash, filename=(filename or "")[:200],
                              period_start=min(line.line_date for line in parsed),
                              period_end=max(line.line_date for line in parsed), line_count=len(new),
                              skipped_count=len(parsed) - len(new),
                              imported_by_id=uow.actor_id)
    uow.session.add(statement)
    uow.session.flush()
    matcher = Matcher(uow.session)
    rows = []
    counts = {state.value: 0 for state in LineState}
    for line in sorted(new, key=lambda item: (item.line_date, item.row)):
        found = matcher.match(line.amount, line.reference, line.counterparty)
        counts[found.state] += 1
        rows.append({"statement_id": statement.id, "bank_account_id": account.id, "row_number": line.row,
                     "line_date": line.line_date, "amount": line.amount, "reference": line.reference,
                     "counterparty": line.counterparty, "bank_line_id": line.bank_line_id,
                     "fingerprint": line.fingerprint, "state": found.state, "rule": found.rule,
                     "customer_id": found.customer_id, "invoice_ids": found.invoice_ids,
                     "payment_id": found.payment_id, "note": None})
    _insert_lines(uow, rows)
    record_note(uow.session, statement, f"Imported {len(new)} line(s) of {filename or 'a statement'} into "
                f"{account.name}: {counts['matched']} matched, {counts['suggested']} suggested, "
                f"{counts['unmatched']} unmatched; {len(parsed) - len(new)} imported before.",
                {"file_hash": [None, file_hash]})
    uow.commit()
    return ImportResult(statement, True, len(new), len(parsed) - len(new), counts)


def _insert_lines(uow: UnitOfWork, rows: list[dict]) -> None:
    """The lines in multi-row inserts, then one audit entry each (as the ORM's flush would write them)."""
    session = uow.session
    for at in range(0, len(rows), CHUNK):
        session.execute(insert(StatementLine.__table__), rows[at:at + CHUNK])
    ids = {fingerprint: ident for fingerprint, ident in session.execute(
        select(StatementLine.fingerprint, StatementLine.id).where(StatementLine.statement_id == rows[0]["statement_id"]))}
    now, actor = utcnow(), session.info.get("actor_id")
    entries = []
    for row in rows:
        changes = {key: [None, _plain(value)] for key, value in row.items() if value is not None}
        entries.append({"at": now, "user_id": actor, "action": "create", "entity": "StatementLine",
                        "entity_id": str(ids[row["fingerprint"]]), "changes": changes, "note": None})
    for at in range(0, len(entries), CHUNK):
        session.execute(insert(AuditEntry.__table__), entries[at:at + CHUNK])


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- matching again


@dataclass
class RematchResult:
    examined: int
    changed: int
    counts: dict[str, int]


REMATCHED = (LineState.UNMATCHED.value, LineState.SUGGESTED.value)


def rematch_statement(uow: UnitOfWork, statement_id: int) -> RematchResult:
    """Match the statement's `unmatched` and `suggested` lines again, as import does (`Matcher`: every
    candidate loaded in a few queries, none a line), against the invoices open now. Matched, reconciled
    and ignored lines are never touched, and what matched lines of any statement claim stays claimed.
    Only lines whose outcome changes are written (the ORM audits each change); `counts` are the examined
    lines by their new state. The statement row and its open lines are locked, so two runs of the same
    statement, or a clerk confirming one of its lines, wait for each other."""
    _authorize(uow, "update")
    statement = uow.get(BankStatement, statement_id, "bank statement", for_update=True)
    lines = list(uow.session.scalars(
        select(StatementLine).where(StatementLine.statement_id == statement.id, StatementLine.state.in_(REMATCHED))
        .order_by(StatementLine.line_date, StatementLine.row_number, StatementLine.id)
        .with_for_update(of=StatementLine.__table__).execution_options(populate_existing=True)))
    counts = {state: 0 for state in (LineState.MATCHED.value, *REMATCHED)}
    changed = 0
    if lines:
        matcher = Matcher(uow.session)
        for line in lines:
            found = matcher.match(line.amount, line.reference, line.counterparty)
            counts[found.state] += 1
            if line.rematch(state=found.state, rule=found.rule, customer_id=found.customer_id,
                            invoice_ids=found.invoice_ids, payment_id=found.payment_id):
                changed += 1
    if changed:
        record_note(uow.session, statement, f"Matched {len(lines)} open line(s) again: {changed} changed; "
                    f"{counts['matched']} matched, {counts['suggested']} suggested, {counts['unmatched']} unmatched.",
                    {})
    uow.commit()
    return RematchResult(len(lines), changed, counts)


# --------------------------------------------------------------------------- reconciling a line


def get_line(uow: UnitOfWork, line_id: int, *, for_update: bool = False) -> StatementLine:
    _authorize(uow, "read")
    return uow.get(StatementLine, line_id, "statement line", for_update=for_update)


def _take_line(uow: UnitOfWork, line_id: int) -> StatementLine:
    """The line, locked (a second clerk waits here, then finds it closed)."""
    _authorize(uow, "update")
    line = get_line(uow, line_id, for_update=True)
    if line.state in CLOSED:
        raise DomainError(f"This bank line is already {line.state}; a line is reconciled once.", code="line_closed",
                          details={"state": line.state, "payment_id": line.payment_id})
    return line


def _money_in(line: StatementLine) -> None:
    if line.amount <= 0:
        raise DomainError("Money out is not a customer payment: ignore the line (a bank fee, a transfer) instead.",
                          code="not_money_in")


def _one_customer(invoices: list[Invoice]) -> int:
    customers = {invoice.customer_id for invoice in invoices}
    if len(customers) > 1:
        raise InvalidInput({"invoice_ids": ["The invoices belong to different customers; a bank line pays one "
                                            "customer's invoices."]}, message="The line was not reconciled.")
    return customers.pop()


def _reference(line: StatementLine) -> str | None:
    return (line.reference or line.counterparty or "").strip()[:200] or None


def _record(uow: UnitOfWork, line: StatementLine, customer_id: int, plan: list[tuple[int, Decimal]]):
    """The payment of the line, allocated by the payment services, and the line reconciled to it."""
    with uow.batch():
        payment = payments.record_payment(uow, {
            "customer_id": customer_id, "amount": line.amount, "date": line.line_date,
            "method": PaymentMethod.BANK_TRANSFER.value, "reference": _reference(line)})
        if plan:
            payments.allocate(uow, payment.id, allocations=[{"invoice_id": i, "amount": a} for i, a in plan])
        line.reconcile(payment_id=payment.id, by=uow.actor_id, at=utcnow())
    uow.commit()
    return payment


def confirm_line(uow: UnitOfWork, line_id: int, *, invoice_ids: list[int] | None = None) -> StatementLine:
    """One click: a line matched to a payment is tied to it; a line matched to invoices (or a suggested
    line with the invoices chosen, `invoice_ids`) becomes a payment of its customer allocated to them in
    order, each up to its open amount; what is left stays as the customer's unapplied credit."""
    line = _take_line(uow, line_id)
    _money_in(line)
    if not invoice_ids and line.payment_id is not None:
        payment = payments.get_payment(uow, line.payment_id, for_update=True)
        if payment.amount != line.amount:
            raise DomainError(f"Payment {payment.number} is for {payment.amount}, the line for {line.amount}.",
                              code="amount_mismatch")
        line.reconcile(payment_id=payment.id, by=uow.actor_id, at=utcnow())
        uow.commit()
        return line
    chosen = list(invoice_ids or [])
    if not chosen:
        if line.state == LineState.MATCHED.value or (line.state == LineState.SUGGESTED.value
                                                      and len(line.invoice_ids or []) == 1):
            chosen = list(line.invoice_ids or [])
    if not chosen:
        raise DomainError("Choose the invoice(s) this line pays, split it, or create a payment for a customer.",
                          code="nothing_to_confirm")
    invoices = payments.lock_invoices(uow, chosen)
    unknown = [i for i in chosen if i not in invoices]
    if unknown:
        raise InvalidInput({"invoice_ids": [f"No invoice with id {i}." for i in unknown]},
                           message="The line was not reconciled.")
    ordered = [invoices[i] for i in dict.fromkeys(chosen)]
    customer_id = _one_customer(ordered)
    closed = [i.number for i in ordered if i.state not in OPEN_INVOICE_STATES or i.open_amount <= 0]
    if closed:
        raise DomainError(f"No money is open on {', '.join(closed)} any more; choose other invoices.",
                          code="invoice_not_open", fields={"invoice_ids": closed})
    plan, left = [], line.amount
    for invoice in ordered:
        if left <= 0:
            break
        take = min(left, invoice.open_amount)
        plan.append((invoice.id, take))
        left -= take
    _record(uow, line, customer_id, plan)
    return line


def split_line(uow: UnitOfWork, line_id: int, allocations: list[dict]) -> StatementLine:
    """The line pays several invoices of one customer, an amount each (`invoice_id` or
    `invoice_number`); their sum is at most the line's amount, the rest stays as unapplied credit.
    Each part goes through `SplitPartSchema` here (tests and scripts split with plain dicts), and a
    refusal names every bad part at once: the schema's reasons and the unknown invoices."""
    line = _take_line(uow, line_id)
    _money_in(line)
    if not allocations:
        raise InvalidInput({"allocations": ["Name at least one invoice and amount."]},
                           message="The line was not split.")
    invalid: dict[str, dict[str, list[str]]] = {}
    parts: list[tuple[int, dict]] = []
    for index, item in enumerate(allocations):
        part, errors = check_input(SplitPartSchema, item)
        if errors:
            invalid[str(index)] = errors
        else:
            parts.append((index, part))
    numbers = [part["invoice_number"].strip().upper() for _index, part in parts if not part.get("invoice_id")]
    by_number = {number: ident for number, ident in uow.session.execute(
        select(Invoice.number, Invoice.id).where(Invoice.number.in_(numbers)))} if numbers else {}
    wanted: list[tuple[int, Decimal]] = []
    for index, part in parts:
        invoice_id = part.get("invoice_id")
        if not invoice_id:
            number = part["invoice_number"].strip().upper()
            invoice_id = by_number.get(number)
            if invoice_id is None:
                invalid[str(index)] = {"invoice_number": [f"No invoice {number}."]}
                continue
        wanted.append((invoice_id, part["amount"]))
    invoices = payments.lock_invoices(uow, [i for i, _ in wanted])
    for index, (invoice_id, _amount) in enumerate(wanted):
        if invoice_id not in invoices:
            invalid[str(index)] = {"invoice_id": [f"No invoice with id {invoice_id}."]}
    if invalid:
        raise InvalidInput({"allocations": invalid}, message="The line was not split.")
    customer_id = _one_customer([invoices[i] for i, _ in wanted])
    total = sum((amount for _, amount in wanted), Decimal(0))
    if total > line.amount:
        raise DomainError(f"The parts add up to {total}, more than the line's {line.amount}; nothing was split.",
                          code="over_allocation", fields={"allocations": [f"At most {line.amount} in all."]})
    per_invoice: dict[int, Decimal] = {}
    for invoice_id, amount in wanted:
        per_invoice[invoice_id] = per_invoice.get(invoice_id, Decimal(0)) + amount
    over = [invoices[i].number for i, amount in per_invoice.items() if amount > invoices[i].open_amount]
    if over:
        raise DomainError(f"More than is open on {', '.join(over)}; nothing was split.", code="over_allocation",
                          fields={"allocations": [f"{invoices[i].number} has {invoices[i].open_amount} open."
                                                  for i in per_invoice if invoices[i].number in over]})
    _record(uow, line, customer_id, wanted)
    return line


def create_payment_from_line(uow: UnitOfWork, line_id: int, *, customer_id: int | None) -> StatementLine:
    """A payment of the whole line for a chosen customer, not allocated: the customer's unapplied credit."""
    line = _take_line(uow, line_id)
    _money_in(line)
    customer_id = load_input(PaymentFromLineSchema, {"customer_id": customer_id},
                             message="No payment was created.")["customer_id"]
    if uow.session.get(Customer, customer_id) is None:
        raise InvalidInput({"customer_id": [f"No customer with id {customer_id}."]}, message="No payment was created.")
    _record(uow, line, customer_id, [])
    return line


def ignore_line(uow: UnitOfWork, line_id: int, *, reason: str) -> StatementLine:
    """The line is no customer payment (a bank fee, interest, a transfer between own accounts)."""
    line = _take_line(uow, line_id)
    reason = load_input(IgnoreLineSchema, {"reason": reason}, message="The line was not ignored.")["reason"].strip()
    line.ignore(reason=reason, by=uow.actor_id, at=utcnow())
    uow.commit()
    return line


# --------------------------------------------------------------------------- reading


def list_lines(uow: UnitOfWork, statement_id: int, *, state: str | None = None, page: int = 1,
               per_page: int = 50):
    """A page of the statement's lines in date order (and how many there are)."""
    _authorize(uow, "read")
    stmt = select(StatementLine).where(StatementLine.statement_id == statement_id)
    if state:
        stmt = stmt.where(StatementLine.state == state)
    total = uow.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = uow.session.scalars(stmt.order_by(StatementLine.line_date, StatementLine.row_number, StatementLine.id)
                                .offset((page - 1) * per_page).limit(per_page)).all()
    return items, total


def invoices_for(uow: UnitOfWork, lines) -> dict[int, Invoice]:
    """The invoices the lines name, in one query."""
    ids = {i for line in lines for i in line.invoice_ids or []}
    if not ids:
        return {}
    return {i.id: i for i in uow.session.scalars(select(Invoice).where(Invoice.id.in_(ids)))}


def line_references(uow: UnitOfWork, lines) -> dict:
    """What the reconciliation screen shows beside the lines, one query each: the invoices they name,
    the payments they made and the customers they were matched to."""
    payment_ids = {line.payment_id for line in lines if line.payment_id}
    customer_ids = {line.customer_id for line in lines if line.customer_id}
    session = uow.session
    return {"invoices": invoices_for(uow, lines),
            "payments": {p.id: p for p in session.scalars(select(Payment).where(Payment.id.in_(payment_ids)))}
            if payment_ids else {},
            "customer_names": {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(
                customer_ids)))}}


def active_customers(uow: UnitOfWork) -> list[Customer]:
    """The customers a line can be assigned to, by name."""
    return list(uow.session.scalars(select(Customer).where(Customer.active.is_(True)).order_by(Customer.name)))


def get_statement(uow: UnitOfWork, statement_id: int) -> BankStatement:
    _authorize(uow, "read")
    return uow.get(BankStatement, statement_id, "bank statement")


def state_counts(uow: UnitOfWork, statement_id: int) -> dict[str, int]:
    return _state_counts(uow, statement_id)


def list_accounts(uow: UnitOfWork, *, active_only: bool = False) -> list[BankAccount]:
    _authorize(uow, "read", "bank_account")
    stmt = select(BankAccount).order_by(BankAccount.name, BankAccount.id)
    if active_only:
        stmt = stmt.where(BankAccount.active.is_(True))
    return list(uow.session.scalars(stmt))


def list_statements(uow: UnitOfWork, *, bank_account_id: int | None = None, page: int = 1, per_page: int = 25):
    """Imported statements, newest first (and how many there are)."""
    _authorize(uow, "read")
    stmt = select(BankStatement)
    if bank_account_id:
        stmt = stmt.where(BankStatement.bank_account_id == bank_account_id)
    total = uow.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = uow.session.scalars(stmt.order_by(BankStatement.id.desc()).offset((page - 1) * per_page)
                                .limit(per_page)).all()
    return items, total
