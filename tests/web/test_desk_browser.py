"""In headless Chromium: a visitor leaves their details on the public form, the lead lands on the
rep's desk with a deadline, the rep logs a call, converts the lead, and the opportunity refuses to
reach the quote stage until budget and decision maker are filled in; then the rep builds a quote
with a discount within the limit, submits it, records the customer's acceptance, and the accepted
quote turns into a draft sales order with the same line.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from core import services
from crm.leads import services as leads
from tests.web.live import chromium, live_app, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> None:
    services.create_user(uow, {"username": "li.na", "password": "secret-pass-1", "role": "sales_rep",
                               "full_name": "Li Na"})
    leads.create_scoring_rule(uow, {"field": "industry", "value": "manufacturing", "points": 40,
                                    "label": "Manufacturing"})
    services.create_product(uow, {"sku": "PUMP-20", "name": "Centrifugal pump", "kind": "buy",
                                  "list_price": Decimal("9000"), "tax_rate": Decimal("0.13")})


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    with live_app(tmp_path, seed) as live:
        yield live.url


@pytest.fixture
def page(live_url: str):
    with chromium(live_url) as page:
        yield page


def test_a_web_lead_reaches_the_reps_desk_and_becomes_an_opportunity(page, tmp_path):
    from playwright.sync_api import expect

    # a visitor, not signed in, with a campaign link
    page.goto("/contact-us?utm_source=wechat&utm_campaign=expo")
    page.get_by_label("Company", exact=True).fill("苏州精密泵业有限公司")
    page.get_by_label("Your name").fill("陈刚")
    page.get_by_label("Phone").fill("139 0000 1234")
    page.get_by_label("Industry").fill("Manufacturing")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")

    # the rep finds it on the desk, grade B (40 + 0 points), with a deadline
    sign_in(page, "li.na")
    page.locator("header.topbar").get_by_role("link", name="My desk").click()
    expect(page.locator("[data-grade=B]")).to_contain_text("Grade B (1)")
    row = page.locator("tr[data-lead]", has_text="苏州精密泵业有限公司")
    expect(row).to_contain_text("UTC")
    row.get_by_role("link").click()
    expect(page.locator(".score-rules")).to_contain_text("Manufacturing")
    page.get_by_label("Note").fill("Called: wants 20 pumps")
    page.get_by_role("button", name="Log activity").click()
    expect(page.get_by_role("alert")).to_have_text("Activity logged.")

    # convert, then push the opportunity along
    page.get_by_label("Opportunity name").fill("20 pumps")
    page.get_by_label("Amount").fill("180000")
    page.get_by_role("button", name="Convert to customer and opportunity").click()
    expect(page.get_by_role("alert")).to_contain_text("converted")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Qualification")
    number = re.search(r"OPP-\d{4}-\d+", heading.inner_text()).group(0)
    page.get_by_label("Move to").select_option(label="Needs analysis (25%)")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(heading).to_contain_text("Needs analysis")
    page.get_by_label("Move to").select_option(label="Quote (50%)")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Not moved: fill in Budget, Decision maker first.")
    page.get_by_role("textbox", name="Budget").fill("200000")
    page.get_by_role("textbox", name="Decision maker").fill("陈总")
    page.get_by_role("button", name="Save").click()
    page.get_by_label("Move to").select_option(label="Quote (50%)")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"Opportunity {number} is now in the stage Quote")
    page.screenshot(path=str(tmp_path / "opportunity.png"), full_page=True)

    # a quote from the opportunity: 20 pumps at 5% off (within the 10% limit), submitted and accepted
    line = page.locator("form.quote-form tr.quote-line").first
    line.get_by_label("Product").select_option(label="PUMP-20 — Centrifugal pump (9,000.00)")
    line.get_by_label("Quantity").fill("20")
    line.get_by_label("Discount (fraction)").fill("0.05")
    page.get_by_role("button", name="New quote").click()
    expect(page.get_by_role("alert")).to_contain_text("created as a draft")
    expect(page.locator("[data-total]")).to_have_text("193,230.00")  # 20 x 9,000 x 0.95 + 13% VAT
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "approved")
    page.get_by_role("button", name="Customer accepted").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "accepted")
    page.locator("a[data-order]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SO-")
    expect(page.locator("main")).to_contain_text("PUMP-20")
    expect(page.locator("main")).to_contain_text("193,230.00")
    page.locator("header.topbar").get_by_role("link", name="My desk").click()
    expect(page.locator("tr[data-opportunity]")).to_contain_text("20 pumps")
