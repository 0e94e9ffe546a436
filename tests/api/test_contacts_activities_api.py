"""Contacts and activities as API resources of their own (issue 6 item 11): shapes, filters, bad input
and the data scope (a rep sees the records of own customers, leads and opportunities)."""

from __future__ import annotations

from sqlalchemy import func, select

from core import services as core_services
from core.models import AuditEntry, Contact
from crm.pipeline import services as pipeline
from crm.pipeline.models import Activity
from tests.conftest import api_as, make_user, uow_for


def customer_of(db, owner, code):
    return core_services.create_customer(uow_for(db), {"code": code, "name": f"Customer {code}",
                                                       "owner_id": owner.id if owner else None})


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- contacts


def test_a_rep_adds_a_contact_to_an_own_customer_reads_and_changes_it(client, db):
    rep = api_as(client, db, "sales_rep")
    mine = customer_of(db, rep.user, "C-MINE")

    made = rep.post("/contacts", json={"customer_id": mine.id, "name": "王伟", "title": "采购经理",
                                       "phone": "138 0000 1001", "email": "ww@mine.example"})

    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body == {"id": body["id"], "customer_id": mine.id, "customer_name": "Customer C-MINE", "name": "王伟",
                    "title": "采购经理", "phone": "138 0000 1001", "email": "ww@mine.example", "is_primary": True}
    second = rep.post("/contacts", json={"customer_id": mine.id, "name": "Li Na", "is_primary": True}).get_json()
    assert rep.get(f"/contacts/{body['id']}").get_json()["is_primary"] is False  # one primary per customer
    changed = rep.patch(f"/contacts/{body['id']}", json={"title": "总经理", "email": ""})
    assert changed.status_code == 200 and (changed.get_json()["title"], changed.get_json()["email"]) == ("总经理", None)
    listed = rep.get(f"/contacts?customer_id={mine.id}").get_json()
    assert set(listed) == {"items", "total", "page", "per_page"}
    assert [c["id"] for c in listed["items"]] == [second["id"], body["id"]]  # the primary first
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "Contact", AuditEntry.entity_id == str(body["id"]))) == 3  # made, unmarked, changed


def test_bad_contact_input_is_refused_naming_each_field_and_nothing_is_stored(client, db):
    rep = api_as(client, db, "sales_rep")
    mine = customer_of(db, rep.user, "C-MINE")
    before = count(db, Contact)

    answer = rep.post("/contacts", json={"customer_id": mine.id, "name": "", "email": "nope", "colour": "red"})
    assert answer.status_code == 422
    assert {"name", "colour"} <= set(answer.get_json()["error"]["fields"])
    bad_mail = rep.post("/contacts", json={"customer_id": mine.id, "name": "X", "email": "nope"})
    assert bad_mail.status_code == 422 and set(bad_mail.get_json()["error"]["fields"]) == {"email"}
    unknown = rep.post("/contacts", json={"customer_id": 999999, "name": "X"})
    assert unknown.status_code == 422 and set(unknown.get_json()["error"]["fields"]) == {"customer_id"}
    moved = rep.post("/contacts", json={"customer_id": mine.id, "name": "Y"}).get_json()
    assert rep.patch(f"/contacts/{moved['id']}", json={"customer_id": 1}).status_code == 422
    assert count(db, Contact) == before + 1


