"""Tasks over the API: create (field errors as 422, another rep as 403), list in scope, complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import api_as, make_user

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 China time: "due today" is a time-of-day rule
DUE = MONDAY_10 + timedelta(hours=3)


def test_a_rep_creates_lists_and_completes_their_task(client, db, clock):
    rep = api_as(client, db, "sales_rep")

    with clock.frozen_at(MONDAY_10):
        created = rep.post("/tasks", json={"title": "Call the buyer", "due_at": DUE.isoformat(),
                                           "remind_at": (DUE - timedelta(hours=1)).isoformat()})
        task = created.get_json()
        listed = rep.get("/tasks?state=open&due=today").get_json()
        done = rep.post(f"/tasks/{task['id']}/complete")
        again = rep.post(f"/tasks/{task['id']}/complete")

    assert created.status_code == 201, task
    assert (task["owner_id"], task["state"], task["source"], task["overdue"]) == (rep.user.id, "open", "manual", False)
    assert [t["id"] for t in listed["items"]] == [task["id"]] and listed["total"] == 1
    assert done.status_code == 200 and done.get_json()["state"] == "done"
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"


def test_bad_input_names_each_field_and_another_reps_task_is_refused_or_hidden(client, db, clock):
    rep, other = api_as(client, db, "sales_rep"), make_user(db, "sales_rep")
    due = (clock.now() + timedelta(hours=3)).replace(microsecond=0)

    bad = rep.post("/tasks", json={"title": "", "due_at": "2026-11-23T09:00:00", "customer_id": 999999})
    foreign = rep.post("/tasks", json={"title": "For a colleague", "due_at": due.isoformat(), "owner_id": other.id})
    theirs = api_as(client, db, "sales_manager").post("/tasks", json={"title": "x", "due_at": due.isoformat()})
    hidden = api_as(client, db, "sales_rep").post(f"/tasks/{theirs.get_json()['id']}/complete")

    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"title", "due_at", "customer_id"}
    assert foreign.status_code == 403
    assert hidden.status_code == 404
    assert rep.get("/tasks").get_json()["total"] == 0
