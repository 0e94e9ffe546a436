"""A sales rep enters and confirms an order in headless Chromium, and the warehouse user
finds the stock lock it took on the stock-and-locks page.

Same set-up as `test_browser.py`: the real app served by werkzeug on a free 127.0.0.1 port in
a background thread, against a fresh migrated SQLite database of its own (the browser needs
real commits), here loaded with the worked example of issue 3."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core import services
from core.app import create_app
from core.web import system_uow
from tests.conftest import PASSWORD, fresh_database, settings_for
from tests.flows.worked_example import build_worked_example
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser


@dataclass
class LiveSuite:
    url: str
    rep: str
    warehouse: str


@pytest.fixture
def live_suite(tmp_path: Path) -> Iterator[LiveSuite]:
    require_chromium()
    with fresh_database(tmp_path, postgres=False) as database_url:
        app = create_app(settings_for(database_url, tmp_path / "instance"))
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            uow = system_uow(session)
            rep = services.create_user(uow, {"username": "wang.fang", "password": PASSWORD, "role": "sales_rep",
                                             "full_name": "Wang Fang"})
            services.create_user(uow, {"username": "zhao.lei", "password": PASSWORD, "role": "warehouse",
                                       "full_name": "Zhao Lei"})
            build_worked_example(uow, owner_id=rep.id)
            session.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-suite", daemon=True)
        thread.start()
        try:
            yield LiveSuite(url=f"http://127.0.0.1:{server.server_port}", rep="wang.fang", warehouse="zhao.lei")
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            app.extensions["db"].engine.dispose()


@pytest.fixture
def page(live_suite: LiveSuite):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=live_suite.url, locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


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