def test_a_rep_sees_only_the_contacts_of_own_customers_and_changes_no_one_elses(client, db):
    rep = api_as(client, db, "sales_rep")
    other = make_user(db, "sales_rep")
    theirs = customer_of(db, other, "C-THEIRS")
    unowned = customer_of(db, None, "C-POOL")
    hidden = Contact(customer_id=theirs.id, name="Hidden")
    public = Contact(customer_id=unowned.id, name="Public")
    db.add_all([hidden, public])
    db.flush()

    assert [c["name"] for c in rep.get("/contacts").get_json()["items"]] == ["Public"]
    assert rep.get(f"/contacts/{hidden.id}").status_code == 404
    assert rep.patch(f"/contacts/{hidden.id}", json={"name": "Mine now"}).status_code == 404
    assert rep.patch(f"/contacts/{public.id}", json={"name": "Mine now"}).status_code == 403
    assert rep.post("/contacts", json={"customer_id": theirs.id, "name": "X"}).status_code == 404
    assert rep.post("/contacts", json={"customer_id": unowned.id, "name": "X"}).status_code == 403
    assert api_as(client, db, "warehouse").get("/contacts").status_code == 403
    finance = api_as(client, db, "finance")
    assert {c["name"] for c in finance.get("/contacts").get_json()["items"]} >= {"Hidden", "Public"}
    assert finance.post("/contacts", json={"customer_id": unowned.id, "name": "X"}).status_code == 403
    assert db.get(Contact, hidden.id).name == "Hidden"


# --------------------------------------------------------------------------- activities


def test_activities_are_listed_by_customer_lead_or_opportunity_within_the_reps_scope(client, db):
    rep = api_as(client, db, "sales_rep")
    other = make_user(db, "sales_rep")
    mine, theirs = customer_of(db, rep.user, "C-MINE"), customer_of(db, other, "C-THEIRS")
    opportunity = pipeline.create_opportunity(uow_for(db), {"customer_id": mine.id, "owner_id": rep.user.id,
                                                            "name": "Pumps"})
    pipeline.log_activity(uow_for(db, other), {"kind": "visit", "customer_id": theirs.id, "note": "not yours"})

    on_customer = rep.post("/activities", json={"kind": "call", "customer_id": mine.id, "note": "Called",
                                                "next_step": "Send catalogue"})
    on_deal = rep.post("/activities", json={"kind": "meeting", "opportunity_id": opportunity.id, "note": "Met"})

    assert on_customer.status_code == 201, on_customer.get_json()
    assert (on_customer.get_json()["customer_id"], on_customer.get_json()["user_id"]) == (mine.id, rep.user.id)
    assert on_deal.get_json()["customer_id"] == mine.id
    everything = rep.get("/activities").get_json()
    assert set(everything) == {"items", "total", "page", "per_page"}
    assert [a["note"] for a in everything["items"]] == ["Met", "Called"]  # newest first, never the other rep's
    assert [a["note"] for a in rep.get(f"/activities?opportunity_id={opportunity.id}").get_json()["items"]] == ["Met"]
    assert [a["note"] for a in rep.get("/activities?kind=call").get_json()["items"]] == ["Called"]
    assert rep.get(f"/activities?customer_id={theirs.id}").get_json()["total"] == 0
    manager = api_as(client, db, "management")
    assert manager.get(f"/activities?customer_id={theirs.id}").get_json()["total"] == 1


def test_bad_activity_input_or_another_reps_customer_is_refused_and_nothing_is_logged(client, db):
    rep = api_as(client, db, "sales_rep")
    other = make_user(db, "sales_rep")
    mine, theirs = customer_of(db, rep.user, "C-MINE"), customer_of(db, other, "C-THEIRS")
    before = count(db, Activity)

    both = rep.post("/activities", json={"kind": "call", "customer_id": mine.id, "opportunity_id": 1})
    assert both.status_code == 422 and "lead_id" in both.get_json()["error"]["fields"]
    assert rep.post("/activities", json={"kind": "call"}).status_code == 422
    assert rep.post("/activities", json={"kind": "fax", "customer_id": mine.id}).status_code == 422
    assert rep.get("/activities?kind=fax").status_code == 422
    assert rep.post("/activities", json={"kind": "call", "customer_id": theirs.id}).status_code == 404
    assert rep.post("/activities", json={"kind": "call", "customer_id": 999999}).status_code == 404
    assert api_as(client, db, "finance").post("/activities", json={"kind": "call", "customer_id": mine.id}
                                              ).status_code == 403
    assert count(db, Activity) == before
