"""In headless Chromium, under the Content-Security-Policy the app sends: the pages work with no
inline script (the language switch sends its form, a button that asks first asks, a removed order
line is gone and the order preview follows) and the browser reports no refused script or style; the
API docs (Swagger UI, with the one inline script its policy allows by hash) render.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import services
from crm.orders.models import SalesOrder
from tests.flows.worked_example import build_worked_example, pump_order
from tests.web.live import chromium, live_app, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> dict[str, int]:
    services.create_user(uow, {"username": "li.admin", "password": "secret-pass-1", "role": "admin",
                               "full_name": "Li Admin"})
    example = build_worked_example(uow)
    return {"order_id": pump_order(uow, example, 2).id}


def refusals(page) -> list[str]:
    """What the browser refused under the policy (Chromium logs each refusal on the console)."""
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    return found


def test_the_pages_work_under_the_policy_and_nothing_is_refused(tmp_path: Path):
    from playwright.sync_api import expect

    with live_app(tmp_path, seed) as live, chromium(live.url) as page:
        refused = refusals(page)
        sign_in(page, "li.admin")
        expect(page.locator("header.topbar")).to_contain_text("Li Admin")

        page.wait_for_load_state("load")  # app.js has bound the auto-submit, even on a busy machine
        page.locator("select[name=locale]").select_option("zh_CN")  # data-autosubmit: no button pressed
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        page.locator("select[name=locale]").select_option("en")
        expect(page.locator("html")).to_have_attribute("lang", "en")

        for path in ("/", "/customers", "/products", "/sales-orders", "/pipeline/board", "/leads/desk"):
            page.goto(path)
        assert refused == []


def test_an_order_line_is_removed_and_the_preview_follows(tmp_path: Path):
    from playwright.sync_api import expect

    with live_app(tmp_path, seed) as live, chromium(live.url) as page:
        refused = refusals(page)
        sign_in(page, "li.admin")
        page.goto("/sales-orders/new")
        lines = page.locator("tr.order-line")
        before = lines.count()
        assert before >= 1
        lines.first.locator("[data-remove-line]").click()
        expect(lines).to_have_count(before - 1)
        assert refused == []


def test_a_button_that_asks_first_sends_nothing_when_the_answer_is_no(tmp_path: Path):
    from playwright.sync_api import expect
    from sqlalchemy import create_engine, select

    with live_app(tmp_path, seed) as live, chromium(live.url) as page:
        order_id = live.seeded["order_id"]
        sign_in(page, "li.admin")
        page.goto(f"/sales-orders/{order_id}")
        asked: list[str] = []

        def answer(dialog, accept: bool) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", lambda dialog: answer(dialog, False))
        page.get_by_role("button", name="Cancel order").click()
        expect(page.locator(".state")).to_have_text("Draft")
        page.once("dialog", lambda dialog: answer(dialog, True))
        page.get_by_role("button", name="Cancel order").click()
        expect(page.locator(".state")).to_have_text("Cancelled")

        assert len(asked) == 2 and asked[0].startswith("Cancel order")
        engine = create_engine(f"sqlite:///{next(tmp_path.glob('db-*.sqlite')).as_posix()}")
        with engine.connect() as conn:
            assert conn.scalar(select(SalesOrder.state).where(SalesOrder.id == order_id)) == "cancelled"
        engine.dispose()


def test_the_api_docs_render_under_their_own_policy(tmp_path: Path):
    from playwright.sync_api import expect

    with live_app(tmp_path, seed) as live, chromium(live.url) as page:
        refused = refusals(page)
        page.goto("/api/v1/docs")
        expect(page.locator("#swagger-ui-container .info .title")).to_contain_text("Suite API")
        assert refused == []
