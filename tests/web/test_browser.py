"""A sales rep's first customer, through the real pages in headless Chromium.

The real app is served by werkzeug on a free 127.0.0.1 port in a background
thread, against a fresh migrated SQLite database of its own (the browser needs
real commits, so the rolled-back test transaction cannot be used)."""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core import services
from core.app import create_app
from core.web import system_uow
from tests.conftest import IN_CI, PASSWORD, fresh_database, settings_for

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)"
        if IN_CI:
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)


@dataclass
class LiveSuite:
    url: str
    username: str


@pytest.fixture
def live_suite(tmp_path: Path) -> Iterator[LiveSuite]:
    require_chromium()
    with fresh_database(tmp_path, postgres=False) as database_url:
        app = create_app(settings_for(database_url, tmp_path / "instance"))
        username = f"rep-{uuid.uuid4().hex[:6]}"
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            services.create_user(system_uow(session), {"username": username, "password": PASSWORD,
                                                       "role": "sales_rep", "full_name": "Li Na"})
            session.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the OS picks a free one
        thread = threading.Thread(target=server.serve_forever, name="live-suite", daemon=True)
        thread.start()
        try:
            yield LiveSuite(url=f"http://127.0.0.1:{server.server_port}", username=username)
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
        context = browser.new_context(base_url=live_suite.url, locale="en-US", viewport={"width": 1280, "height": 800})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_a_sales_rep_creates_a_customer_and_reads_the_list_in_chinese(live_suite, page, tmp_path):
    from playwright.sync_api import expect

    code = f"HZ-{uuid.uuid4().hex[:4].upper()}"
    name = "杭州精密齿轮有限公司"
    topbar = page.locator("header.topbar")

    # sign in through the login page
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(live_suite.username)
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
        ["编码", "名称", "客户等级", "地区", "负责人", "信用额度", "信用冻结"])
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
