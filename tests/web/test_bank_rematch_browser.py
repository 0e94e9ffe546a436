"""Matching a statement again in headless Chromium: the month-end statement was imported before the
last invoice was posted, so its line naming INV-2026-00007 is unmatched; finance clicks "Match again"
on the reconciliation screen and the line is matched to the new invoice, ready to confirm."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import services
from core.models import Product
from finance.bank import services as bank
from tests.conftest import PASSWORD
from tests.finance.builders import invoiced_order
from tests.finance.test_bank import Scene
from tests.finance.test_bank_rematch import MONTH_END
from tests.web.live import live_fixtures, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> dict:
    services.create_user(uow, {"username": "li.na", "password": PASSWORD, "role": "finance", "full_name": "Li Na"})
    scene = Scene(uow)
    statement = bank.import_statement(uow, scene.account.id, MONTH_END, filename="march.csv").statement
    product = uow.session.scalar(select(Product.id).where(Product.sku == "FA"))
    invoice = invoiced_order(uow, scene.customers["NB"], [(product, 5)])[1]
    return {"statement": statement.id, "invoice": invoice.number}


live_suite, page = live_fixtures(seed)


def test_finance_matches_the_statement_again_after_the_last_invoice_is_posted(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    invoice = live_suite.seeded["invoice"]
    sign_in(page, "li.na")
    page.goto(f"/finance/bank/statements/{live_suite.seeded['statement']}")
    row = page.locator("tr[data-line='4']")
    expect(row.locator("[data-line-state]")).to_have_text("Unmatched")
    page.get_by_role("button", name="Match again").click()
    expect(page.get_by_role("alert")).to_contain_text("5 open lines matched again: 1 changed; now 1 matched, "
                                                      "1 suggested, 3 unmatched.")
    expect(row.locator("[data-line-state]")).to_have_text("Matched")
    expect(row.locator(f"[data-candidate='{invoice}']")).to_be_visible()
    page.screenshot(path=str(tmp_path / "matched-again.png"), full_page=True)
    row.get_by_role("button", name="Confirm the match of row 4").click()
    expect(row.locator("[data-line-state]")).to_have_text("Reconciled")
