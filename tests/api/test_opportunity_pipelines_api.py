"""The pipeline settings API: list, create, read with stages, add and patch stages, the 422 and 409
refusals, the role matrix, and opening an opportunity in a chosen pipeline."""

from __future__ import annotations

from tests.conftest import api_as, ok


def test_a_manager_builds_a_pipeline_and_a_rep_opens_an_opportunity_in_it(client, db):
    manager = api_as(client, db, "sales_manager", team="pp")
    rep = api_as(client, db, "sales_rep", team="pp")

    created = ok(manager.post("/pipelines", json={"name": "Projects", "code": "projects"}), 201)
    assert [(s["code"], s["probability"], s["outcome"]) for s in created["stages"]] == [
        ("qualification", "0.1000", "open"), ("won", "1.0000", "won"), ("lost", "0.0000", "lost")]
    stage = ok(manager.post(f"/pipelines/{created['id']}/stages", json={
        "code": "tender", "name": "Tender", "probability": "0.45", "exit_fields": ["amount"], "position": 1}), 201)
    assert (stage["position"], stage["probability"], stage["exit_fields"]) == (1, "0.4500", ["amount"])

    listed = ok(rep.get("/pipelines"))
    assert listed["total"] == 2 and [p["code"] for p in listed["items"]] == ["default", "projects"]
    one = ok(rep.get(f"/pipelines/{created['id']}"))
    assert [s["code"] for s in one["stages"]] == ["tender", "qualification", "won", "lost"]

    customer = ok(manager.post("/customers", json={"code": "PPA-1", "name": "Pipe API Co",
                                                   "owner_id": rep.user.id}), 201)["id"]
    opened = ok(rep.post("/opportunities", json={"customer_id": customer, "name": "Pipes",
                                                 "pipeline_id": created["id"]}), 201)
    assert (opened["pipeline_id"], opened["stage"], opened["probability"]) == (created["id"], "tender", "0.45")
    default = ok(rep.post("/opportunities", json={"customer_id": customer, "name": "Other"}), 201)
    assert default["pipeline_id"] == listed["items"][0]["id"] and default["stage"] == "qualification"

    changed = ok(manager.patch(f"/stages/{stage['id']}", json={"probability": "0.6", "name": "Public tender"}))
    assert (changed["name"], changed["probability"]) == ("Public tender", "0.6000")
    assert ok(rep.get(f"/opportunities/{opened['id']}"))["probability"] == "0.60"

    in_use = manager.patch(f"/stages/{stage['id']}", json={"active": False})
    assert in_use.status_code == 409 and in_use.get_json()["error"]["code"] == "stage_in_use"


def test_bad_stage_input_is_refused_field_by_field_and_reps_may_not_configure(client, db):
    manager = api_as(client, db, "sales_manager", team="pq")
    rep = api_as(client, db, "sales_rep", team="pq")
    created = ok(manager.post("/pipelines", json={"name": "Service", "code": "service"}), 201)

    bad = manager.post(f"/pipelines/{created['id']}/stages", json={"code": "x", "name": "X", "probability": "1.2",
                                                                   "exit_fields": ["colour"]})
    assert bad.status_code == 422
    assert {"probability", "exit_fields"} <= set(bad.get_json()["error"]["fields"])
    won = next(s for s in created["stages"] if s["outcome"] == "won")
    terminal = manager.patch(f"/stages/{won['id']}", json={"probability": "0.5"})
    assert terminal.status_code == 422 and "probability" in terminal.get_json()["error"]["fields"]
    assert ok(manager.get(f"/pipelines/{created['id']}"))["stages"] == created["stages"]

    assert rep.post("/pipelines", json={"name": "Mine", "code": "mine"}).status_code == 403
    assert rep.patch(f"/stages/{won['id']}", json={"name": "Yes"}).status_code == 403
    assert api_as(client, db, "warehouse").get("/pipelines").status_code == 403
    customer = ok(manager.post("/customers", json={"code": "PPA-2", "name": "Valve API Co",
                                                   "owner_id": rep.user.id}), 201)["id"]
    unknown = rep.post("/opportunities", json={"customer_id": customer, "name": "X", "pipeline_id": 9999})
    assert unknown.status_code == 422 and set(unknown.get_json()["error"]["fields"]) == {"pipeline_id"}
