"""In headless Chromium: the rep drags opportunity cards across the pipeline board. A move whose
exit rule is met lands and stays after a reload; a move whose exit rule is not met is refused with
the rule's message, the card goes back, and nothing changed in the database; lost takes the reason
picked in the card's form.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from core import services
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity, Stage
from tests.web.live import chromium, live_app, sign_in

pytestmark = pytest.mark.browser


def seed(uow) -> dict[str, str]:
    rep = services.create_user(uow, {"username": "wang.fang", "password": "secret-pass-1", "role": "sales_rep",
                                     "full_name": "Wang Fang"})
    customer = services.create_customer(uow, {"code": "C-BOARD", "name": "杭州泵阀有限公司", "owner_id": rep.id})
    ready = pipeline.create_opportunity(uow, {"customer_id": customer.id, "name": "Booster pumps"})
    blocked = pipeline.create_opportunity(uow, {"customer_id": customer.id, "name": "Fire pumps"})
    pipeline.move_opportunity(uow, blocked.id, stage_code="needs_analysis")
    return {"ready": ready.number, "blocked": blocked.number}


def stage_of(database_url: str, number: str) -> str:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        code = conn.scalar(select(Stage.code).join(Opportunity, Opportunity.stage_id == Stage.id)
                           .where(Opportunity.number == number))
    engine.dispose()
    return code


def test_dragging_cards_moves_them_when_the_exit_rule_is_met_and_refuses_otherwise(tmp_path: Path):
    from playwright.sync_api import expect

    with live_app(tmp_path, seed) as live, chromium(live.url, height=1000) as page:
        ready, blocked = live.seeded["ready"], live.seeded["blocked"]
        database_url = next(tmp_path.glob("db-*.sqlite")).as_posix()
        sign_in(page, "wang.fang")
        page.locator("header.topbar").get_by_role("link", name="Pipeline").click()
        column = {code: page.locator(f"section[data-stage={code}]") for code in ("qualification", "needs_analysis",
                                                                                   "quote")}
        expect(column["qualification"].locator(f"[data-card='{ready}']")).to_be_visible()

        # qualification has no exit rule: the card lands in needs analysis and stays there
        page.locator(f"[data-card='{ready}']").drag_to(column["needs_analysis"])
        expect(page.locator("#board-message")).to_have_text(f"Opportunity {ready} is now in the stage Needs analysis.")
        expect(column["needs_analysis"].locator(f"[data-card='{ready}']")).to_be_visible()
        page.reload()
        expect(column["needs_analysis"].locator(f"[data-card='{ready}']")).to_be_visible()
        assert stage_of(f"sqlite:///{database_url}", ready) == "needs_analysis"

        # needs analysis wants budget and decision maker before the quote: refused, the card goes back
        page.locator(f"[data-card='{blocked}']").drag_to(column["quote"])
        expect(page.locator("#board-message")).to_have_text("Not moved: fill in Budget, Decision maker first.")
        expect(column["needs_analysis"].locator(f"[data-card='{blocked}']")).to_be_visible()
        expect(column["quote"].locator("[data-card]")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
        page.reload()
        expect(column["needs_analysis"].locator(f"[data-card='{blocked}']")).to_be_visible()
        assert stage_of(f"sqlite:///{database_url}", blocked) == "needs_analysis"

        # lost needs a reason: refused without one, accepted with the one picked in the card's form
        lost = page.locator("section[data-stage=lost]")
        card = page.locator(f"[data-card='{blocked}']")
        card.drag_to(lost)
        expect(page.locator("#board-message")).to_have_text(
            "Not moved: choose a lost reason in the card's move form first.")
        expect(column["needs_analysis"].locator(f"[data-card='{blocked}']")).to_be_visible()
        card.locator("summary").click()
        card.get_by_label("Lost reason").select_option(label="Went to a competitor")
        card.drag_to(lost)
        expect(page.locator("#board-message")).to_have_text(f"Opportunity {blocked} is now in the stage Lost.")
        expect(lost.locator(f"[data-card='{blocked}']")).to_be_visible()
        assert stage_of(f"sqlite:///{database_url}", blocked) == "lost"
