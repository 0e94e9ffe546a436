"""Automatic reconciliation of a large bank statement against many open invoices."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from bench import Figure, Target
from bench._order_to_plan import Suite
from core.db import utcnow
from core.models import Customer
from finance.bank import services as bank
from finance.bank.matching import Matcher
from finance.bank.models import BankAccount, StatementLine
from finance.models import Invoice

TITLE = "Bank statement auto-match"
LINES, INVOICES, CUSTOMERS = 50_000, 100_000, 2_000
# what the statement's lines are made of (shares of LINES)
MIX = {"invoice_number": 0.2, "amount_and_name": 0.3, "amount": 0.2, "name": 0.1, "unmatched": 0.2}
DESCRIPTION = (f"`finance.bank.services.import_statement` of one {LINES:,}-line CSV in a Chinese bank's layout (收入金额/支出金额, "
               f"对方户名, 附言, 流水号) against {INVOICES:,} open posted invoices of {CUSTOMERS:,} customers, in one "
               "transaction: reading and checking every row, the fingerprint check against lines imported before, "
               "matching (candidates loaded once into dictionaries by `finance.bank.matching.Matcher`, then look-ups "
               "per line, no query per line), one multi-row insert of the lines and one of their audit entries, and "
               "the commit; then, after 1,000 invoices open for the unmatched lines' amounts are posted, "
               "`finance.bank.services.rematch_statement` of the statement (its suggested and unmatched lines matched again). "
               "The lines are built to hit each rule: "
               + ", ".join(f"{int(share * 100)}% {rule.replace('_', ' ')}" for rule, share in MIX.items())
               + ". The customers and invoices are written untimed with bulk Core inserts; after the import the "
               "outcome of every line is checked against what it was built to hit.")
DATABASES = ("sqlite", "postgresql")
START = date(2026, 1, 5)


def _invoice_number(n: int) -> str:
    return f"INV-{2025 + n // 50_000}-{n % 50_000 + 1:05d}"


def seed(suite: Suite) -> tuple[list[dict], float]:
    """Customers and open invoices in bulk; each invoice's open amount is unique (1,000.00 + n cents)."""
    began, now = time.perf_counter(), utcnow()
    session = suite.uow().session
    customer_ids = session.execute(insert(Customer.__table__).returning(Customer.id, sort_by_parameter_order=True), [
        {"code": f"BK{n:05d}", "name": f"客户{n:05d}贸易有限公司", "payment_terms_days": 30, "created_at": now}
        for n in range(CUSTOMERS)]).scalars().all()
    invoices = [{"number": _invoice_number(n), "customer_id": customer_ids[n % CUSTOMERS], "state": "posted",
                 "invoice_date": START + timedelta(days=n % 300), "due_date": START + timedelta(days=n % 300 + 30),
                 "currency": "CNY", "untaxed": Decimal(1000) + Decimal(n) / 100, "tax": Decimal(0),
                 "total": Decimal(1000) + Decimal(n) / 100,
                 "paid_amount": Decimal(0), "created_at": now, "customer": n % CUSTOMERS}
                for n in range(INVOICES)]
    rows = [{k: v for k, v in row.items() if k != "customer"} for row in invoices]
    for at in range(0, len(rows), 10_000):
        session.execute(insert(Invoice.__table__), rows[at:at + 10_000])
    session.commit()
    session.close()
    return invoices, time.perf_counter() - began


def statement(invoices: list[dict]) -> tuple[bytes, dict[str, int]]:
    """The CSV, and how many lines each rule should match or suggest."""
    rng = random.Random(7)
    picked = rng.sample(range(INVOICES), LINES)
    out = ["交易日期,收入金额,支出金额,币种,对方户名,摘要,附言,流水号"]
    expected = {"matched": 0, "suggested": 0, "unmatched": 0}
    bounds, at = [], 0
    for rule, share in MIX.items():
        at += int(LINES * share)
        bounds.append((at, rule))
    for i, n in enumerate(picked):
        rule = next(r for limit, r in bounds if i < limit)
        invoice = invoices[n]
        amount, name, memo = invoice["total"], f"客户{invoice['customer']:05d}贸易有限公司", "货款"
        if rule == "invoice_number":
            memo = f"货款 {invoice['number']}"
        elif rule == "amount":
            name = f"未知公司{i}"
        elif rule == "name":
            amount = Decimal(5) + Decimal(i % 1000) / 100  # no invoice is open for less than 1,000
        elif rule == "unmatched":
            name, amount = f"未知公司{i}", Decimal(7) + Decimal(i % 1000) / 100
        expected["matched" if rule in ("invoice_number", "amount_and_name") else
                 "suggested" if rule in ("amount", "name") else "unmatched"] += 1
        day = START + timedelta(days=30 + i % 60)
        out.append(f"{day:%Y-%m-%d},{amount},,人民币,{name},转账收入,{memo},BK{i:08d}")
    return ("\n".join(out) + "\n").encode(), expected


