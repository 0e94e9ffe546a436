"""The leads and opportunities API: shapes, codes and role refusals."""

from __future__ import annotations

from crm.leads import services
from crm.leads.models import Lead
from tests.conftest import api_as, uow_for


def scoring(db):
    uow = uow_for(db)
    services.create_scoring_rule(uow, {"field": "industry", "value": "manufacturing", "points": 70,
                                       "label": "Manufacturing"})


def test_a_rep_captures_a_lead_and_reads_it_with_its_score_explanation(client, db):
    scoring(db)
    rep = api_as(client, db, "sales_rep")

    answer = rep.post("/leads", json={"company": "Acme Pumps Ltd", "email": "buy@acme.example",
                                      "industry": "Manufacturing", "utm_campaign": "spring"})

    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert {"id", "number", "status", "grade", "score", "owner_id", "follow_up_due", "duplicate_of",
            "utm_campaign", "source"} <= set(body)
    assert (body["grade"], body["score"], body["status"], body["owner_id"], body["source"]) == (
        "A", 70, "assigned", rep.user.id, "api")
    explained = rep.get(f"/leads/{body['id']}/score").get_json()
    assert explained == {"lead_id": body["id"], "score": 70, "grade": "A", "thresholds": {"A": 60, "B": 30},
                         "rules": [{"rule_id": explained["rules"][0]["rule_id"], "label": "Manufacturing",
                                    "field": "industry", "operator": "equals", "value": "manufacturing",
                                    "points": 70}]}
    listed = rep.get("/leads?grade=A").get_json()
    assert set(listed) == {"items", "total", "page", "per_page"}
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_a_malformed_lead_is_refused_naming_each_field(client, db):
    rep = api_as(client, db, "sales_rep")
    before = db.query(Lead).count()

    answer = rep.post("/leads", json={"company": "X", "company_size": "many", "colour": "red"})

    assert answer.status_code == 422
    assert {"company_size", "colour"} <= set(answer.get_json()["error"]["fields"])
    missing = rep.post("/leads", json={"company": "X"})
    assert missing.status_code == 422 and set(missing.get_json()["error"]["fields"]) == {"phone"}
    assert db.query(Lead).count() == before


def test_roles_outside_sales_cannot_capture_or_list_leads(client, db):
    warehouse = api_as(client, db, "warehouse")

    assert warehouse.post("/leads", json={"company": "X", "email": "x@x.example"}).status_code == 403
    assert warehouse.get("/leads").status_code == 403
    assert warehouse.get("/opportunities").status_code == 403
    assert warehouse.post("/activities", json={"kind": "call", "lead_id": 1}).status_code == 403
    assert client.get("/api/v1/leads").status_code == 401


def test_claim_answers_409_beyond_the_limit_and_403_for_another_reps_lead(client, db):
    scoring(db)
    services.update_policy(uow_for(db), {"rep_capacity": 0, "claim_limit": 0})
    rep = api_as(client, db, "sales_rep")
    pooled = rep.post("/leads", json={"company": "Pool Co", "email": "p@pool.example",
                                      "industry": "manufacturing"}).get_json()
    assert pooled["status"] == "pool"

    refused = rep.post(f"/leads/{pooled['id']}/claim")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "claim_limit_reached"

    services.update_policy(uow_for(db), {"claim_limit": 5})
    assert rep.post(f"/leads/{pooled['id']}/claim").get_json()["owner_id"] == rep.user.id
    other = api_as(client, db, "sales_rep")
    taken = other.post(f"/leads/{pooled['id']}/claim")
    assert taken.status_code == 403
    assert "another sales rep" in taken.get_json()["error"]["message"]
    assert rep.get(f"/leads/{pooled['id']}").get_json()["owner_id"] == rep.user.id


def test_a_manager_sees_the_403_when_claiming_a_rep_lead_of_the_team(client, db):
    scoring(db)
    rep = api_as(client, db, "sales_rep", team="north")
    lead = rep.post("/leads", json={"company": "Team Co", "email": "t@team.example",
                                    "industry": "manufacturing"}).get_json()
    manager = api_as(client, db, "sales_manager", team="north")

    answer = manager.post(f"/leads/{lead['id']}/claim")

    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"


def test_converting_through_the_api_gives_the_opportunity_and_moving_it_checks_exit_rules(client, db):
    scoring(db)
    rep = api_as(client, db, "sales_rep")
    lead = rep.post("/leads", json={"company": "杭州泵业有限公司", "contact_name": "王芳", "phone": "13900002222",
                                    "industry": "manufacturing"}).get_json()

    converted = rep.post(f"/leads/{lead['id']}/convert", json={"amount": "50000", "name": "Pumps"})

    assert converted.status_code == 200, converted.get_json()
    opportunity = converted.get_json()["opportunity"]
    assert converted.get_json()["lead"]["status"] == "converted"
    assert (opportunity["stage"], opportunity["probability"], opportunity["amount"], opportunity["state"]) == (
        "qualification", "0.10", "50000.00", "open")
    oid = opportunity["id"]
    assert rep.post(f"/opportunities/{oid}/move", json={"stage": "needs_analysis"}).status_code == 200
    blocked = rep.post(f"/opportunities/{oid}/move", json={"stage": "quote"})
    assert blocked.status_code == 409
    assert blocked.get_json()["error"]["code"] == "exit_rule"
    assert set(blocked.get_json()["error"]["fields"]) == {"budget", "decision_maker"}
    assert rep.patch(f"/opportunities/{oid}", json={"budget": "60000", "decision_maker": "Mr Li"}).status_code == 200
    moved = rep.post(f"/opportunities/{oid}/move", json={"stage": "quote"})
    assert moved.get_json()["stage"] == "quote"
    lost = rep.post(f"/opportunities/{oid}/move", json={"stage": "lost"})
    assert lost.status_code == 422 and "lost_reason" in lost.get_json()["error"]["fields"]


