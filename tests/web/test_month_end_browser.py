"""Month-end in headless Chromium, through the real pages only: finance invoices two shipped orders,
imports the bank's statement and confirms the line that pays the first invoice, reads the aging (chart
and Excel export), sees the overdue customer on credit hold after the nightly check and lifts the hold
with a reason; the sales rep then sees the first order paid and the second unpaid.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database of its own,
filled through the services: customer MC1 (30-day terms, owned by the rep) with two confirmed orders
shipped in full and not invoiced, customer MC2 (another rep's) with a posted invoice 40 days past due, and a bank
account whose CSV export has English columns."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import current_app

from core import clock, services
from crm.orders import services as crm
from finance.bank import services as bank
from finance.invoicing import services as invoicing
from inventory import shipping
from tests.conftest import PASSWORD
from tests.finance.builders import build_books
from tests.web.live import live_fixtures, sign_in

pytestmark = pytest.mark.browser

D = Decimal
MAPPING = {"date": "Value date", "amount": "Amount", "currency": "Currency", "counterparty": "Payer",
           "reference": "Description"}


def shipped_order(uow, customer_id: int, lines: list[tuple[int, int]], *, on: date):
    """An order entered and confirmed `on`, shipped in full the same day."""
    order = crm.create_order(uow, {"customer_id": customer_id, "requested_date": None,
                                   "lines": [{"product_id": p, "qty": D(q)} for p, q in lines]}, on=on)
    crm.confirm_order(uow, order.id, on=on)
    shipment = shipping.create_shipment(uow, {"sales_order_id": order.id, "lines": [
        {"product_id": p, "qty": D(q)} for p, q in lines]}, on=on)
    shipping.ship_shipment(uow, shipment.id, on=on)
    return order


def seed(uow) -> dict:
    rep = services.create_user(uow, {"username": "wang.fang", "password": PASSWORD, "role": "sales_rep",
                                     "full_name": "Wang Fang"})
    other_rep = services.create_user(uow, {"username": "zhao.lei", "password": PASSWORD, "role": "sales_rep",
                                           "full_name": "Zhao Lei"})
    services.create_user(uow, {"username": "li.na", "password": PASSWORD, "role": "finance", "full_name": "Li Na"})
    books = build_books(uow, prefix="M", owner_id=rep.id)  # MC1 (30 days, the rep's), MC2 (60 days)
    services.update_customer(uow, books.other_customer_id, {"owner_id": other_rep.id})
    today = clock.today()
    first = shipped_order(uow, books.customer_id, [(books.a, 10)], on=today - timedelta(days=5))   # 113.57
    second = shipped_order(uow, books.customer_id, [(books.b, 10)], on=today - timedelta(days=4))  # 87.80
    # MC2's invoice of 100 days ago on 60-day terms: 40 days past due
    old_order = shipped_order(uow, books.other_customer_id, [(books.a, 30)], on=today - timedelta(days=101))
    old = invoicing.create_invoice(uow, {"sales_order_id": old_order.id, "post": True,
                                         "invoice_date": today - timedelta(days=100)})
    account = bank.create_bank_account(uow, {"name": "CMB current account", "account_number": "755912345610801",
                                             "mapping": MAPPING, "date_format": "%d/%m/%Y"})
    return {"app": current_app._get_current_object(), "orders": [first.number, second.number],
            "old_order": old_order.number, "old_invoice": old.number, "old_total": old.total,
            "old_due": old.due_date, "mapping": dict(account.mapping), "date_format": account.date_format}


live_suite, page = live_fixtures(seed, height=1000)


def statement_csv(mapping: dict, date_format: str, rows: list[dict]) -> str:
    """A bank export with the account's own column titles."""
    out = io.StringIO()
    fields = ["date", "amount", "currency", "counterparty", "reference"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([mapping[f] for f in fields])
    for row in rows:
        writer.writerow([row["date"].strftime(date_format), row["amount"], "CNY", row["counterparty"],
                         row["reference"]])
    return out.getvalue()


def test_finance_runs_month_end_in_the_browser_and_the_rep_sees_which_orders_are_paid(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    seeded = live_suite.seeded
    topbar = page.locator("header.topbar")
    alert = page.get_by_role("alert")
    today = clock.today()
    year = today.year
    first_order, second_order = seeded["orders"]
    assert seeded["old_total"] == D("340.70") and (today - seeded["old_due"]).days == 40
    # invoice numbers run per year of the invoice date: the old invoice may be last year's
    n = 2 if seeded["old_invoice"] == f"INV-{year}-00001" else 1
    new_invoices = [f"INV-{year}-{n:05d}", f"INV-{year}-{n + 1:05d}"]

    # 1. finance opens the shipped orders to invoice from the receivables page and invoices both
    sign_in(page, "li.na")
    expect(page.locator(".home-alert")).to_have_text("Overdue invoices: 1")  # MC2's old invoice
    for order, number, total in ((first_order, new_invoices[0], "113.57"), (second_order, new_invoices[1], "87.80")):
        topbar.get_by_role("link", name="Receivables").click()
        page.get_by_role("link", name="Invoice shipped orders").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Invoice shipped orders")
        row = page.locator(f"tr[data-order='{order}']")
        expect(row.locator("td.num").nth(1)).to_have_text(total)  # shipped, not invoiced
        expect(row.get_by_role("checkbox", name="post at once")).to_be_checked()
        if order == first_order:
            expect(page.locator("tr[data-order]")).to_have_count(2)  # the old order is invoiced already
        row.get_by_role("button", name="Create invoice").click()
        expect(alert).to_have_text(f"Invoice {number} created for {total}.")
        expect(page.get_by_role("heading", level=1)).to_contain_text(number)
        expect(page.locator("h1 small[data-state]")).to_have_attribute("data-state", "posted")
        expect(page.get_by_role("row", name="Due date")).to_contain_text((today + timedelta(days=30)).isoformat())
        expect(page.locator("td[data-invoice='open']")).to_have_text(total)
    topbar.get_by_role("link", name="Receivables").click()
    page.get_by_role("link", name="Invoice shipped orders").click()
    expect(page.locator("tr[data-order]")).to_have_count(0)
    expect(page.get_by_text("Every shipment is invoiced.")).to_be_visible()

    # 2. the bank's export: MC1 pays the first new invoice exactly, naming it; a payer nobody knows
    statement = tmp_path / "cmb-statement.csv"
    statement.write_text(statement_csv(seeded["mapping"], seeded["date_format"], [
        {"date": today, "amount": "113.57", "counterparty": "M Harbour Trading",
         "reference": f"Payment {new_invoices[0]}"},
        {"date": today, "amount": "1234.56", "counterparty": "Hangzhou Unknown Ltd", "reference": "deposit"},
    ]), encoding="utf-8")
    topbar.get_by_role("link", name="Bank reconciliation").click()
    page.get_by_label("Bank account").select_option(label="CMB current account (755912345610801)")
    page.get_by_label("Statement file (CSV)").set_input_files(str(statement))
    page.get_by_role("button", name="Import statement").click()
    expect(alert).to_contain_text("2 lines imported: 1 matched, 0 suggested, 1 unmatched.")
    paying, unknown = page.locator("tr[data-line='2']"), page.locator("tr[data-line='3']")
    expect(paying.locator("[data-line-state]")).to_have_text("Matched")
    expect(paying.locator(f"[data-candidate='{new_invoices[0]}']")).to_contain_text("open 113.57")
    expect(unknown.locator("[data-line-state]")).to_have_text("Unmatched")
    expect(unknown.locator("[data-candidate]")).to_have_count(0)
    paying.get_by_role("button", name="Confirm the match of row 2").click()
    expect(paying.locator("[data-line-state]")).to_have_text("Reconciled")
    expect(paying.get_by_role("status")).to_have_text(f"Reconciled: payment PAY-{year}-00001 of 113.57.")
    expect(unknown.locator("[data-line-state]")).to_have_text("Unmatched")
    page.screenshot(path=str(tmp_path / "reconciled.png"), full_page=True)

    # 3. aging: MC1's second invoice is not yet due, MC2's is 31-60 days late; chart and Excel agree
    topbar.get_by_role("link", name="Aging").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receivable aging")
    mc1, mc2 = page.locator("#aging tbody tr[data-customer='MC1']"), page.locator("#aging tbody tr[data-customer='MC2']")
    expect(mc1.locator("td[data-bucket='current']")).to_have_text("87.80")
    expect(mc1.locator("td[data-bucket='31_60']")).to_have_text("0.00")
    expect(mc2.locator("td[data-bucket='31_60']")).to_have_text("340.70")
    for bucket in ("current", "1_30", "61_90", "over_90"):
        expect(mc2.locator(f"td[data-bucket='{bucket}']")).to_have_text("0.00")
    footer = page.locator("#aging tfoot th.num")
    expect(footer.nth(5)).to_have_text("428.50")  # the five buckets, then the total
    chart = page.locator("figure.aging-chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("g[data-bar='current']")).to_have_attribute("data-total", "87.80")
    expect(chart.locator("g[data-bar='31_60']")).to_have_attribute("data-total", "340.70")
    expect(chart.locator("rect[data-bucket='31_60']")).to_have_attribute("data-customer", "MC2 — M Inland Mills")
    expect(chart.locator("desc")).to_contain_text("31–60 days: 340.70")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export to Excel").click()
    download = download_info.value
    assert download.suggested_filename == f"aging-{today.isoformat()}.xlsx"
    workbook_path = tmp_path / download.suggested_filename
    download.save_as(workbook_path)
    assert workbook_path.read_bytes()[:2] == b"PK"  # an xlsx is a zip

    import openpyxl

    sheet = openpyxl.load_workbook(workbook_path).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0][0] == f"As of {today.isoformat()}"
    header = cells[1]
    assert header[:3] == ["Customer code", "Customer", "Not yet due"] and header[7] == "Total"
    by_code = {row[0]: row for row in cells[2:]}
    assert set(by_code) == {"MC1", "MC2", "Total"}
    assert D(str(by_code["MC1"][2])) == D("87.80") and D(str(by_code["MC2"][4])) == D("340.70")
    assert D(str(by_code["Total"][7])) == D("428.50")  # the page's total

    # 4. the nightly overdue check (the beat task, as the worker runs it) puts MC2 on credit hold
    with seeded["app"].app_context():
        celery = seeded["app"].extensions["celery"]
        assert celery.tasks["finance.hold_overdue_customers"].apply().get() == 1
    topbar.get_by_role("link", name="Credit holds").click()
    held = page.locator("#credit-holds tr[data-customer='MC2']")
    expect(held).to_contain_text("MC2 — M Inland Mills")
    expect(held).to_contain_text(f"{seeded['old_invoice']} (340.70)")
    expect(page.locator("#credit-holds tbody tr")).to_have_count(1)  # MC1 owes nothing overdue
    reason = held.get_by_label("Reason")
    assert reason.evaluate("input => input.validity.valueMissing")  # no lift without a reason
    reason.fill("Paid by cheque on the phone; the cheque arrives Monday")
    held.get_by_role("button", name="Lift hold").click()
    expect(alert).to_have_text("Credit hold lifted for M Inland Mills.")
    expect(page.get_by_text("No customer is on credit hold.")).to_be_visible()
    topbar.get_by_role("button", name="Sign out").click()

    # 5. the sales rep sees the first order paid and the second unpaid, and not the other rep's order
    sign_in(page, "wang.fang")
    topbar.get_by_role("link", name="Sales orders").click()
    orders = page.locator("tbody tr", has=page.locator("[data-payment]"))
    expect(orders).to_have_count(2)
    first_row = orders.filter(has=page.get_by_role("link", name=first_order, exact=True))
    second_row = orders.filter(has=page.get_by_role("link", name=second_order, exact=True))
    expect(first_row.locator("[data-payment]")).to_have_attribute("data-payment", "paid")
    expect(first_row.locator("[data-invoiced]")).to_have_text("113.57")
    expect(first_row.locator("[data-paid]")).to_have_text("113.57")
    expect(second_row.locator("[data-payment]")).to_have_attribute("data-payment", "unpaid")
    expect(second_row.locator("[data-invoiced]")).to_have_text("87.80")
    expect(second_row.locator("[data-paid]")).to_have_text("0.00")
    expect(page.get_by_role("link", name=seeded["old_order"], exact=True)).to_have_count(0)
    page.get_by_role("link", name=first_order, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_order)
    expect(page.locator("td[data-payment]")).to_have_attribute("data-payment", "paid")
    page.go_back()
    page.get_by_role("link", name=second_order, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(second_order)
    expect(page.locator("td[data-payment]")).to_have_attribute("data-payment", "unpaid")
    expect(page.locator("td[data-payment] [data-overdue]")).to_have_count(0)  # due in 30 days
    page.screenshot(path=str(tmp_path / "rep-sees-payment.png"), full_page=True)
