"""Matching a statement's open lines again after invoices are posted: an unmatched line finds its new
invoice, a suggested line becomes matched to the one invoice still unclaimed, money claimed by a matched
line of another statement is not claimed twice, reconciled and closed lines are untouched, a second run
changes nothing, and only finance may run it (service, API and page)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import Forbidden
from core.models import AuditEntry, Product
from finance.bank import services as bank
from finance.bank.models import StatementLine
from tests.conftest import api_as, make_user, uow_for
from tests.finance.builders import invoiced_order
from tests.finance.test_bank import Scene, counts, lines_by_row
from tests.web.test_forms import csrf_token, sign_in

D = Decimal
HEADER = "交易日期,收入金额,支出金额,币种,对方户名,附言,流水号\n"
UNKNOWN = "杭州未知客户有限公司"


def statement(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """A statement in the sample's columns: (date, money in, money out, payer, memo) a row."""
    body = "".join(f"{day},{money_in},{money_out},人民币,{payer},{memo},L{day}-{n}\n"
                   for n, (day, money_in, money_out, payer, memo) in enumerate(rows))
    return (HEADER + body).encode()


MONTH_END = statement([
    ("2026-03-28", "113.57", "", "上海宏达机械有限公司", "货款 INV-2026-00001"),  # row 2: matched, then reconciled
    ("2026-03-29", "340.70", "", "苏州新力电子股份有限公司", "三月货款"),  # row 3: suggested, INV-3 or INV-4
    ("2026-03-30", "56.78", "", UNKNOWN, "货款 INV-2026-00007"),  # row 4: the invoice is not posted yet
    ("2026-03-30", "56.78", "", UNKNOWN, "再付 INV-2026-00007"),  # row 5: the same invoice a second time
    ("2026-03-31", "79.50", "", UNKNOWN, "货款 INV-2026-00008"),  # row 6: another statement will claim it
    ("2026-03-31", "", "25.00", "", "汇款手续费"),  # row 7: a bank fee
])
APRIL = statement([
    ("2026-04-01", "340.70", "", "苏州新力电子股份有限公司", "INV-2026-00003"),
    ("2026-04-01", "79.50", "", UNKNOWN, "INV-2026-00008"),
])


class MonthEnd:
    """The month-end statement imported before the last two invoices (INV-7 and INV-8, of NB) were posted;
    its INV-1 line reconciled; then April's statement, which claims INV-3 and INV-8."""

    def __init__(self, db, uow):
        self.scene = scene = Scene(uow)
        self.statement = bank.import_statement(uow, scene.account.id, MONTH_END, filename="march.csv").statement
        self.rows = lines_by_row(db, self.statement.id)
        bank.confirm_line(uow, self.rows[2].id)
        product = db.scalar(select(Product.id).where(Product.sku == "FA"))
        nb = scene.customers["NB"]
        self.inv7 = invoiced_order(uow, nb, [(product, 5)])[1]
        self.inv8 = invoiced_order(uow, nb, [(product, 7)])[1]
        self.april = bank.import_statement(uow, scene.account.id, APRIL, filename="april.csv").statement


@pytest.fixture
def month_end(db, uow):
    return MonthEnd(db, uow)


def outcome(db, statement_id):
    db.expire_all()
    return {row: (line.state, line.rule, line.invoice_ids, line.customer_id, line.payment_id)
            for row, line in lines_by_row(db, statement_id).items()}


def test_the_month_end_scene_is_what_the_other_tests_assume(db, month_end):
    scene, inv = month_end.scene, month_end.scene.invoices
    assert (month_end.inv7.number, month_end.inv7.total) == ("INV-2026-00007", D("56.78"))
    assert (month_end.inv8.number, month_end.inv8.total) == ("INV-2026-00008", D("79.50"))
    at_import = outcome(db, month_end.statement.id)
    assert at_import[2][0] == "reconciled"
    assert at_import[3] == ("suggested", "amount_and_name", [inv[3].id, inv[4].id], scene.customers["XL"], None)
    assert {row: at_import[row][0] for row in (4, 5, 6, 7)} == dict.fromkeys((4, 5, 6, 7), "unmatched")
    april = outcome(db, month_end.april.id)
    assert [(state, ids) for state, _rule, ids, _c, _p in april.values()] == [
        ("matched", [inv[3].id]), ("matched", [month_end.inv8.id])]


