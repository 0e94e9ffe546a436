"""The fulfilment of an order in headless Chromium: purchasing orders what the order lacks, the
warehouse receives the goods and ships the order, and the sales rep sees it shipped.

Same set-up as `test_orders_browser.py`: the real app on a free 127.0.0.1 port in a background
thread, a fresh migrated SQLite database of its own, the worked example of issue 3. The order is
for 15 gaskets, a bought product: 10 are in stock and reserved on confirmation, 5 are planned
for purchase from supplier S1."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core import services
from core.app import create_app
from core.web import system_uow
from crm import services as crm
from tests.conftest import PASSWORD, fresh_database, settings_for
from tests.flows.worked_example import REQUESTED, build_worked_example
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser


@dataclass
class LiveSuite:
    url: str
    order_number: str


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
            for username, role in (("zhao.lei", "warehouse"), ("huang.lei", "purchasing")):
                services.create_user(uow, {"username": username, "password": PASSWORD, "role": role,
                                           "full_name": username})
            example = build_worked_example(uow, owner_id=rep.id)
            order = crm.create_order(uow, {"customer_id": example.customer_id, "requested_date": REQUESTED,
                                           "lines": [{"product_id": example.products["GASKET"], "qty": Decimal(15)}]})
            crm.confirm_order(uow, order.id)
            number = order.number
            session.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-suite", daemon=True)
        thread.start()
        try:
            yield LiveSuite(url=f"http://127.0.0.1:{server.server_port}", order_number=number)
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


def test_purchasing_orders_the_warehouse_receives_and_ships_and_the_rep_sees_it_shipped(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    topbar = page.locator("header.topbar")
    alert = page.get_by_role("alert")
    number = live_suite.order_number

    # purchasing turns the open plan line into a purchase order and confirms it
    sign_in(page, "huang.lei")
    topbar.get_by_role("link", name="Purchase plans").click()
    page.get_by_role("button", name="Create purchase orders").click()
    expect(alert).to_contain_text("Draft purchase orders created (1)")
    po_heading = page.get_by_role("heading", level=1)
    expect(po_heading).to_contain_text("Draft")
    po_number = re.search(r"PO-\d{4}-\d+", po_heading.inner_text()).group(0)
    page.get_by_role("button", name="Confirm purchase order").click()
    expect(alert).to_contain_text(f"Purchase order {po_number} is confirmed")
    topbar.get_by_role("button", name="Sign out").click()

    # the warehouse books the receipt: the 5 gaskets go to the order they were bought for
    sign_in(page, "zhao.lei")
    topbar.get_by_role("link", name="Receipts to book").click()
    page.get_by_role("link", name=po_number).click()
    page.get_by_label("Quantity of GASKET that arrived").fill("5")
    page.screenshot(path=str(tmp_path / "receive.png"), full_page=True)
    page.get_by_role("button", name="Book receipt").click()
    expect(alert).to_contain_text(f"Receipt booked on {po_number}")
    expect(page.locator("tr[data-line=GASKET] [data-received]")).to_have_text("5")

    # ... and ships the whole order from the shipping desk
    topbar.get_by_role("link", name="Shipping").click()
    ready = page.locator(f"#ready tr[data-order='{number}']")
    expect(ready).to_contain_text("GASKET 15/15")
    ready.get_by_role("button", name="Pick list").click()
    expect(alert).to_contain_text("is ready")
    expect(page.locator("tr[data-line=GASKET]")).to_contain_text("15 pcs")
    page.get_by_role("button", name="Ship").click()
    expect(alert).to_contain_text("has left the warehouse")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shipped")
    page.screenshot(path=str(tmp_path / "shipped.png"), full_page=True)
    topbar.get_by_role("button", name="Sign out").click()

    # the sales rep sees the order shipped, line by line
    sign_in(page, "wang.fang")
    topbar.get_by_role("link", name="Sales orders").click()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shipped")
    progress = page.locator("#order-progress")
    expect(progress).to_contain_text("Shipment: shipped")
    expect(progress.locator("tr[data-progress=GASKET] [data-shipped]")).to_have_text("15")
    expect(progress.locator("tr[data-progress=GASKET] [data-to-come]")).to_have_text("0")
    page.screenshot(path=str(tmp_path / "rep-sees-shipped.png"), full_page=True)
