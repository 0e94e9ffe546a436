"""Thin tests of the front-office pages: the rep's desk, the public pool and its claim button,
lead detail with the score explanation and conversion, the opportunity's stage form, and the
public lead form with its honeypot and rate limit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.db import utcnow
from crm.leads import services
from crm.leads.models import Lead
from crm.pipeline.models import Opportunity, Stage
from tests.conftest import make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in
from tests.web.test_orders_web import text_of


def scoring(db):
    services.create_scoring_rule(uow_for(db), {"field": "industry", "value": "manufacturing", "points": 70,
                                               "label": "Manufacturing industry"})


def lead_for(db, company, *, now=None, **data):
    return services.capture_lead(uow_for(db), {"company": company, "email": f"{company[:4]}@x.example",
                                               "industry": "manufacturing", **data}, now=now)


def test_the_desk_shows_my_leads_by_grade_with_deadlines_and_overdue_flags(client, db):
    scoring(db)
    rep = make_user(db, "sales_rep")
    late = lead_for(db, "Late Pumps", now=utcnow() - timedelta(days=7))
    fresh = lead_for(db, "Fresh Valves")
    sign_in(client, rep)

    page = client.get("/leads/desk")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-grade="A"' in html
    late_row = html.split(f'data-lead="{late.number}"')[1].split("</tr>")[0]
    fresh_row = html.split(f'data-lead="{fresh.number}"')[1].split("</tr>")[0]
    assert "data-overdue" in late_row and "data-overdue" not in fresh_row
    assert fresh.follow_up_due.strftime("%Y-%m-%d %H:%M") in fresh_row
    assert "My desk" in text_of(client.get("/").get_data(as_text=True))  # the menu entry


def test_a_rep_claims_from_the_pool_page_and_a_refusal_is_flashed(client, db):
    scoring(db)
    services.update_policy(uow_for(db), {"rep_capacity": 0, "claim_limit": 1})
    first, second = lead_for(db, "Pool One"), lead_for(db, "Pool Two")
    services.update_policy(uow_for(db), {"rep_capacity": 50})
    rep = make_user(db, "sales_rep")
    sign_in(client, rep)
    pool = client.get("/leads/pool").get_data(as_text=True)
    assert first.number in pool and second.number in pool and "Claim" in pool
    token = csrf_token(client, "/leads/pool")

    claimed = client.post(f"/leads/{first.id}/claim", data={"csrf_token": token})
    refused = client.post(f"/leads/{second.id}/claim", data={"csrf_token": token}, follow_redirects=True)

    assert claimed.status_code == 303 and claimed.headers["Location"].endswith(f"/leads/{first.id}")
    assert "you already hold 1 open leads and the limit is 1" in text_of(refused.get_data(as_text=True))
    db.expire_all()
    assert (db.get(Lead, first.id).owner_id, db.get(Lead, second.id).owner_id) == (rep.id, None)


def test_lead_detail_explains_the_score_and_the_convert_button_makes_an_opportunity(client, db):
    scoring(db)
    rep = make_user(db, "sales_rep")
    lead = lead_for(db, "Detail Pumps", contact_name="Li Wei")
    sign_in(client, rep)

    detail = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Manufacturing industry" in detail and "+70" in detail and "Grade A" in text_of(detail)

    converted = client.post(f"/leads/{lead.id}/convert", data={
        "csrf_token": csrf_token(client, f"/leads/{lead.id}"), "name": "Pumps for plant 2", "amount": "9000"})

    assert converted.status_code == 303
    opportunity_page = client.get(converted.headers["Location"]).get_data(as_text=True)
    assert "Pumps for plant 2" in opportunity_page and 'data-stage="qualification"' in opportunity_page


def test_moving_an_opportunity_past_an_exit_rule_flashes_the_missing_fields(client, db):
    scoring(db)
    rep = make_user(db, "sales_rep")
    lead = lead_for(db, "Stage Pumps")
    sign_in(client, rep)
    token = csrf_token(client, f"/leads/{lead.id}")
    where = client.post(f"/leads/{lead.id}/convert", data={"csrf_token": token}).headers["Location"]
    db.expire_all()
    opportunity_id = db.get(Lead, lead.id).opportunity_id
    ids = {s.code: s.id for s in db.scalars(select(Stage))}
    client.post(f"/leads/opportunities/{opportunity_id}/move", data={"csrf_token": token,
                                                                      "stage_id": ids["needs_analysis"]})

    answer = client.post(f"/leads/opportunities/{opportunity_id}/move",
                         data={"csrf_token": token, "stage_id": ids["quote"]}, follow_redirects=True)

    assert where.endswith(f"/leads/opportunities/{opportunity_id}")
    assert "Not moved: fill in Budget, Decision maker first." in text_of(answer.get_data(as_text=True))
    db.expire_all()
    assert db.get(Opportunity, opportunity_id).stage.code == "needs_analysis"


def test_roles_outside_sales_are_refused_the_desk(client, db):
    sign_in(client, make_user(db, "warehouse"))
    assert client.get("/leads/desk").status_code == 403
    assert client.get("/leads/pool").status_code == 403


def leads_from(db, address) -> int:
    return db.scalar(select(func.count()).select_from(Lead).where(Lead.source_address == address))


def test_the_public_form_needs_no_login_and_records_the_campaign(client, db):
    token = csrf_token(client, "/contact-us")

    answer = client.post("/contact-us?utm_source=wechat&utm_campaign=expo-2026", data={
        "csrf_token": token, "company": "Visitor Works", "contact_name": "Zhang San", "phone": "13700001234",
        "website": ""})

    assert answer.status_code == 200 and "Thank you" in answer.get_data(as_text=True)
    lead = db.scalar(select(Lead).where(Lead.company == "Visitor Works"))
    assert (lead.source, lead.channel, lead.utm_source, lead.utm_campaign) == ("web_form", "website", "wechat",
                                                                              "expo-2026")


def test_the_public_form_refuses_a_filled_honeypot_bad_input_and_too_many_posts(client, db):
    token = csrf_token(client, "/contact-us")
    address = "127.0.0.1"
    before = leads_from(db, address)

    spam = client.post("/contact-us", data={"csrf_token": token, "company": "Bot", "email": "b@b.example",
                                            "website": "http://spam.example"})
    bad = client.post("/contact-us", data={"csrf_token": token, "company": "No Contact"})
    assert (spam.status_code, bad.status_code) == (200, 422)  # a filled honeypot is answered like a success
    assert 'data-field="phone"' in bad.get_data(as_text=True)
    assert leads_from(db, address) == before

    services.update_policy(uow_for(db), {"web_form_per_hour": before + 1})
    ok = client.post("/contact-us", data={"csrf_token": token, "company": "Real One", "email": "r@r.example"})
    limited = client.post("/contact-us", data={"csrf_token": token, "company": "Real Two", "email": "s@r.example"})
    assert (ok.status_code, limited.status_code) == (200, 429)
    assert leads_from(db, address) == before + 1


def test_a_signed_in_user_of_another_department_can_still_use_the_public_form(client, db):
    sign_in(client, make_user(db, "warehouse"))

    answer = client.post("/contact-us", data={"csrf_token": csrf_token(client, "/contact-us"),
                                              "company": "Neighbour Works", "email": "n@neighbour.example"})

    assert answer.status_code == 200
    assert db.scalar(select(Lead).where(Lead.company == "Neighbour Works")).source == "web_form"


def test_a_rep_quotes_from_the_opportunity_page_and_an_unapproved_discount_cannot_be_accepted(client, db):
    from core import services as core_services
    from crm.quotes.models import Quote

    scoring(db)
    rep = make_user(db, "sales_rep")
    product = core_services.create_product(uow_for(db), {"sku": "WQ-PUMP", "name": "Pump", "kind": "buy",
                                                          "list_price": "1000"})
    lead = lead_for(db, "Quote Pumps")
    sign_in(client, rep)
    token = csrf_token(client, f"/leads/{lead.id}")
    where = client.post(f"/leads/{lead.id}/convert", data={"csrf_token": token}).headers["Location"]
    assert "New quote" in client.get(where).get_data(as_text=True)
    opportunity_id = int(where.rsplit("/", 1)[1])

    created = client.post(f"/leads/opportunities/{opportunity_id}/quotes", data={
        "csrf_token": token, "lines-0-product_id": str(product.id), "lines-0-qty": "3", "lines-0-discount": "0.3"})
    quote_page = created.headers["Location"]
    client.post(f"{quote_page}/submit", data={"csrf_token": token})
    refused = client.post(f"{quote_page}/accept", data={"csrf_token": token}, follow_redirects=True)

    assert "waits for a sales manager" in text_of(refused.get_data(as_text=True))
    assert 'data-state="pending_approval"' in refused.get_data(as_text=True)
    db.expire_all()
    quote = db.scalar(select(Quote).where(Quote.opportunity_id == opportunity_id))
    assert (quote.state, quote.sales_order_id, str(quote.untaxed)) == ("pending_approval", None, "2100.00")
