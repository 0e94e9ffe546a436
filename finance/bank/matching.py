"""Automatic matching of bank statement lines to payments and open invoices, set-based.

`Matcher` loads every candidate once, in a few queries, into dictionaries: the open invoices (by
number, by open amount, by customer and open amount), the customers by normalized name, and the
payments no statement line is tied to yet (by amount and reference, and by number). Matching a line
is then a handful of dictionary look-ups, never a query. Money in only (a positive amount); the rules,
first that applies:

1. `payment`: a payment of the same amount whose reference is the line's (or whose number the line
   names) and that no other line holds: **matched** to it.
2. `invoice_number`: open invoices named in the reference (`INV-YYYY-NNNNN`), all of one customer:
   **matched** to them, in the order named (two customers' numbers: **suggested**).
3. `amount_and_name`: the counterparty's name, normalized like duplicate detection does
   (`crm.leads.matching.normalize_company`), is a customer's, and exactly one of its open invoices is
   open for exactly the amount: **matched**; several: **suggested**.
4. `name`: the name is a customer's: **suggested** with its oldest open invoices (or none: a payment
   for that customer can still be created from the line).
5. `amount`: invoices of any customer open for exactly the amount: **suggested**.
6. Otherwise **unmatched**.

A matched line claims what it pays: the same invoice is not matched again by a later line for more
than is left open, and lines matched earlier but not reconciled yet keep their claims."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Customer
from crm.leads.matching import normalize_company
from finance.bank.models import LineState, StatementLine
from finance.models import OPEN_INVOICE_STATES, Invoice, Payment

INVOICE_NUMBER = re.compile(r"INV-\d{4}-\d{5}", re.IGNORECASE)
PAYMENT_NUMBER = re.compile(r"PAY-\d{4}-\d{5}", re.IGNORECASE)
MAX_CANDIDATES = 5
ZERO = Decimal(0)


def reference_key(value: str | None) -> str:
    return re.sub(r"\s+", "", (value or "")).upper()


@dataclass(slots=True)
class Open:
    """An open invoice as matching sees it; `left` falls as lines claim it."""

    id: int
    number: str
    customer_id: int
    left: Decimal
    due_date: date


@dataclass
class Match:
    state: str = LineState.UNMATCHED.value
    rule: str | None = None
    customer_id: int | None = None
    invoice_ids: list[int] = field(default_factory=list)
    payment_id: int | None = None


class Matcher:
    def __init__(self, session: Session) -> None:
        self.invoices: dict[int, Open] = {}
        self.by_number: dict[str, Open] = {}
        self.by_amount: dict[Decimal, list[Open]] = defaultdict(list)
        self.by_customer_amount: dict[tuple[int, Decimal], list[Open]] = defaultdict(list)
        self.by_customer: dict[int, list[Open]] = defaultdict(list)
        rows = session.execute(
            select(Invoice.id, Invoice.number, Invoice.customer_id, Invoice.total, Invoice.paid_amount, Invoice.due_date)
            .where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.total > Invoice.paid_amount)
            .order_by(Invoice.due_date, Invoice.id))
        for ident, number, customer_id, total, paid, due in rows:
            item = Open(ident, number, customer_id, total - (paid or ZERO), due)
            self.invoices[ident] = item
            self.by_number[number.upper()] = item
            self.by_amount[item.left].append(item)
            self.by_customer_amount[(customer_id, item.left)].append(item)
            self.by_customer[customer_id].append(item)
        self.customers: dict[str, list[int]] = defaultdict(list)
        for ident, name in session.execute(select(Customer.id, Customer.name).where(Customer.active.is_(True))
                                           .order_by(Customer.id)):
            key = normalize_company(name)
            if key:
                self.customers[key].append(ident)
        self._names: dict[str, list[int]] = {}
        held = select(StatementLine.payment_id).where(StatementLine.payment_id.is_not(None))
        self.payments: dict[tuple[Decimal, str], list[tuple[int, int]]] = defaultdict(list)
        self.payment_numbers: dict[str, tuple[int, int, Decimal]] = {}
        self.taken_payments: set[int] = set()
        for ident, number, customer_id, amount, reference in session.execute(
                select(Payment.id, Payment.number, Payment.customer_id, Payment.amount, Payment.reference)
                .where(Payment.id.not_in(held)).order_by(Payment.payment_date, Payment.id)):
            if reference:
                self.payments[(amount, reference_key(reference))].append((ident, customer_id))
            self.payment_numbers[number.upper()] = (ident, customer_id, amount)
        # lines matched earlier and not reconciled yet keep what they claimed
        for amount, invoice_ids in session.execute(
                select(StatementLine.amount, StatementLine.invoice_ids)
                .where(StatementLine.state == LineState.MATCHED.value, StatementLine.payment_id.is_(None))):
            self._claim([self.invoices[i] for i in invoice_ids or [] if i in self.invoices], amount)

    # ------------------------------------------------------------------ look-ups

    def _claim(self, invoices: list[Open], amount: Decimal) -> None:
        for item in invoices:
            take = min(item.left, amount)
            item.left -= take
            amount -= take
            if amount <= 0:
                break

    def _customers_named(self, counterparty: str) -> list[int]:
        found = self._names.get(counterparty)
        if found is None:
            found = self.customers.get(normalize_company(counterparty) or "", [])
            self._names[counterparty] = found
        return found

    @staticmethod
    def _open_for(items: list[Open], amount: Decimal) -> list[Open]:
        return [item for item in items if item.left == amount]

    def _payment(self, amount: Decimal, reference: str) -> tuple[int, int] | None:
        for ident, customer_id in self.payments.get((amount, reference_key(reference)), []):
            if ident not in self.taken_payments:
                return ident, customer_id
        for number in PAYMENT_NUMBER.findall(reference):
            found = self.payment_numbers.get(number.upper())
            if found and found[2] == amount and found[0] not in self.taken_payments:
                return found[0], found[1]
        return None

    # ------------------------------------------------------------------ one line

    def match(self, amount: Decimal, reference: str, counterparty: str) -> Match:
        if amount <= 0:
            return Match()
        reference = reference or ""
        found = self._payment(amount, reference) if reference else None
        if found is not None:
            self.taken_payments.add(found[0])
            return Match(LineState.MATCHED.value, "payment", found[1], payment_id=found[0])

        named = [self.by_number.get(n.upper()) for n in dict.fromkeys(INVOICE_NUMBER.findall(reference))]
        named = [item for item in named if item is not None and item.left > 0]
        if named:
            customers = {item.customer_id for item in named}
            if len(customers) == 1:
                self._claim(named, amount)
                return Match(LineState.MATCHED.value, "invoice_number", named[0].customer_id,
                             [item.id for item in named])
            return Match(LineState.SUGGESTED.value, "invoice_number", None, [item.id for item in named])

        customer_ids = self._customers_named(counterparty) if counterparty else []
        if customer_ids:
            exact = [item for cid in customer_ids for item in self._open_for(self.by_customer_amount.get((cid, amount), []),
                                                                          amount)]
            if len(exact) == 1:
                self._claim(exact, amount)
                return Match(LineState.MATCHED.value, "amount_and_name", exact[0].customer_id, [exact[0].id])
            if exact:
                exact.sort(key=lambda i: (i.due_date, i.id))
                return Match(LineState.SUGGESTED.value, "amount_and_name", exact[0].customer_id,
                             [item.id for item in exact[:MAX_CANDIDATES]])
            others = sorted((item for cid in customer_ids for item in self.by_customer.get(cid, []) if item.left > 0),
                            key=lambda i: (i.due_date, i.id))
            return Match(LineState.SUGGESTED.value, "name", customer_ids[0] if len(customer_ids) == 1 else None,
                         [item.id for item in others[:MAX_CANDIDATES]])

        same: list[Open] = []
        for item in self.by_amount.get(amount, ()):
            if item.left == amount:
                same.append(item)
                if len(same) == MAX_CANDIDATES:
                    break
        if same:
            return Match(LineState.SUGGESTED.value, "amount", None, [item.id for item in same])
        return Match()
