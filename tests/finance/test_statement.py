"""The customer statement: opening balance, invoices and payments with the running balance, closing
balance and the aging line, printed in Chinese and English; reached from the customer page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from finance.invoicing import credit_notes
from finance.payments import refunds
from finance.payments import services as payments
from finance.receivables.statements import statement_data
from tests.conftest import api_as, make_user, uow_for
from tests.finance.test_aging_reports import ledger  # noqa: F401  (the fixture)
from tests.pdf_checks import assert_chinese_drawn, read
from tests.web.test_forms import sign_in

D = Decimal


def test_the_statement_runs_from_the_opening_to_the_closing_balance(db, ledger):  # noqa: F811
    books, made = ledger
    data = statement_data(db, make_user(db, "finance"), books.customer_id, start=date(2026, 1, 1),
                          end=date(2026, 3, 5))
    # billed before January: 2025-12-01, 10-20 and 08-01, 11.36 each; nothing received before
    assert data.opening == D("34.08")
    assert [(line.day.isoformat(), line.kind, line.debit, line.credit, line.balance) for line in data.lines] == [
        ("2026-01-10", "invoice", D("11.36"), D(0), D("45.44")),
        ("2026-01-20", "payment", D(0), D("11.36"), D("34.08")),
        ("2026-03-01", "invoice", D("11.36"), D(0), D("45.44")),
    ]
    assert made["2026-01-10"].number in data.lines[1].detail
    assert (data.invoiced, data.received, data.closing) == (D("22.72"), D("11.36"), D("45.44"))
    assert data.aging == {"current": D("11.36"), "1_30": D(0), "31_60": D(0), "61_90": D("11.36"),
                          "over_90": D("22.72")}
    assert sum(data.aging.values()) == data.closing  # nothing unapplied: the books and the aging agree


def test_the_statement_pdf_prints_chinese_and_english_with_the_figures(client, db, ledger, tmp_path):  # noqa: F811
    books, made = ledger
    answer = api_as(client, db, "finance").get(
        f"/customers/{books.customer_id}/statement.pdf?from=2026-01-01&to=2026-03-05")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    page = read(answer.data, tmp_path)

    assert_chinese_drawn(page, "客户对账单", "期初余额", "往来明细", "账龄", "核销")
    for english in ("Customer statement", "Opening balance", "Closing balance", "F Harbour Trading", "Aging"):
        assert english in page.text
    lines = page.text.splitlines()
    assert any(line.split()[:1] == ["2026-01-01"] and "Opening balance" in line and "34.08" in line for line in lines)
    paid = next(line for line in lines if "PAY-2026-00001" in line)
    assert "11.36" in paid and "34.08" in paid
    assert any(made["2026-03-01"].number in line and "45.44" in line for line in lines)
    assert re.search(r"11\.36\s+0\.00\s+0\.00\s+11\.36\s+22\.72\s+45\.44", page.text)  # the aging line


def test_the_statement_refuses_other_roles_unknown_customers_and_an_upside_down_period(client, db, ledger):  # noqa: F811
    books, _made = ledger
    path = f"/customers/{books.customer_id}/statement.pdf"
    assert api_as(client, db, "sales_rep").get(path).status_code == 403
    finance = api_as(client, db, "finance")
    assert finance.get("/customers/999999/statement.pdf").status_code == 404
    upside_down = finance.get(f"{path}?from=2026-03-01&to=2026-02-01")
    assert upside_down.status_code == 422 and "from" in upside_down.get_json()["error"]["fields"]
    assert finance.get(f"{path}?from=yesterday").status_code == 422


def test_finance_opens_the_statement_from_the_customer_page(app, client, db, ledger):  # noqa: F811
    books, _made = ledger
    sign_in(client, make_user(db, "finance"))
    page = client.get(f"/customers/{books.customer_id}").get_data(as_text=True)
    panel = f"/finance/customers/{books.customer_id}/account"
    assert panel in page
    fragment = client.get(panel).get_data(as_text=True)
    assert f'action="/finance/customers/{books.customer_id}/statement.pdf"' in fragment
    assert f'data-account="{books.customer_id}"' in fragment and "45.44" in fragment
    pdf = client.get(f"/finance/customers/{books.customer_id}/statement.pdf?from=2026-01-01&to=2026-03-05")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    rep = app.test_client()
    sign_in(rep, make_user(db, "sales_rep"))
    assert panel not in rep.get(f"/customers/{books.customer_id}").get_data(as_text=True)
    assert rep.get(panel).status_code == 403


def test_credit_notes_and_refunds_are_on_the_statement_and_it_closes_at_aging_less_unapplied_credit(db, ledger):  # noqa: F811
    books, made = ledger
    uow = uow_for(db)
    credit_notes.create_credit_note(uow, made["2025-12-01"].id, {"kind": "price_correction", "full": True},
                                    on=date(2026, 2, 1))
    invoice = made["2026-03-01"]
    credit_notes.create_credit_note(uow, invoice.id, {"kind": "price_correction", "lines": [
        {"invoice_line_id": invoice.lines[0].id, "amount": D("1.00")}]}, on=date(2026, 3, 2))
    payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D("20.00"), "date": date(2026, 3, 3)})
    refunds.record_refund(uow, books.customer_id, {"amount": D("5.00"), "date": date(2026, 3, 4)})

    data = statement_data(db, make_user(db, "finance"), books.customer_id, start=date(2026, 1, 1),
                          end=date(2026, 3, 5))
    assert data.opening == D("34.08")  # the fully credited invoice of December still counts as issued then
    assert [(line.kind, line.debit, line.credit, line.balance) for line in data.lines] == [
        ("invoice", D("11.36"), D(0), D("45.44")),
        ("payment", D(0), D("11.36"), D("34.08")),
        ("credit_note", D(0), D("11.36"), D("22.72")),
        ("invoice", D("11.36"), D(0), D("34.08")),  # as issued; its credit note follows
        ("credit_note", D(0), D("1.13"), D("32.95")),
        ("payment", D(0), D("20.00"), D("12.95")),
        ("refund", D("5.00"), D(0), D("17.95")),
    ]
    assert sum(data.aging.values()) == D("32.95")
    assert data.closing == sum(data.aging.values()) - D("15.00")  # 15.00 of the payment is unapplied
