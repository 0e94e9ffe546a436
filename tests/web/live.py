"""The set-up every browser test shares: the real app served by werkzeug on a free 127.0.0.1 port in
a background thread, against a fresh migrated SQLite database of its own (the browser needs real
commits, so the rolled-back test transaction cannot be used), and headless Chromium driven by
Playwright. Without Chromium the browser tests are skipped, except in CI where they must run."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from core.app import create_app
from core.uow import UnitOfWork
from core.web import system_uow
from tests.conftest import IN_CI, PASSWORD, fresh_database, settings_for

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
class LiveApp:
    url: str
    seeded: Any  # what the seed function returned (plain data: its session is closed by now)


@contextmanager
def live_app(tmp_path: Path, seed: Callable[[UnitOfWork], Any]) -> Iterator[LiveApp]:
    """The app serving a fresh database that `seed` filled through the services (as the system)."""
    require_chromium()
    with fresh_database(tmp_path, postgres=False) as database_url:
        app = create_app(settings_for(database_url, tmp_path / "instance"))
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            seeded = seed(system_uow(session))
            session.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the OS picks a free one
        thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
        thread.start()
        try:
            yield LiveApp(url=f"http://127.0.0.1:{server.server_port}", seeded=seeded)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            app.extensions["db"].engine.dispose()


@contextmanager
def chromium(base_url: str, *, height: int = 900) -> Iterator[Any]:
    """One page of headless Chromium, English, 1280 wide, relative URLs against `base_url`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=base_url, locale="en-US", viewport={"width": 1280, "height": height})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def live_fixtures(seed: Callable[[UnitOfWork], Any], *, height: int = 900) -> tuple[Any, Any]:
    """The `live_suite` (a LiveApp on a database `seed` filled) and `page` (Chromium on it) fixtures of a
    browser test module: `live_suite, page = live_fixtures(seed)`."""

    @pytest.fixture
    def live_suite(tmp_path: Path) -> Iterator[LiveApp]:
        with live_app(tmp_path, seed) as live:
            yield live

    @pytest.fixture
    def page(live_suite: LiveApp) -> Iterator[Any]:
        with chromium(live_suite.url, height=height) as page:
            yield page

    return live_suite, page


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
