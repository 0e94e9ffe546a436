"""The aging report's figures and shapes: DSO on known numbers, the Excel export read back against the
JSON, the stacked bar chart on the aging page, and one grouped query behind them."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from core.models import Customer
from finance.invoicing import services as invoicing
from finance.payments import services as payments
from finance.queries import aging
from tests.conftest import api_as, make_user, uow_for
from tests.finance.builders import build_books, confirmed_order, ship
from tests.web.test_forms import sign_in

D = Decimal
AS_OF = "2026-03-05"


def ok(answer, status=200):
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    return answer


def invoice(uow, books, customer_id, qty, on: str):
    """A posted invoice of `qty` pieces of A (11.36 each, gross) dated `on`, 30- or 60-day terms."""
    order = confirmed_order(uow, customer_id, [(books.a, qty)])
    ship(uow, order.id, [(books.a, qty)])
    made = invoicing.create_invoice(uow, {"sales_order_id": order.id, "invoice_date": date.fromisoformat(on),
                                          "post": True})
    return made


@pytest.fixture
def ledger(db):
    """FC1: five invoices of 11.36 (due 02-09, 12-31, 11-19, 08-31 and 03-31 on 30-day terms); the one
    of 2026-01-10 paid in full. FC2 (60-day terms): one old invoice of 11.36, nothing billed lately."""
    uow = uow_for(db)
    books = build_books(uow)
    made = {on: invoice(uow, books, books.customer_id, 1, on)
            for on in ("2026-01-10", "2025-12-01", "2025-10-20", "2025-08-01", "2026-03-01")}
    invoice(uow, books, books.other_customer_id, 1, "2025-09-01")
    payment = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D("11.36"),
                                            "date": date(2026, 1, 20), "reference": "wire"})
    payments.allocate(uow, payment.id, allocations=[{"invoice_id": made["2026-01-10"].id, "amount": D("11.36")}])
    return books, made


def test_dso_is_receivable_over_the_last_90_days_credit_sales_times_90(client, db, ledger):
    body = ok(api_as(client, db, "finance").get(f"/receivables/aging?as_of={AS_OF}")).get_json()
    first, second = body["items"]
    # FC1 owes 4 x 11.36 = 45.44; billed since 2025-12-06: 01-10 (paid, still a sale) and 03-01 = 22.72
    assert (first["customer_code"], first["total"], first["sales_90d"], first["dso"]) == ("FC1", "45.44", "22.72",
                                                                                         "180.0")
    # FC2 billed nothing in the window: no DSO
    assert (second["customer_code"], second["total"], second["sales_90d"], second["dso"]) == ("FC2", "11.36", "0.00",
                                                                                            None)
    # overall: 56.80 / 22.72 x 90
    assert (body["totals"]["total"], body["totals"]["sales_90d"], body["totals"]["dso"]) == ("56.80", "22.72", "225.0")
    # the contract's buckets are unchanged
    assert {k: first[k] for k in ("current", "1_30", "31_60", "61_90", "over_90")} == {
        "current": "11.36", "1_30": "0.00", "31_60": "0.00", "61_90": "11.36", "over_90": "22.72"}


def test_the_aging_page_shows_dso_and_a_stacked_bar_per_bucket_matching_the_totals(client, db, ledger):
    sign_in(client, make_user(db, "finance"))
    page = ok(client.get(f"/finance/aging?as_of={AS_OF}")).get_data(as_text=True)
    row = re.search(r'data-customer="FC1">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-dso>\s*180.0\s*<', row)
    assert re.search(r'id="aging-dso"[^>]*>\s*225.0\s*<', page)

    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "aria-labelledby" in svg
    segments = re.findall(r'<rect[^>]*data-bucket="(\w+)"[^>]*data-amount="([\d.]+)"', svg)
    by_bucket: dict[str, Decimal] = {}
    for bucket, amount in segments:
        by_bucket[bucket] = by_bucket.get(bucket, D(0)) + D(amount)
    assert by_bucket == {"current": D("11.36"), "61_90": D("11.36"), "over_90": D("34.08")}
    bars = dict(re.findall(r'<g[^>]*data-bar="(\w+)"[^>]*data-total="([\d.]+)"', svg))
    assert bars == {"current": "11.36", "1_30": "0.00", "31_60": "0.00", "61_90": "11.36", "over_90": "34.08"}
    # over 90 days: FC1's 22.72 under FC2's 11.36, twice as high
    heights = [float(h) for h in re.findall(r'<rect[^>]*data-bucket="over_90"[^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 2 and abs(heights[0] - 2 * heights[1]) < 0.2
    assert 'href="/finance/aging.xlsx?as_of=2026-03-05"' in page


def test_the_excel_export_has_the_figures_of_the_json_report(client, db, ledger):
    finance = api_as(client, db, "finance")
    body = ok(finance.get(f"/receivables/aging?as_of={AS_OF}")).get_json()
    answer = ok(finance.get(f"/receivables/aging.xlsx?as_of={AS_OF}"))
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert AS_OF in rows[0][0]
    header, *customers, totals = rows[1:]
    assert len(header) == 10
    expected = [*body["items"], body["totals"]]
    for got, want in zip([*customers, totals], expected, strict=True):
        amounts = [want[k] for k in ("current", "1_30", "31_60", "61_90", "over_90", "total", "sales_90d")]
        assert [f"{D(str(v)):.2f}" for v in got[2:9]] == amounts
        assert (f"{D(str(got[9])):.1f}" if got[9] is not None else None) == want["dso"]
    assert [c[0] for c in customers] == ["FC1", "FC2"]
    assert sheet.cell(row=3, column=3).number_format == "#,##0.00"

    sign_in(client, make_user(db, "finance"))
    web = ok(client.get(f"/finance/aging.xlsx?as_of={AS_OF}"))
    assert load_workbook(io.BytesIO(web.data)).active.cell(row=3, column=1).value == "FC1"
    assert api_as(client, db, "sales_rep").get("/receivables/aging.xlsx").status_code == 403


def test_the_aging_report_is_one_grouped_query(db, ledger):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows, totals = aging(db, make_user(db, "finance"), as_of=date(2026, 3, 5))
        statements.clear()
        rows, totals = aging(db, make_user(db, "finance", "finance-2"), as_of=date(2026, 3, 5))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if "finance_invoice" in s]
    assert len(selects) == 1 and "GROUP BY" in selects[0]
    assert totals.total == D("56.80")


def test_the_receivables_list_filters_by_customer_owner_and_due_dates(app, client, db, ledger):
    books, made = ledger
    rep = make_user(db, "sales_rep")
    db.get(Customer, books.customer_id).owner_id = rep.id
    db.commit()
    sign_in(client, make_user(db, "finance"))

    def listed(query: str) -> set[str]:
        page = ok(client.get(f"/finance/receivables?{query}")).get_data(as_text=True)
        return set(re.findall(r'data-invoice="([\w-]+)"', page))

    fc1 = {inv.number for inv in made.values()}
    other = listed(f"customer_id={books.other_customer_id}")
    assert len(other) == 1 and not other & fc1
    assert listed(f"owner_id={rep.id}") == fc1
    assert listed("due_from=2025-11-01&due_to=2025-12-31") == {made["2025-12-01"].number, made["2025-10-20"].number}
    assert listed(f"customer_id={books.customer_id}&state=paid") == {made["2026-01-10"].number}
    page = client.get(f"/finance/receivables?owner_id={rep.id}").get_data(as_text=True)
    assert f'<option value="{rep.id}" selected>' in page

    finance = api_as(client, db, "finance")
    body = ok(finance.get(f"/invoices?due_from=2025-11-01&due_to=2025-12-31&owner_id={rep.id}")).get_json()
    assert {i["number"] for i in body["items"]} == {made["2025-12-01"].number, made["2025-10-20"].number}


def test_a_customer_name_that_starts_like_a_formula_is_text_in_the_workbook(client, db, ledger):
    books, _made = ledger
    formula = '=HYPERLINK("http://evil.example/pay","Pay here")'
    db.get(Customer, books.customer_id).name = formula
    db.get(Customer, books.other_customer_id).name = "@SUM(1+1)"
    db.flush()
    finance = api_as(client, db, "finance")

    sheet = load_workbook(io.BytesIO(ok(finance.get(f"/receivables/aging.xlsx?as_of={AS_OF}")).data)).active

    names = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2) for r in (3, 4)}
    assert (names["FC1"].value, names["FC1"].data_type, names["FC1"].quotePrefix) == (formula, "s", True)
    assert (names["FC2"].value, names["FC2"].data_type) == ("@SUM(1+1)", "s")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
