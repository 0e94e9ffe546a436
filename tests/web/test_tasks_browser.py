"""In headless Chromium: the rep's desk lists today's tasks; the done button finishes one through htmx
(with the page's CSRF token) without leaving the desk, and the customer name opens the customer 360.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core import services
from core.db import utcnow
from crm.tasks import services as tasks
from tests.web.live import chromium, live_app, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> dict:
    rep = services.create_user(uow, {"username": "wang.fang", "password": "secret-pass-1", "role": "sales_rep",
                                     "full_name": "Wang Fang"})
    customer = services.create_customer(uow, {"code": "DESK-1", "name": "Desk Valves", "owner_id": rep.id})
    call = tasks.create_task(uow, None, title="Call Desk Valves about the samples", owner_id=rep.id,
                             due_at=utcnow() - timedelta(hours=1), customer_id=customer.id)
    visit = tasks.create_task(uow, None, title="Plan the visit", owner_id=rep.id, due_at=utcnow())
    return {"call": call.id, "visit": visit.id, "customer": customer.id}


@pytest.fixture
def live(tmp_path: Path) -> Iterator:
    with live_app(tmp_path, seed) as live:
        yield live


def test_the_rep_finishes_a_task_from_the_desk_and_opens_the_customer_360(live):
    from playwright.sync_api import expect

    ids = live.seeded
    with chromium(live.url) as page:
        sign_in(page, "wang.fang")
        page.goto("/leads/desk")
        call = page.locator(f"#task-{ids['call']}")
        expect(call).to_contain_text("Call Desk Valves about the samples")
        expect(call).to_contain_text("overdue")
        expect(page.locator(f"#task-{ids['visit']}")).to_be_visible()

        with page.expect_response(lambda r: r.url.endswith(f"/tasks/{ids['call']}/complete")) as answer:
            call.get_by_role("button", name="Done").click()
        assert answer.value.status == 200
        expect(page.locator(f"#task-{ids['call']}")).to_have_attribute("data-state", "done")
        assert page.url.endswith("/leads/desk")       # swapped in place, no page load
        expect(page.locator(f"#task-{ids['visit']}")).to_have_attribute("data-state", "open")

        page.reload()
        expect(page.locator(f"#task-{ids['call']}")).to_have_count(0)
        page.goto("/tasks?state=done")
        page.get_by_role("link", name="Desk Valves", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Customer 360")
        expect(page.locator('li[data-kind="task"]')).to_contain_text("Call Desk Valves about the samples")
