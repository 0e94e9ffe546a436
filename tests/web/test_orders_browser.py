"""A sales rep enters and confirms an order in headless Chromium, and the warehouse user
finds the stock lock it took on the stock-and-locks page.

The set-up of `tests/web/live.py`: the real app on a free port against a fresh SQLite database of its
own, here loaded with the worked example of issue 3."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import services
from tests.conftest import PASSWORD
from tests.flows.worked_example import build_worked_example
from tests.web.live import chromium, live_app, sign_in

pytestmark = pytest.mark.browser


@dataclass
class LiveSuite:
    url: str
    rep: str
    warehouse: str


def seed(uow) -> None:
    rep = services.create_user(uow, {"username": "wang.fang", "password": PASSWORD, "role": "sales_rep",
                                     "full_name": "Wang Fang"})
    services.create_user(uow, {"username": "zhao.lei", "password": PASSWORD, "role": "warehouse",
                               "full_name": "Zhao Lei"})
    build_worked_example(uow, owner_id=rep.id)


@pytest.fixture
def live_suite(tmp_path: Path) -> Iterator[LiveSuite]:
    with live_app(tmp_path, seed) as live:
        yield LiveSuite(url=live.url, rep="wang.fang", warehouse="zhao.lei")


@pytest.fixture
def page(live_suite: LiveSuite):
    with chromium(live_suite.url) as page:
        yield page


def test_a_rep_confirms_an_order_and_the_warehouse_sees_its_lock(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    topbar = page.locator("header.topbar")

    # the sales rep enters the order: customer, one line, the totals follow the typing
    sign_in(page, live_suite.rep)
    topbar.get_by_role("link", name="Sales orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales orders")
    page.get_by_role("button", name="New sales order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New sales order")
    page.get_by_label("Customer *").select_option(label="CUST — Water Works")
    page.get_by_label("Requested date").fill("2026-12-31")
    first = page.locator("tr.order-line").first
    first.get_by_label("Product").select_option(label="PUMP — Pump (5,000.00)")
    first.get_by_label("Quantity").fill("10")
    totals = page.locator("#order-totals")
    expect(totals.locator("[data-total=total]")).to_have_text("56,500.00")
    expect(totals.locator("[data-total=tax]")).to_have_text("6,500.00")
    expect(first.locator(".line-amount")).to_contain_text("10 × 5,000.00")
    first.get_by_label("Quantity").fill("12")  # a change of mind: the totals follow
    expect(totals.locator("[data-total=total]")).to_have_text("67,800.00")
    first.get_by_label("Quantity").fill("10")
    expect(totals.locator("[data-total=total]")).to_have_text("56,500.00")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("tr.order-line")).to_have_count(4)
    page.locator("tr.order-line").last.get_by_role("button", name="Remove line").click()
    expect(page.locator("tr.order-line")).to_have_count(3)
    page.screenshot(path=str(tmp_path / "order-entry.png"), full_page=True)
    page.get_by_role("button", name="Save draft").click()

    # the draft's page: confirm it
    expect(page.get_by_role("alert")).to_contain_text("saved as a draft")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Draft")
    number = re.search(r"SO-\d{4}-\d+", heading.inner_text()).group(0)
    page.get_by_role("button", name="Confirm order").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Sales order {number} is confirmed")
    expect(heading).to_contain_text("Confirmed")
    expect(page.locator("tr[data-line=PUMP] [data-reserved]")).to_have_text("2")
    expect(page.locator("#order-work-orders tr[data-work-order=PUMP]")).to_contain_text("8 pcs")
    expect(page.locator("#order-work-orders tr[data-work-order=HOUSING]")).to_contain_text("7 pcs")
    expect(page.locator("#order-purchase-plans tr[data-plan=MOTOR]")).to_contain_text("2026-12-18")
    expect(page.locator("#order-purchase-plans tr[data-plan=STEEL]")).to_contain_text("14 pcs")
    page.screenshot(path=str(tmp_path / "order-confirmed.png"), full_page=True)
    topbar.get_by_role("button", name="Sign out").click()

    # the warehouse user looks the product up and finds who holds it
    sign_in(page, live_suite.warehouse)
    expect(topbar.get_by_role("link", name="Sales orders")).to_have_count(1)  # may read orders, not enter them
    topbar.get_by_role("link", name="Stock and locks").click()
    page.wait_for_load_state("load")  # htmx binds the search box's input trigger once the page has loaded
    page.get_by_label("Search a product").fill("PUMP")
    balances = page.locator("#balances tbody tr")
    expect(balances).to_have_count(1)
    expect(balances.locator("td")).to_have_text([re.compile("Main warehouse"), "2 pcs", "2", "0"])
    lock = page.locator("#locks tbody tr", has_text=number)
    expect(lock).to_have_count(1)
    expect(lock).to_contain_text("order line")
    shot = tmp_path / "stock-and-locks.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshots: {tmp_path}")
    lock.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.get_by_role("button", name="Confirm order")).to_have_count(0)
