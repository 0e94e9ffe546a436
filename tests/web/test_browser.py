"""A sales rep's first customer, through the real pages in headless Chromium.

The real app serves a fresh SQLite database of its own on a free port (the
set-up in `tests/web/live.py`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import services
from tests.conftest import PASSWORD
from tests.web.live import LiveApp, chromium, live_app

pytestmark = pytest.mark.browser


@pytest.fixture
def live_suite(tmp_path: Path) -> Iterator[LiveApp]:
    username = f"rep-{uuid.uuid4().hex[:6]}"

    def seed(uow) -> str:
        services.create_user(uow, {"username": username, "password": PASSWORD, "role": "sales_rep",
                                   "full_name": "Li Na"})
        return username

    with live_app(tmp_path, seed) as live:
        yield live


@pytest.fixture
def page(live_suite: LiveApp):
    with chromium(live_suite.url, height=800) as page:
        yield page


def test_a_sales_rep_creates_a_customer_and_reads_the_list_in_chinese(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    code = f"HZ-{uuid.uuid4().hex[:4].upper()}"
    name = "杭州精密齿轮有限公司"
    topbar = page.locator("header.topbar")

    # sign in through the login page
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(live_suite.seeded)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Li Na")
    expect(page.get_by_text("Sales representative")).to_be_visible()

    # Customers, then New customer
    topbar.get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    expect(page.get_by_text("No records match.")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^New customer$", re.IGNORECASE)).click()  # <a role=button>
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"New customer", re.IGNORECASE))
    expect(page.get_by_label("Credit limit")).to_have_count(0)  # finance's field, not the rep's

    page.get_by_label("Code *", exact=True).fill(code)
    page.get_by_label("Name *", exact=True).fill(name)
    page.get_by_label("Tier").select_option("A")
    page.get_by_label("Region").fill("Zhejiang")
    page.get_by_label("E-mail").fill("purchasing@hz-gears.example.cn")
    page.get_by_label("Payment terms (days)").fill("30")
    page.get_by_role("button", name="Save").click()

    # the new customer's detail page
    expect(page.get_by_role("alert")).to_have_text(f"Customer {code} saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Customer {code} · {name}")
    detail = page.locator("table.detail")
    expect(detail.locator("tr", has_text="Region")).to_contain_text("Zhejiang")
    expect(detail.locator("tr", has_text="Owner")).to_contain_text("Li Na")
    expect(detail.locator("tr", has_text="Payment terms (days)")).to_contain_text("30")

    # back to the list: the customer is there
    topbar.get_by_role("link", name="Customers", exact=True).click()
    row = page.locator("#results tbody tr", has_text=code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Zhejiang")
    expect(page.locator("#results")).to_contain_text("1 records, page 1 of 1")

    # switch the language in the top bar: the same list, in Chinese
    topbar.get_by_label("Language").select_option(label="简体中文")
    expect(page.get_by_role("heading", level=1)).to_have_text("客户")
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#results thead th")).to_have_text(
        ["编码", "名称", "客户等级", "地区", "来源", "负责人", "信用额度", "信用冻结"])
    row = page.locator("#results tbody tr", has_text=code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(name)
    expect(page.locator("#results")).to_contain_text("共 1 条记录，第 1 / 1 页")
    expect(topbar.get_by_role("link", name="首页")).to_be_visible()
    expect(topbar.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_role("button", name="新建客户")).to_be_visible()
    expect(topbar.get_by_label("语言")).to_have_value("zh_CN")

    shot = tmp_path / "customers-zh_CN.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot of the Chinese customer list: {shot}")
