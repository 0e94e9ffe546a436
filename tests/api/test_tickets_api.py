"""The tickets API: shape, status moves, the resolution and satisfaction refusals, filters, the data
scope (another rep's customer's ticket is 404) and the role matrix (warehouse 403, management reads)."""

from __future__ import annotations

from tests.conftest import api_as


def setup(client, db):
    admin = api_as(client, db, "admin")
    rep = api_as(client, db, "sales_rep", team="tk")
    customer = admin.post("/customers", json={"code": f"TK-{rep.user.id}", "name": "Ticket API Co",
                                              "owner_id": rep.user.id}).get_json()["id"]
    return admin, rep, customer


def test_a_ticket_is_raised_worked_resolved_rated_and_closed_through_the_api(client, db):
    admin, rep, customer = setup(client, db)

    created = rep.post("/tickets", json={"customer_id": customer, "subject": "Pump leaks", "priority": "urgent"})

    assert created.status_code == 201, created.get_json()
    ticket = created.get_json()
    assert ticket["number"].startswith("TCK-") and ticket["status"] == "open" and ticket["priority"] == "urgent"
    assert (ticket["customer_id"], ticket["assignee_id"], ticket["overdue"]) == (customer, rep.user.id, False)
    assert {"due_at", "created_at", "resolution", "satisfaction", "sales_order_id", "product_id"} <= set(ticket)
    tid = ticket["id"]

    early = rep.post(f"/tickets/{tid}/satisfaction", json={"score": 5})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_resolved"
    assert rep.post(f"/tickets/{tid}/close").status_code == 409
    assert rep.post(f"/tickets/{tid}/start").get_json()["status"] == "in_progress"
    missing = rep.post(f"/tickets/{tid}/resolve", json={})
    assert missing.status_code == 422 and "resolution" in missing.get_json()["error"]["fields"]
    assert rep.get(f"/tickets/{tid}").get_json()["status"] == "in_progress"
    resolved = rep.post(f"/tickets/{tid}/resolve", json={"resolution": "Seal replaced"}).get_json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "Seal replaced")
    out_of_range = rep.post(f"/tickets/{tid}/satisfaction", json={"score": 6})
    assert out_of_range.status_code == 422 and "satisfaction" in out_of_range.get_json()["error"]["fields"]
    assert rep.post(f"/tickets/{tid}/satisfaction", json={"score": 4}).get_json()["satisfaction"] == 4
    assert rep.post(f"/tickets/{tid}/close").get_json()["status"] == "closed"
    assert rep.post(f"/tickets/{tid}/reopen").status_code == 409


def test_priority_and_assignee_are_changed_with_patch_and_the_due_time_follows(client, db):
    admin, rep, customer = setup(client, db)
    ticket = rep.post("/tickets", json={"customer_id": customer, "subject": "Noise", "priority": "low"}).get_json()

    changed = rep.patch(f"/tickets/{ticket['id']}", json={"priority": "high", "assignee_id": admin.user.id})

    body = changed.get_json()
    assert changed.status_code == 200 and (body["priority"], body["assignee_id"]) == ("high", admin.user.id)
    assert body["due_at"] < ticket["due_at"]
    bad = rep.patch(f"/tickets/{ticket['id']}", json={"priority": "whenever"})
    assert bad.status_code == 422 and "priority" in bad.get_json()["error"]["fields"]


def test_the_list_filters_by_customer_status_assignee_and_overdue(client, db):
    admin, rep, customer = setup(client, db)
    first = rep.post("/tickets", json={"customer_id": customer, "subject": "A"}).get_json()
    second = rep.post("/tickets", json={"customer_id": customer, "subject": "B", "assignee_id": admin.user.id})
    rep.post(f"/tickets/{first['id']}/start")

    def ids(query):
        answer = rep.get(f"/tickets?customer_id={customer}&{query}")
        assert answer.status_code == 200, answer.get_json()
        return [t["id"] for t in answer.get_json()["items"]]

    assert sorted(ids("")) == sorted([first["id"], second.get_json()["id"]])
    assert ids("status=in_progress") == [first["id"]]
    assert ids(f"assignee_id={admin.user.id}") == [second.get_json()["id"]]
    assert ids("overdue=true") == []
    assert sorted(ids("overdue=false")) == sorted([first["id"], second.get_json()["id"]])
    assert rep.get("/tickets?status=nonsense").status_code == 422


def test_another_reps_customer_and_its_tickets_are_hidden_and_warehouse_may_not_see_tickets(client, db):
    admin, rep, customer = setup(client, db)
    ticket = rep.post("/tickets", json={"customer_id": customer, "subject": "Leak"}).get_json()
    other = api_as(client, db, "sales_rep", team="other")

    assert other.get(f"/tickets/{ticket['id']}").status_code == 404
    assert other.post(f"/tickets/{ticket['id']}/start").status_code == 404
    assert other.get(f"/tickets?customer_id={customer}").get_json()["total"] == 0
    refused = other.post("/tickets", json={"customer_id": customer, "subject": "Not mine"})
    assert refused.status_code == 422 and "customer_id" in refused.get_json()["error"]["fields"]

    warehouse = api_as(client, db, "warehouse")
    assert warehouse.get("/tickets").status_code == 403
    assert warehouse.get(f"/tickets/{ticket['id']}").status_code == 403
    management = api_as(client, db, "management")
    assert management.get(f"/tickets/{ticket['id']}").status_code == 200
    assert management.post(f"/tickets/{ticket['id']}/start").status_code == 403
    assert rep.get(f"/tickets/{ticket['id']}").get_json()["status"] == "open"
