"""Thin tests of the pipeline pages: the board (cards, stalled marks, the JSON move of the board's
script and the move form without script), the forecast page and API, the team view (a manager sees
the team, a rep is refused) with its lists, and the quote PDF link and API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core import services as core_services
from core.db import utcnow
from crm.leads import services as leads
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity
from crm.quotes import services as quotes
from tests.conftest import ApiClient, make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in
from tests.web.test_orders_web import text_of

D = Decimal


def opportunity_for(db, rep, name, *, at=None, **data):
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"W-{rep.id}-{name}", "name": f"{name} Co"})
    return pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": name, **data},
                                       now=at or utcnow())


def card_of(html: str, number: str) -> str:
    return html.split(f'data-card="{number}"')[1].split("</article>")[0]


def column_of(html: str, code: str) -> str:
    return html.split(f'data-stage="{code}"')[1].split("</section>")[0]


def test_the_board_shows_a_column_per_stage_with_cards_and_marks_stalled_deals(client, db):
    rep = make_user(db, "sales_rep")
    fresh = opportunity_for(db, rep, "Fresh", amount=D("12000"))
    old = opportunity_for(db, rep, "Old", at=utcnow() - timedelta(days=3))
    other = opportunity_for(db, make_user(db, "sales_rep"), "NotMine")
    sign_in(client, rep)

    html = client.get("/pipeline/board").get_data(as_text=True)

    for code in ("qualification", "needs_analysis", "quote", "negotiation", "won", "lost"):
        assert f'data-stage="{code}"' in html
    assert fresh.number in column_of(html, "qualification") and other.number not in html
    fresh_card, old_card = card_of(html, fresh.number), card_of(html, old.number)
    assert "12,000.00" in fresh_card and "10%" in fresh_card and "Fresh Co" in fresh_card
    assert "data-stalled" in old_card and "3 d" in text_of(old_card) and "data-stalled" not in fresh_card
    assert 'draggable="true"' in fresh_card and 'name="stage_id"' in fresh_card


def test_the_boards_script_move_answers_json_and_a_refusal_names_the_missing_fields(client, db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep, "Json")
    stages = {s.code: s.id for s in opportunity.stage.pipeline.stages}
    sign_in(client, rep)
    headers = {"X-CSRFToken": csrf_token(client, "/pipeline/board"), "Accept": "application/json"}

    moved = client.post("/pipeline/board/move", headers=headers,
                        data={"opportunity_id": opportunity.id, "stage_id": stages["needs_analysis"]})
    refused = client.post("/pipeline/board/move", headers=headers,
                          data={"opportunity_id": opportunity.id, "stage_id": stages["quote"]})

    assert moved.status_code == 200 and moved.get_json()["ok"] is True
    assert refused.status_code == 409
    assert refused.get_json()["message"] == "Not moved: fill in Budget, Decision maker first."
    assert set(refused.get_json()["fields"]) == {"budget", "decision_maker"}
    db.expire_all()
    assert db.get(Opportunity, opportunity.id).stage.code == "needs_analysis"


def test_the_cards_move_form_works_without_script_and_flashes_the_outcome(client, db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep, "Form")
    stages = {s.code: s.id for s in opportunity.stage.pipeline.stages}
    sign_in(client, rep)
    token = csrf_token(client, "/pipeline/board")

    lost = client.post("/pipeline/board/move", data={"csrf_token": token, "opportunity_id": opportunity.id,
                                                      "stage_id": stages["lost"]}, follow_redirects=True)
    assert "Not moved: choose a lost reason in the card's move form first." in text_of(lost.get_data(as_text=True))
    moved = client.post("/pipeline/board/move", data={"csrf_token": token, "opportunity_id": opportunity.id,
                                                       "stage_id": stages["lost"], "lost_reason": "price"})

    assert moved.status_code == 303 and moved.headers["Location"].endswith("/pipeline/board")
    db.expire_all()
    assert db.get(Opportunity, opportunity.id).state == "lost"


def test_a_rep_cannot_move_another_reps_card(client, db):
    opportunity = opportunity_for(db, make_user(db, "sales_rep"), "Theirs")
    stage = opportunity.stage.pipeline.stages[1]
    sign_in(client, make_user(db, "sales_rep"))

    answer = client.post("/pipeline/board/move", data={"opportunity_id": opportunity.id, "stage_id": stage.id},
                         headers={"X-CSRFToken": csrf_token(client, "/pipeline/board"), "Accept": "application/json"})

    assert answer.status_code in (403, 404)
    db.expire_all()
    assert db.get(Opportunity, opportunity.id).stage.code == "qualification"


def test_the_forecast_page_and_api_give_the_weighted_amounts(client, db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep, "Forecast", amount=D("2000.00"), expected_close_date=date(2026, 12, 1))
    sign_in(client, rep)

    page = text_of(client.get("/pipeline/forecast?group=month").get_data(as_text=True))
    body = ApiClient(client, rep).get("/forecast?group=rep").get_json()
    bad = ApiClient(client, rep).get("/forecast?group=week")

    assert "2026-12" in page and "2,000.00" in page and "200.00" in page
    assert body["items"] == [{"key": rep.id, "label": rep.display_name, "count": 1, "amount": "2000.00",
                              "weighted": "200.00"}]
    assert body["totals"] == {"count": 1, "amount": "2000.00", "weighted": "200.00"} and body["group"] == "rep"
    assert bad.status_code == 422 and "group" in bad.get_json()["error"]["fields"]
    assert opportunity.id


def team(db):
    """A team east of two reps and their manager; rep b in team west."""
    leads.create_scoring_rule(uow_for(db), {"field": "industry", "value": "machinery", "points": 70})
    manager = make_user(db, "sales_manager", team="tv-east")
    rep = make_user(db, "sales_rep", team="tv-east")
    outsider = make_user(db, "sales_rep", team="tv-west")
    return manager, rep, outsider


def test_the_team_view_shows_each_rep_of_the_managers_team_with_links_to_the_lists(client, db):
    manager, rep, outsider = team(db)
    leads.update_policy(uow_for(db), {"rep_capacity": 0})
    pooled = leads.capture_lead(uow_for(db), {"company": "Pool Pumps", "email": "p@pool.example",
                                              "industry": "machinery"})
    leads.update_policy(uow_for(db), {"rep_capacity": 50})
    leads.claim_lead(uow_for(db, rep), pooled.id)
    deal = opportunity_for(db, rep, "Team", amount=D("40000"), at=utcnow() - timedelta(days=4))
    worked = opportunity_for(db, rep, "Worked", at=utcnow() - timedelta(days=4))
    pipeline.log_activity(uow_for(db, rep), {"kind": "visit", "opportunity_id": worked.id, "note": "Plant tour",
                                             "next_step": "Send drawings",
                                             "next_step_date": (utcnow() - timedelta(days=3)).date()})
    sign_in(client, manager)

    html = client.get("/pipeline/team").get_data(as_text=True)

    row = text_of(html.split(f'data-rep="{rep.username}"')[1].split("</tr>")[0])
    assert f'data-rep="{outsider.username}"' not in html and f'data-rep="{manager.username}"' in html
    assert "1 / 0 / 0" in row and "40,000.00" in row and "4,000.00" in row  # qualification: 10%
    cells = {c: text_of(html.split(f'data-rep="{rep.username}"')[1].split(f'data-col="{c}"')[1].split("</td>")[0])
             for c in ("overdue", "claims", "stalled", "activities")}
    assert {c: v.strip(' ">') for c, v in cells.items()} == {"overdue": "1", "claims": "1", "stalled": "1",
                                                            "activities": "1"}
    stalled = client.get(f"/pipeline/team/{rep.id}/stalled").get_data(as_text=True)
    overdue = text_of(client.get(f"/pipeline/team/{rep.id}/overdue").get_data(as_text=True))
    assert deal.number in stalled and "Stalled" in stalled
    assert "Send drawings" in overdue and worked.number in overdue and worked.number not in stalled
    assert pooled.number in client.get(f"/pipeline/team/{rep.id}/claims").get_data(as_text=True)
    assert client.get(f"/pipeline/team/{outsider.id}/leads").status_code == 404


def test_a_rep_is_refused_the_team_view(client, db):
    _manager, rep, _outsider = team(db)
    sign_in(client, rep)

    assert client.get("/pipeline/team").status_code == 403
    assert client.get(f"/pipeline/team/{rep.id}/leads").status_code == 403
    assert "/pipeline/team" not in client.get("/pipeline/board").get_data(as_text=True)


def test_the_quote_page_links_its_pdf_and_the_api_serves_it(client, db):
    rep = make_user(db, "sales_rep")
    product = core_services.create_product(uow_for(db), {"sku": f"PDF-{rep.id}", "name": "离心泵 Pump",
                                                          "kind": "buy", "list_price": D("1000")})
    quote = quotes.create_quote(uow_for(db, rep), {"opportunity_id": opportunity_for(db, rep, "Pdf").id, "lines": [
        {"product_id": product.id, "qty": D("2"), "discount": D("0.05")}]})
    sign_in(client, rep)

    page = client.get(f"/leads/quotes/{quote.id}").get_data(as_text=True)
    web = client.get(f"/leads/quotes/{quote.id}.pdf")
    api = ApiClient(client, rep).get(f"/quotes/{quote.id}/pdf")
    hidden = ApiClient(client, make_user(db, "sales_rep")).get(f"/quotes/{quote.id}/pdf")

    assert f"/leads/quotes/{quote.id}.pdf" in page
    assert web.status_code == 200 and web.mimetype == "application/pdf" and web.data.startswith(b"%PDF-")
    assert api.status_code == 200 and api.mimetype == "application/pdf" and api.data.startswith(b"%PDF-")
    assert f"{quote.number}-v1.pdf" in api.headers["Content-Disposition"]
    assert hidden.status_code in (403, 404)


def test_the_board_team_view_and_forecast_speak_chinese(client, db):
    manager, rep, _outsider = team(db)
    opportunity_for(db, rep, "Zh", at=utcnow() - timedelta(days=3))
    sign_in(client, manager)
    client.post("/language", data={"csrf_token": csrf_token(client, "/pipeline/board"), "locale": "zh_CN",
                                   "next": "/pipeline/board"})

    board = text_of(client.get("/pipeline/board").get_data(as_text=True))
    team_page = text_of(client.get("/pipeline/team").get_data(as_text=True))
    forecast_page = text_of(client.get("/pipeline/forecast").get_data(as_text=True))

    assert "销售管道" in board and "停滞" in board and "上次活动于 3 天 前" in board and "Stalled" not in board
    assert "逾期跟进" in team_page and "本周活动" in team_page and "Overdue follow-ups" not in team_page
    assert "加权预测" in forecast_page and "加权金额" in forecast_page