def run(target: Target) -> list[Figure]:
    suite = Suite(target, name=f"bench-{__name__.rsplit('.', 1)[-1]}")
    try:
        invoices, seeded = seed(suite)
        content, expected = statement(invoices)
        setup = suite.uow()
        account_id = bank.create_bank_account(setup, {
            "name": "Bench bank", "account_number": "6222000011112222",
            "mapping": {"date": "交易日期", "credit": "收入金额", "debit": "支出金额", "currency": "币种",
                        "counterparty": "对方户名", "reference": "附言", "line_id": "流水号"}}).id
        setup.session.close()

        # the parts, untimed by the figure: reading the file, loading the candidates, matching
        account = suite.uow().session.get(BankAccount, account_id)
        began = time.perf_counter()
        parsed = bank.read_statement(account, content)
        read = time.perf_counter() - began
        probe = suite.uow().session
        began = time.perf_counter()
        matcher = Matcher(probe)
        loaded = time.perf_counter() - began
        began = time.perf_counter()
        for line in parsed:
            matcher.match(line.amount, line.reference, line.counterparty)
        matched = time.perf_counter() - began
        probe.close()

        # the figure: the whole import in one transaction
        uow = suite.uow()
        began = time.perf_counter()
        result = bank.import_statement(uow, account_id, content, filename="bench.csv")
        took = time.perf_counter() - began
        uow.session.close()

        check = suite.uow().session
        stored = check.scalar(select(func.count()).select_from(StatementLine))
        check.close()
        got = {k: result.counts[k] for k in expected}
        verdict = ("every line as built" if got == expected and stored == LINES
                   else f"MISMATCH: {got} (expected {expected}), {stored} lines stored")
        return [_figure(target, took, got, verdict, read, loaded, matched, seeded),
                _rematch(suite, target, result.statement.id, expected)]
    finally:
        suite.close()


def _rematch(suite: Suite, target: Target, statement_id: int, expected: dict[str, int]) -> Figure:
    """Month-end: invoices open for the unmatched lines' amounts are posted (untimed, bulk), then the
    statement is matched again: every open line examined, the unmatched ones become suggested."""
    session, now = suite.uow().session, utcnow()
    customer_id = session.execute(insert(Customer.__table__).returning(Customer.id), [
        {"code": "BKNEW", "name": "月末新客户有限公司", "payment_terms_days": 30, "created_at": now}]).scalar_one()
    session.execute(insert(Invoice.__table__), [
        {"number": f"INV-2028-{k + 1:05d}", "customer_id": customer_id, "state": "posted", "invoice_date": START,
         "due_date": START + timedelta(days=400), "currency": "CNY", "untaxed": Decimal(7) + Decimal(k) / 100,
         "tax": Decimal(0), "total": Decimal(7) + Decimal(k) / 100, "paid_amount": Decimal(0), "created_at": now} for k in range(1000)])
    session.commit()
    session.close()
    uow = suite.uow()
    began = time.perf_counter()
    result = bank.rematch_statement(uow, statement_id)
    took = time.perf_counter() - began
    uow.session.close()
    opened = expected["suggested"] + expected["unmatched"]
    verdict = ("as expected" if result.examined == opened and result.changed >= expected["unmatched"]
               and result.counts == {"matched": 0, "suggested": opened, "unmatched": 0} else f"MISMATCH: {result}")
    return Figure(f"{TITLE}: matching a statement again ({opened:,} open lines)", target.label, "1 transaction",
                  result.examined, took, "lines/s", latencies_ms=[took * 1000],
                  note=(f"{took:.1f} s; {result.changed:,} lines changed, each update audited: the "
                        f"{expected['unmatched']:,} unmatched ones became suggested once 1,000 invoices were posted "
                        "for their amounts, the others are name suggestions that now leave out invoices claimed by "
                        f"lines matched later in the import: {verdict}"))


def _figure(target, took, got, verdict, read, loaded, matched, seeded) -> Figure:
    return Figure(
        f"{TITLE}: {LINES:,} lines against {INVOICES:,} open invoices", target.label, "1 transaction", LINES, took,
        "lines/s", latencies_ms=[took * 1000],
        note=(f"{took:.1f} s; {got['matched']:,} matched, {got['suggested']:,} suggested, {got['unmatched']:,} "
              f"unmatched: {verdict}. Parts measured apart: reading and checking the file {read:.1f} s, loading "
              f"the candidates {loaded:.1f} s, matching {matched:.2f} s; set-up (bulk inserts, untimed) "
              f"{seeded:.1f} s"))
