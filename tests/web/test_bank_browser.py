"""Bank reconciliation in headless Chromium: finance uploads the bank's statement, confirms the line
that pays an invoice with one click on the reconciliation screen, and the sales rep then sees the
order paid on the order page.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database of its own,
the invoices of `tests/finance/test_bank.py` (customer 上海宏达机械有限公司 owned by the rep)."""

from __future__ import annotations

import pytest

from core import services
from tests.conftest import PASSWORD
from tests.finance.test_bank import DATA, Scene
from tests.web.live import live_fixtures, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> dict:
    rep = services.create_user(uow, {"username": "wang.fang", "password": PASSWORD, "role": "sales_rep",
                                     "full_name": "Wang Fang"})
    services.create_user(uow, {"username": "li.na", "password": PASSWORD, "role": "finance", "full_name": "Li Na"})
    scene = Scene(uow, owner_id=rep.id)
    return {"order": scene.orders[1].number, "invoice": scene.invoices[1].number}


live_suite, page = live_fixtures(seed)


def test_finance_reconciles_a_statement_line_and_the_rep_sees_the_order_paid(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    topbar = page.locator("header.topbar")
    alert = page.get_by_role("alert")
    order, invoice = live_suite.seeded["order"], live_suite.seeded["invoice"]

    # finance uploads the bank's export
    sign_in(page, "li.na")
    topbar.get_by_role("link", name="Bank reconciliation").click()
    page.get_by_label("Statement file (CSV)").set_input_files(str(DATA / "bank_statement_sample.csv"))
    page.get_by_role("button", name="Import statement").click()
    expect(alert).to_contain_text("9 lines imported: 4 matched, 3 suggested, 2 unmatched.")

    # ... looks at the matched lines and confirms the one that pays the invoice, with one click
    page.locator("a[data-filter=matched]").click()
    row = page.locator("tr[data-line='5']")
    expect(row.locator(f"[data-candidate='{invoice}']")).to_be_visible()
    expect(row.locator("[data-line-state]")).to_have_text("Matched")
    page.screenshot(path=str(tmp_path / "reconciliation.png"), full_page=True)
    row.get_by_role("button", name="Confirm the match of row 5").click()
    expect(row.locator("[data-line-state]")).to_have_text("Reconciled")
    expect(row.get_by_role("status")).to_contain_text("Reconciled: payment PAY-2026-00002 of")
    page.screenshot(path=str(tmp_path / "reconciled.png"), full_page=True)
    topbar.get_by_role("button", name="Sign out").click()

    # the sales rep sees the order paid
    sign_in(page, "wang.fang")
    topbar.get_by_role("link", name="Sales orders").click()
    page.get_by_role("link", name=order).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order)
    expect(page.locator("[data-payment]")).to_have_text("paid")
    page.screenshot(path=str(tmp_path / "rep-sees-paid.png"), full_page=True)
