"""The fulfilment of an order in headless Chromium: purchasing orders what the order lacks, the
warehouse receives the goods and ships the order, and the sales rep sees it shipped.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database of its own,
the worked example of issue 3. The order is
for 15 gaskets, a bought product: 10 are in stock and reserved on confirmation, 5 are planned
for purchase from supplier S1."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from core import services
from crm.orders import services as crm
from tests.conftest import PASSWORD
from tests.flows.worked_example import REQUESTED, build_worked_example
from tests.web.live import live_fixtures, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> str:
    """The users and the worked example, and a confirmed order for 15 gaskets: its number."""
    rep = services.create_user(uow, {"username": "wang.fang", "password": PASSWORD, "role": "sales_rep",
                                     "full_name": "Wang Fang"})
    for username, role in (("zhao.lei", "warehouse"), ("huang.lei", "purchasing")):
        services.create_user(uow, {"username": username, "password": PASSWORD, "role": role,
                                   "full_name": username})
    example = build_worked_example(uow, owner_id=rep.id)
    order = crm.create_order(uow, {"customer_id": example.customer_id, "requested_date": REQUESTED,
                                   "lines": [{"product_id": example.products["GASKET"], "qty": Decimal(15)}]})
    crm.confirm_order(uow, order.id)
    return order.number


live_suite, page = live_fixtures(seed)


def test_purchasing_orders_the_warehouse_receives_and_ships_and_the_rep_sees_it_shipped(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    topbar = page.locator("header.topbar")
    alert = page.get_by_role("alert")
    number = live_suite.seeded

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