def test_activities_are_logged_and_listed_and_another_rep_cannot_see_the_opportunity(client, db):
    scoring(db)
    rep = api_as(client, db, "sales_rep")
    lead = rep.post("/leads", json={"company": "Call Co", "email": "c@call.example",
                                    "industry": "manufacturing"}).get_json()

    logged = rep.post("/activities", json={"kind": "call", "lead_id": lead["id"], "note": "Interested",
                                           "next_step": "Visit", "next_step_date": "2026-12-01"})

    assert logged.status_code == 201, logged.get_json()
    assert rep.get(f"/leads/{lead['id']}").get_json()["follow_up_due"] is None
    listed = rep.get(f"/activities?lead_id={lead['id']}").get_json()
    assert listed["total"] == 1 and listed["items"][0]["next_step_date"] == "2026-12-01"
    bad = rep.post("/activities", json={"kind": "fax", "lead_id": lead["id"]})
    assert bad.status_code == 422 and "kind" in bad.get_json()["error"]["fields"]
    converted = rep.post(f"/leads/{lead['id']}/convert", json={}).get_json()
    other = api_as(client, db, "sales_rep")
    assert other.get(f"/opportunities/{converted['opportunity']['id']}").status_code == 404
    assert other.get("/opportunities").get_json()["total"] == 0


def test_a_sales_manager_configures_scoring_and_a_rep_may_read_but_not_change_it(client, db):
    manager = api_as(client, db, "sales_manager")
    rep = api_as(client, db, "sales_rep")

    created = manager.post("/lead-settings/scoring-rules", json={"field": "title", "operator": "contains",
                                                                 "value": "director", "points": 25})
    policy = manager.patch("/lead-settings/policy", json={"grade_a_min": 50, "claim_limit": 3})

    assert created.status_code == 201, created.get_json()
    assert created.get_json()["label"] == "title contains director"
    assert (policy.get_json()["grade_a_min"], policy.get_json()["claim_limit"]) == (50, 3)
    listed = rep.get("/lead-settings/scoring-rules").get_json()
    assert [r["value"] for r in listed["items"]] == ["director"]
    assert rep.post("/lead-settings/scoring-rules", json={"field": "title", "value": "x", "points": 1}
                    ).status_code == 403
    assert rep.patch("/lead-settings/policy", json={"claim_limit": 99}).status_code == 403
    bad = manager.post("/lead-settings/scoring-rules", json={"field": "event", "value": "danced", "points": 5})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"value"}
    inverted = manager.patch("/lead-settings/policy", json={"grade_b_min": 80})
    assert inverted.status_code == 422 and "grade_a_min" in inverted.get_json()["error"]["fields"]
    assert manager.get("/lead-settings/policy").get_json()["grade_b_min"] == 30
    assigned = manager.post("/lead-settings/assignment-rules", json={"field": "region", "value": "South",
                                                                     "user_id": rep.user.id})
    assert assigned.status_code == 201
    assert rep.get("/lead-settings/assignment-rules").get_json()["items"][0]["user_id"] == rep.user.id


def test_a_lead_converts_into_the_chosen_pipeline_and_an_unknown_one_changes_nothing(client, db):
    from core.models import Customer
    from crm.pipeline import settings as pipeline_settings
    from tests.conftest import make_user

    scoring(db)
    manager = make_user(db, "sales_manager")
    projects = pipeline_settings.create_pipeline(uow_for(db, manager), {"name": "Projects", "code": "projects"})
    rep = api_as(client, db, "sales_rep")
    lead = rep.post("/leads", json={"company": "宁波阀门有限公司", "contact_name": "李强", "phone": "13900003333",
                                    "industry": "manufacturing"}).get_json()
    customers = db.query(Customer).count()

    refused = rep.post(f"/leads/{lead['id']}/convert", json={"name": "Valves", "pipeline_id": 999999})
    assert refused.status_code == 422 and "pipeline_id" in refused.get_json()["error"]["fields"]
    assert db.get(Lead, lead["id"]).status == "assigned" and db.query(Customer).count() == customers

    converted = rep.post(f"/leads/{lead['id']}/convert", json={"name": "Valves", "pipeline_id": projects.id})
    assert converted.status_code == 200, converted.get_json()
    opportunity = converted.get_json()["opportunity"]
    first_open = min((s for s in projects.stages if s.code not in ("won", "lost")), key=lambda s: s.position)
    assert (opportunity["pipeline_id"], opportunity["stage_id"]) == (projects.id, first_open.id)