def test_matching_again_finds_new_invoices_and_never_claims_money_twice(db, uow, month_end):
    scene, inv = month_end.scene, month_end.scene.invoices
    before = outcome(db, month_end.statement.id)
    reconciled = db.get(StatementLine, month_end.rows[2].id)
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "StatementLine"))

    result = bank.rematch_statement(uow, month_end.statement.id)

    assert (result.examined, result.changed) == (5, 2)
    assert result.counts == {"matched": 2, "suggested": 0, "unmatched": 3}
    after = outcome(db, month_end.statement.id)
    nb, xl = scene.customers["NB"], scene.customers["XL"]
    assert after == {
        2: before[2],  # reconciled: untouched
        # INV-3 is claimed by April's matched line: the one invoice left open for the amount is INV-4
        3: ("matched", "amount_and_name", [inv[4].id], xl, None),
        4: ("matched", "invoice_number", [month_end.inv7.id], nb, None),  # posted after the import
        5: ("unmatched", None, [], None, None),  # INV-7 is claimed by row 4 now
        6: ("unmatched", None, [], None, None),  # INV-8 is claimed by April's line
        7: ("unmatched", None, [], None, None),  # money out
    }
    assert db.get(StatementLine, reconciled.id).payment_id == before[2][4] is not None
    # each changed line's change is audited, and the run is noted on the statement
    changes = db.scalars(select(AuditEntry).where(AuditEntry.entity == "StatementLine",
                                                  AuditEntry.action == "update").order_by(AuditEntry.id)).all()
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "StatementLine")) == audit_before + 2
    by_line = {entry.entity_id: entry.changes for entry in changes[-2:]}
    assert set(by_line) == {str(month_end.rows[3].id), str(month_end.rows[4].id)}
    assert by_line[str(month_end.rows[3].id)]["state"] == ["suggested", "matched"]
    assert by_line[str(month_end.rows[4].id)]["invoice_ids"] == [[], [month_end.inv7.id]]
    note = db.scalars(select(AuditEntry.note).where(AuditEntry.entity == "BankStatement", AuditEntry.action == "note")
                      .order_by(AuditEntry.id.desc())).first()
    assert "2 changed" in note

    # the newly matched line is confirmed as any matched line: INV-7 is paid
    bank.confirm_line(uow, month_end.rows[4].id)
    db.expire_all()
    assert db.get(type(month_end.inv7), month_end.inv7.id).state == "paid"


def test_a_second_run_changes_nothing(db, uow, month_end):
    bank.rematch_statement(uow, month_end.statement.id)
    before, rows = counts(db), outcome(db, month_end.statement.id)
    again = bank.rematch_statement(uow, month_end.statement.id)
    assert (again.examined, again.changed) == (3, 0)
    assert again.counts == {"matched": 0, "suggested": 0, "unmatched": 3}
    assert counts(db) == before and outcome(db, month_end.statement.id) == rows
    # April's statement has nothing open: nothing to do
    assert bank.rematch_statement(uow, month_end.april.id).examined == 0


def test_a_suggested_line_stays_suggested_while_both_invoices_are_open(db, uow):
    scene = Scene(uow)
    imported = bank.import_statement(uow, scene.account.id, MONTH_END, filename="march.csv").statement
    before = outcome(db, imported.id)
    result = bank.rematch_statement(uow, imported.id)
    assert result.changed == 0 and outcome(db, imported.id) == before
    assert before[3][0] == "suggested"


def test_only_finance_matches_again(db, client, month_end):
    rep = make_user(db, "sales_rep")
    with pytest.raises(Forbidden):
        bank.rematch_statement(uow_for(db, rep), month_end.statement.id)
    db.rollback()
    assert outcome(db, month_end.statement.id)[4][0] == "unmatched"

    sales = api_as(client, db, "sales_rep")
    assert sales.post(f"/bank-statements/{month_end.statement.id}/rematch").status_code == 403
    finance = api_as(client, db, "finance")
    assert finance.post("/bank-statements/999999/rematch").status_code == 404
    answer = finance.post(f"/bank-statements/{month_end.statement.id}/rematch")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"examined": 5, "changed": 2,
                                 "counts": {"matched": 2, "suggested": 0, "unmatched": 3}}
    assert outcome(db, month_end.statement.id)[4][0] == "matched"


def test_the_match_again_button_posts_with_csrf_and_reports_the_outcome(db, client, month_end):
    page_url = f"/finance/bank/statements/{month_end.statement.id}"
    sign_in(client, make_user(db, "finance"))
    token = csrf_token(client, page_url)
    assert 'data-action="rematch"' in client.get(page_url).get_data(as_text=True)
    assert client.post(f"{page_url}/rematch", data={}).status_code == 400  # no CSRF token
    assert outcome(db, month_end.statement.id)[4][0] == "unmatched"
    answer = client.post(f"{page_url}/rematch", data={"csrf_token": token})
    assert answer.status_code == 303
    screen = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "5 open lines matched again: 2 changed; now 2 matched, 0 suggested, 3 unmatched." in screen
    again = client.post(f"{page_url}/rematch", data={"csrf_token": token}, follow_redirects=True)
    assert "3 open lines matched again: nothing changed." in again.get_data(as_text=True)



def test_management_reads_the_screen_without_the_button_and_may_not_match_again(db, client, month_end):
    page_url = f"/finance/bank/statements/{month_end.statement.id}"
    sign_in(client, make_user(db, "management"))
    page = client.get(page_url)
    assert page.status_code == 200 and 'data-action="rematch"' not in page.get_data(as_text=True)
    refused = client.post(f"{page_url}/rematch", data={"csrf_token": csrf_token(client, page_url)})
    assert refused.status_code == 403
    assert outcome(db, month_end.statement.id)[4][0] == "unmatched"
