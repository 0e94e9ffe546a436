"""The bank reconciliation pages: a bank account with its columns, the statement upload (a refused
file names its rows), the screen with lines by state, and one-click confirm through htmx."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from finance.bank.models import BankAccount, BankStatement, StatementLine
from finance.models import Invoice
from tests.conftest import make_user, uow_for
from tests.finance.test_bank import SAMPLE, Scene
from tests.web.test_forms import csrf_token, sign_in


def test_finance_sets_up_an_account_uploads_a_statement_and_confirms_a_line_with_one_click(client, db):
    scene = Scene(uow_for(db))
    sign_in(client, make_user(db, "finance"))
    token = csrf_token(client, "/finance/bank/accounts")

    refused = client.post("/finance/bank/accounts", data={"csrf_token": token, "name": "CCB", "account_number": "9",
                                                          "mapping-amount": "金额"})
    assert refused.status_code == 422 and "Name the column of the date." in refused.get_data(as_text=True)
    saved = client.post("/finance/bank/accounts", data={
        "csrf_token": token, "name": "CCB", "account_number": "9", "mapping-date": "Date", "mapping-amount": "Amount",
        "date_format": "%d/%m/%Y", "decimal_separator": ",", "active": "1"})
    assert saved.status_code == 303
    account = db.scalars(select(BankAccount).where(BankAccount.account_number == "9")).one()
    assert (account.mapping, account.date_format, account.decimal_separator) == (
        {"date": "Date", "amount": "Amount"}, "%d/%m/%Y", ",")

    bad = client.post("/finance/bank/statements", data={
        "csrf_token": token, "bank_account_id": scene.account.id,
        "file": (io.BytesIO(SAMPLE.replace(b"340.70,,", b"abc,,")), "bad.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    assert 'data-row="7"' in bad.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(BankStatement)) == 0

    uploaded = client.post("/finance/bank/statements", data={
        "csrf_token": token, "bank_account_id": scene.account.id, "file": (io.BytesIO(SAMPLE), "icbc.csv")},
        content_type="multipart/form-data")
    assert uploaded.status_code == 303
    screen = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "9 lines imported: 4 matched, 3 suggested, 2 unmatched." in screen
    assert 'data-candidate="INV-2026-00001"' in screen and "Pay INV-2026-00004" in screen

    line = db.scalars(select(StatementLine).where(StatementLine.row_number == 5)).one()
    answer = client.post(f"/finance/bank/lines/{line.id}/confirm", data={"csrf_token": token},
                         headers={"HX-Request": "true"})
    row = answer.get_data(as_text=True)
    assert answer.status_code == 200 and row.lstrip().startswith(f'<tr id="line-{line.id}"')
    assert 'data-state="reconciled"' in row and "Reconciled: payment PAY-2026-00002 of" in row
    db.expire_all()
    assert db.get(Invoice, scene.invoices[1].id).state == "paid"
    again = client.post(f"/finance/bank/lines/{line.id}/confirm", data={"csrf_token": token},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "already reconciled" in again

    reconciled = client.get(f"/finance/bank/statements/{line.statement_id}?state=reconciled").get_data(as_text=True)
    assert reconciled.count('<tr id="line-') == 1

    ignored = client.post(f"/finance/bank/lines/{line.id + 5}/ignore", data={"csrf_token": token, "reason": "Fee"})
    assert ignored.status_code == 303
    db.expire_all()
    assert db.get(StatementLine, line.id + 5).state == "ignored"


def test_sales_cannot_open_the_bank_pages(client, db):
    sign_in(client, make_user(db, "sales_rep"))
    assert client.get("/finance/bank/statements").status_code == 403
    assert client.get("/finance/bank/accounts").status_code == 403
