"""Bank statements: import of a Chinese bank's CSV export with known matches, idempotent re-import,
refused files that change nothing, and the reconciliation actions (confirm, split, create a payment,
ignore; a line reconciled once)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import DomainError, InvalidInput
from core.models import AuditEntry
from crm.orders.models import SalesOrder
from finance.bank import services as bank
from finance.bank.models import BankStatement, StatementLine
from finance.invoicing import services as invoicing
from finance.journal import booking as journal
from finance.models import Invoice, Payment, PaymentAllocation
from finance.payments import services as payments
from tests.finance.builders import ON, build_books, confirmed_order, ship

D = Decimal
DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = (DATA / "bank_statement_sample.csv").read_bytes()
ENGLISH = (DATA / "bank_statement_english.csv").read_bytes()
CHINESE_MAPPING = {"date": "交易日期", "credit": "收入金额", "debit": "支出金额", "counterparty": "对方户名",
                   "reference": "附言", "line_id": "流水号", "currency": "币种"}
ENGLISH_MAPPING = {"date": "Value date", "amount": "Amount", "currency": "Currency", "counterparty": "Payer",
                   "reference": "Description"}


class Scene:
    """Three customers and six posted invoices (INV-2026-00001..6), and a payment recorded by hand."""

    def __init__(self, uow, *, owner_id: int | None = None):
        books = build_books(uow)
        self.customers = {}
        for code, name in (("HD", "上海宏达机械有限公司"), ("XL", "苏州新力电子股份有限公司"),
                           ("NB", "Ningbo Harbour Trading Co., Ltd.")):
            self.customers[code] = core_services.create_customer(uow, {"code": code, "name": name, "owner_id": owner_id,
                                                                       "payment_terms_days": 30}).id
        self.invoices, self.orders = {}, {}
        for n, (code, product, qty) in enumerate((("HD", books.a, 10), ("HD", books.a, 20), ("XL", books.a, 30),
                                                  ("XL", books.a, 30), ("NB", books.a, 40), ("NB", books.b, 10)),
                                                 start=1):
            order = confirmed_order(uow, self.customers[code], [(product, qty)])
            ship(uow, order.id, [(product, qty)])
            invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True, "invoice_date": ON})
            self.invoices[n], self.orders[n] = invoice, order
        self.payment = payments.record_payment(uow, {"customer_id": self.customers["HD"], "amount": D("500.00"),
                                                     "date": date(2026, 3, 4), "reference": "HD-20260305"})
        self.account = bank.create_bank_account(uow, {"name": "ICBC basic", "account_number": "6222021001098765432",
                                                      "mapping": CHINESE_MAPPING})


@pytest.fixture
def scene(uow):
    return Scene(uow)


def lines_by_row(db, statement_id):
    return {line.row_number: line for line in db.scalars(select(StatementLine).where(
        StatementLine.statement_id == statement_id))}


def counts(db):
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))
                 for model in (BankStatement, StatementLine, Payment, PaymentAllocation, AuditEntry))


def test_the_sample_statement_matches_the_lines_it_should(db, uow, scene):
    assert [scene.invoices[n].total for n in range(1, 7)] == [D("113.57"), D("227.13"), D("340.70"), D("340.70"),
                                                             D("454.26"), D("87.80")]
    result = bank.import_statement(uow, scene.account.id, SAMPLE, filename="icbc-2026-03.csv")
    assert result.created and result.imported == 9 and result.skipped == 0
    assert result.counts == {"matched": 4, "suggested": 3, "unmatched": 2, "reconciled": 0, "ignored": 0}
    statement = result.statement
    assert (statement.period_start, statement.period_end) == (date(2026, 3, 5), date(2026, 3, 10))
    inv = {n: scene.invoices[n].id for n in scene.invoices}
    found = {row: (line.state, line.rule, line.invoice_ids, line.payment_id, line.customer_id, line.amount)
             for row, line in lines_by_row(db, statement.id).items()}
    hd, xl, nb = (scene.customers[c] for c in ("HD", "XL", "NB"))
    assert found == {
        5: ("matched", "invoice_number", [inv[1]], None, hd, D("113.57")),    # INV-2026-00001 in the memo
        6: ("matched", "amount_and_name", [inv[2]], None, hd, D("227.13")),   # the name and exactly one amount
        7: ("suggested", "amount_and_name", [inv[3], inv[4]], None, xl, D("340.70")),  # two invoices fit
        8: ("suggested", "amount", [inv[5]], None, None, D("454.26")),        # unknown name, amount fits
        9: ("matched", "payment", [], scene.payment.id, hd, D("500.00")),    # the payment recorded by hand
        10: ("unmatched", None, [], None, None, D("-25.00")),                 # the bank's fee
        11: ("unmatched", None, [], None, None, D("1000.00")),                # nobody known
        12: ("matched", "amount_and_name", [inv[6]], None, nb, D("87.80")),   # English name, normalized
        13: ("suggested", "name", [inv[3], inv[4]], None, xl, D("100.00")),   # the name only
    }
    # every line's creation is in the audit log, with the import's note on the statement
    audited = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "StatementLine"))
    assert audited == 9
    note = db.scalar(select(AuditEntry.note).where(AuditEntry.entity == "BankStatement", AuditEntry.action == "note"))
    assert "4 matched, 3 suggested, 2 unmatched" in note


def test_importing_the_same_statement_twice_creates_nothing_new(db, uow, scene):
    first = bank.import_statement(uow, scene.account.id, SAMPLE, filename="a.csv")
    before = counts(db)
    again = bank.import_statement(uow, scene.account.id, SAMPLE, filename="a.csv")
    assert (again.created, again.imported, again.statement.id) == (False, 0, first.statement.id)
    assert counts(db) == before
    # another export of the same days (another file): its lines are known by the bank's line id
    reexport = SAMPLE.replace(b"\xe8\xb5\xb7\xe6\xad\xa2", b"\xe6\x9f\xa5\xe8\xaf\xa2")  # 起止 -> 查询 in the preamble
    assert reexport != SAMPLE
    overlap = bank.import_statement(uow, scene.account.id, reexport)
    assert (overlap.statement, overlap.created, overlap.imported, overlap.skipped) == (None, False, 0, 9)
    assert counts(db) == before


def test_an_overlapping_export_adds_only_its_new_lines(db, uow, scene):
    bank.import_statement(uow, scene.account.id, SAMPLE)
    more = SAMPLE + "2026-03-11,10:00:00,50.00,,\"122,848.46\",人民币,某某公司,1,转账收入,杂项,B202603110001\n".encode()
    result = bank.import_statement(uow, scene.account.id, more)
    assert (result.created, result.imported, result.skipped) == (True, 1, 9)
    assert [line.amount for line in lines_by_row(db, result.statement.id).values()] == [D("50.00")]


def _refused(db, uow, account_id, content):
    before = counts(db)
    with pytest.raises(DomainError) as refused:
        bank.import_statement(uow, account_id, content)
    db.rollback()
    assert counts(db) == before
    return refused.value


def test_a_file_without_the_mapped_columns_is_refused_and_nothing_is_stored(db, uow, scene):
    refused = _refused(db, uow, scene.account.id, ENGLISH)
    assert refused.status == 422 and refused.code == "statement_unreadable"
    assert "交易日期" in refused.message and "columns" in refused.fields


def test_bad_dates_and_amounts_are_reported_row_by_row_and_nothing_is_stored(db, uow, scene):
    bad = (SAMPLE.replace(b"2026-03-06,10:03:19,227.13", b"2026-02-30,10:03:19,227.13")
           .replace(b"340.70,,", b"34O.70,,").replace(b"87.80,,", b"87.805,,"))
    refused = _refused(db, uow, scene.account.id, bad)
    assert isinstance(refused, InvalidInput)
    rows = refused.fields["rows"]
    assert set(rows) == {"6", "7", "12"}
    assert "not a date in the format %Y-%m-%d" in rows["6"]["date"][0]
    assert rows["7"] == {"amount": ["Not a number."]}
    assert rows["12"] == {"amount": ["At most two decimals."]}


def test_a_foreign_currency_line_is_refused_and_nothing_is_stored(db, uow, scene):
    refused = _refused(db, uow, scene.account.id, SAMPLE.replace("454.26,,\"121,135.66\",人民币".encode(),
                                                                 "454.26,,\"121,135.66\",美元".encode()))
    assert list(refused.fields["rows"]) == ["8"]
    assert "foreign-currency" in refused.fields["rows"]["8"]["currency"][0]


def test_a_statement_with_a_line_twice_is_refused_and_nothing_is_stored(db, uow, scene):
    line = "2026-03-09,09:00:00,\"1,000.00\",,\"122,610.66\",人民币,杭州未知客户有限公司,33001112223333,转账收入,预付款,B202603090001\n"
    refused = _refused(db, uow, scene.account.id, SAMPLE + line.encode())
    assert refused.fields["rows"] == {"14": {"line": ["Repeats row 11: a line appears once in a statement."]}}


def test_a_bank_account_in_another_currency_or_without_a_date_column_is_refused(db, uow):
    with pytest.raises(InvalidInput) as refused:
        bank.create_bank_account(uow, {"name": "HSBC USD", "account_number": "1", "currency": "USD",
                                       "mapping": {"amount": "Amount", "date_": "x"}})
    assert set(refused.value.fields) == {"currency", "mapping"}


def test_a_second_bank_with_english_columns_and_day_first_dates(db, uow, scene):
    account = bank.create_bank_account(uow, {"name": "BOC", "account_number": "4563", "mapping": ENGLISH_MAPPING,
                                             "date_format": "%d/%m/%Y"})
    result = bank.import_statement(uow, account.id, ENGLISH)
    rows = lines_by_row(db, result.statement.id)
    assert [(r, line.line_date, line.amount, line.state, line.rule) for r, line in sorted(rows.items())] == [
        (2, date(2026, 3, 7), D("454.26"), "matched", "invoice_number"),
        (3, date(2026, 3, 8), D("-12.50"), "unmatched", None)]
    assert rows[2].invoice_ids == [scene.invoices[5].id]


# --------------------------------------------------------------------------- the actions


@pytest.fixture
def imported(db, uow, scene):
    statement = bank.import_statement(uow, scene.account.id, SAMPLE).statement
    return scene, lines_by_row(db, statement.id)


def test_confirming_a_matched_line_pays_the_invoice_and_the_order_turns_paid(db, uow, imported):
    scene, lines = imported
    line = bank.confirm_line(uow, lines[5].id)
    db.expire_all()
    assert line.state == "reconciled" and line.reconciled_at is not None
    payment = db.get(Payment, line.payment_id)
    assert (payment.customer_id, payment.amount, payment.payment_date, payment.reference, payment.unapplied) == (
        scene.customers["HD"], D("113.57"), date(2026, 3, 5), "货款 INV-2026-00001", D(0))
    invoice, order = db.get(Invoice, scene.invoices[1].id), db.get(SalesOrder, scene.orders[1].id)
    assert (invoice.state, invoice.open_amount) == ("paid", D(0))
    assert order.payment_status == "paid"
    assert journal.check(db) == []  # the payment and its allocation are booked, and the books agree


def test_a_line_is_reconciled_once(db, uow, imported):
    _scene, lines = imported
    bank.confirm_line(uow, lines[6].id)
    before = counts(db)
    with pytest.raises(DomainError) as refused:
        bank.confirm_line(uow, lines[6].id)
    assert (refused.value.code, refused.value.status) == ("line_closed", 409)
    with pytest.raises(DomainError):
        bank.ignore_line(uow, lines[6].id, reason="twice")
    db.rollback()
    assert counts(db) == before


def test_a_line_matched_to_a_recorded_payment_is_tied_to_it_without_a_new_payment(db, uow, imported):
    scene, lines = imported
    before = db.scalar(select(func.count()).select_from(Payment))
    line = bank.confirm_line(uow, lines[9].id)
    assert (line.state, line.payment_id) == ("reconciled", scene.payment.id)
    assert db.scalar(select(func.count()).select_from(Payment)) == before


def test_a_suggested_line_is_confirmed_against_the_chosen_candidate(db, uow, imported):
    scene, lines = imported
    with pytest.raises(DomainError) as refused:
        bank.confirm_line(uow, lines[7].id)  # two candidates: which one?
    assert refused.value.code == "nothing_to_confirm"
    bank.confirm_line(uow, lines[7].id, invoice_ids=[scene.invoices[4].id])
    db.expire_all()
    assert db.get(Invoice, scene.invoices[4].id).state == "paid"
    assert db.get(Invoice, scene.invoices[3].id).state == "posted"


def test_a_line_is_split_across_invoices_and_the_rest_stays_as_unapplied_credit(db, uow, imported):
    scene, lines = imported
    line = bank.split_line(uow, lines[13].id, [{"invoice_number": "INV-2026-00003", "amount": D("60.00")},
                                               {"invoice_id": scene.invoices[4].id, "amount": D("30.00")}])
    db.expire_all()
    payment = db.get(Payment, line.payment_id)
    assert [(a.invoice_id, a.amount) for a in payment.allocations] == [(scene.invoices[3].id, D("60.00")),
                                                                        (scene.invoices[4].id, D("30.00"))]
    assert payment.unapplied == D("10.00")
    assert db.get(Invoice, scene.invoices[3].id).state == "partially_paid"


def test_a_split_over_the_line_or_across_customers_changes_nothing(db, uow, imported):
    scene, lines = imported
    before = counts(db)
    with pytest.raises(DomainError) as over:
        bank.split_line(uow, lines[13].id, [{"invoice_id": scene.invoices[3].id, "amount": D("60.00")},
                                            {"invoice_id": scene.invoices[4].id, "amount": D("50.00")}])
    assert over.value.code == "over_allocation"
    with pytest.raises(InvalidInput) as mixed:
        bank.split_line(uow, lines[13].id, [{"invoice_id": scene.invoices[3].id, "amount": D("60.00")},
                                            {"invoice_id": scene.invoices[1].id, "amount": D("10.00")}])
    assert "different customers" in mixed.value.fields["invoice_ids"][0]
    with pytest.raises(InvalidInput) as unknown:
        bank.split_line(uow, lines[13].id, [{"invoice_number": "INV-2026-09999", "amount": D("1.00")},
                                            {"invoice_id": scene.invoices[3].id, "amount": D("-1")}])
    assert unknown.value.fields["allocations"] == {
        "0": {"invoice_number": ["No invoice INV-2026-09999."]},
        "1": {"amount": ["The amount must be more than zero, with at most two decimals."]}}
    db.rollback()
    assert counts(db) == before
    assert db.get(StatementLine, lines[13].id).state == "suggested"


def test_a_payment_is_created_from_an_unmatched_line_for_a_chosen_customer(db, uow, imported):
    scene, lines = imported
    line = bank.create_payment_from_line(uow, lines[11].id, customer_id=scene.customers["XL"])
    payment = db.get(Payment, line.payment_id)
    assert (payment.customer_id, payment.amount, payment.unapplied) == (scene.customers["XL"], D("1000.00"),
                                                                        D("1000.00"))
    assert line.state == "reconciled"


def test_a_bank_fee_is_ignored_with_a_reason_and_cannot_become_a_payment(db, uow, imported):
    scene, lines = imported
    with pytest.raises(DomainError) as refused:
        bank.create_payment_from_line(uow, lines[10].id, customer_id=scene.customers["HD"])
    assert refused.value.code == "not_money_in"
    with pytest.raises(InvalidInput):
        bank.ignore_line(uow, lines[10].id, reason=" ")
    line = bank.ignore_line(uow, lines[10].id, reason="Bank fee")
    assert (line.state, line.note) == ("ignored", "Bank fee")
    assert db.scalar(select(AuditEntry.changes).where(AuditEntry.entity == "StatementLine",
                                                      AuditEntry.entity_id == str(line.id),
                                                      AuditEntry.action == "update"))["state"] == ["unmatched",
                                                                                                   "ignored"]


def test_a_later_statement_does_not_match_what_an_earlier_line_claims(db, uow, imported):
    scene, _lines = imported
    # INV-2026-00001 and 00002 are claimed by matched lines of the first statement (not reconciled yet)
    account = bank.create_bank_account(uow, {"name": "BOC", "account_number": "4563", "mapping": ENGLISH_MAPPING,
                                             "date_format": "%d/%m/%Y"})
    content = "Value date,Amount,Currency,Payer,Description\n12/03/2026,227.13,CNY,上海宏达机械有限公司,货款\n"
    result = bank.import_statement(uow, account.id, content.encode())
    (line,) = lines_by_row(db, result.statement.id).values()
    # both of the customer's invoices are claimed: only the customer is suggested
    assert (line.state, line.rule, line.invoice_ids, line.customer_id) == ("suggested", "name", [],
                                                                           scene.customers["HD"])
