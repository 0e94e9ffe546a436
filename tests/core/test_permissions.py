"""The whole role x action matrix of the master data, walked through the API,
and the data scope of sales users."""

import itertools

import pytest

from core.models import Role
from tests.conftest import api_as, make_user

ALL = {r.value for r in Role}
# Expected rights, written from the roles table of the design (not read from the code).
EXPECTED = {
    ("customer", "read"): {"sales_rep", "sales_manager", "finance", "management", "admin"},
    ("customer", "create"): {"sales_rep", "sales_manager", "admin"},
    ("customer", "update"): {"sales_rep", "sales_manager", "admin"},
    ("customer_credit", "update"): {"finance", "admin"},
    ("product", "read"): ALL,
    ("product", "create"): {"purchasing", "production", "admin"},
    ("product", "update"): {"purchasing", "production", "admin"},
    ("supplier", "read"): {"purchasing", "production", "finance", "warehouse", "management", "admin"},
    ("supplier", "create"): {"purchasing", "admin"},
    ("supplier", "update"): {"purchasing", "admin"},
    ("warehouse", "read"): ALL,
    ("warehouse", "create"): {"admin"},
    ("audit", "read"): {"management", "admin"},
}
_seq = itertools.count()


def _attempt(api, admin, resource: str, action: str):
    n = next(_seq)
    me = api.user
    if resource == "customer":
        if action == "read":
            return api.get("/customers")
        if action == "create":
            return api.post("/customers", json={"code": f"M{n}", "name": "Matrix"})
        owner = me.id if me.role in ("sales_rep", "sales_manager") else None
        target = admin.post("/customers", json={"code": f"M{n}", "name": "Matrix", "owner_id": owner}).get_json()
        return api.patch(f"/customers/{target['id']}", json={"name": "Renamed"})
    if resource == "customer_credit":
        owner = me.id if me.role in ("sales_rep", "sales_manager") else None
        target = admin.post("/customers", json={"code": f"M{n}", "name": "Matrix", "owner_id": owner}).get_json()
        return api.patch(f"/customers/{target['id']}", json={"credit_limit": "5000"})
    if resource == "audit":
        return api.get("/audit-log")
    plural = {"product": "/products", "supplier": "/suppliers", "warehouse": "/warehouses"}[resource]
    body = {"product": {"sku": f"M{n}", "name": "Matrix", "kind": "buy"},
            "supplier": {"code": f"M{n}", "name": "Matrix"},
            "warehouse": {"code": f"M{n}", "name": "Matrix"}}[resource]
    if action == "read":
        return api.get(plural)
    if action == "create":
        return api.post(plural, json=body)
    target = admin.post(plural, json=body).get_json()
    return api.patch(f"{plural}/{target['id']}", json={"name": "Renamed"})


@pytest.mark.parametrize("role", sorted(ALL))
def test_each_role_may_do_exactly_what_the_design_allows(client, db, role):
    admin = api_as(client, db, "admin")
    api = api_as(client, db, role, team="east")
    for (resource, action), allowed in EXPECTED.items():
        answer = _attempt(api, admin, resource, action)
        if role in allowed:
            assert answer.status_code in (200, 201), (resource, action, answer.get_json())
        else:
            assert answer.status_code == 403, (resource, action, answer.status_code)
            assert answer.get_json()["error"]["code"] == "forbidden"


def test_a_sales_rep_sees_own_and_pool_customers_and_edits_only_own(client, db):
    admin = api_as(client, db, "admin")
    rep = api_as(client, db, "sales_rep")
    other = make_user(db, "sales_rep")
    mine = rep.post("/customers", json={"code": "MINE", "name": "Mine"}).get_json()
    assert mine["owner_id"] == rep.user.id
    pool = admin.post("/customers", json={"code": "POOL", "name": "Pool"}).get_json()
    theirs = admin.post("/customers", json={"code": "THEIRS", "name": "Theirs", "owner_id": other.id}).get_json()

    listed = {c["code"] for c in rep.get("/customers").get_json()["items"]}
    assert listed == {"MINE", "POOL"}
    assert rep.get(f"/customers/{theirs['id']}").status_code == 404
    assert rep.patch(f"/customers/{theirs['id']}", json={"name": "x"}).status_code == 404
    assert rep.patch(f"/customers/{pool['id']}", json={"name": "x"}).status_code == 403
    assert rep.patch(f"/customers/{mine['id']}", json={"name": "Still mine"}).status_code == 200
    handover = rep.patch(f"/customers/{mine['id']}", json={"owner_id": other.id})
    assert handover.status_code == 403
    assert admin.get(f"/customers/{mine['id']}").get_json()["owner_id"] == rep.user.id


def test_a_sales_manager_sees_and_edits_the_teams_customers_only(client, db):
    admin = api_as(client, db, "admin")
    manager = api_as(client, db, "sales_manager", team="east")
    teammate = make_user(db, "sales_rep", team="east")
    outsider = make_user(db, "sales_rep", team="north")
    team_customer = admin.post("/customers", json={"code": "TEAM", "name": "T", "owner_id": teammate.id}).get_json()
    foreign = admin.post("/customers", json={"code": "FOREIGN", "name": "F", "owner_id": outsider.id}).get_json()
    assert {c["code"] for c in manager.get("/customers").get_json()["items"]} == {"TEAM"}
    assert manager.patch(f"/customers/{team_customer['id']}", json={"region": "East"}).status_code == 200
    assert manager.get(f"/customers/{foreign['id']}").status_code == 404


def test_credit_limits_are_set_by_finance_and_finance_changes_nothing_else(client, db):
    admin = api_as(client, db, "admin")
    finance = api_as(client, db, "finance")
    rep = api_as(client, db, "sales_rep")
    customer = rep.post("/customers", json={"code": "CR", "name": "Credit"}).get_json()
    assert rep.patch(f"/customers/{customer['id']}", json={"credit_limit": "1"}).status_code == 403
    assert rep.post("/customers", json={"code": "CR2", "name": "x", "credit_hold": True}).status_code == 403
    held = finance.patch(f"/customers/{customer['id']}", json={"credit_limit": "50000", "credit_hold": True})
    assert held.status_code == 200
    assert held.get_json()["credit_limit"] == "50000.00" and held.get_json()["credit_hold"] is True
    assert finance.patch(f"/customers/{customer['id']}", json={"name": "Renamed"}).status_code == 403
    assert admin.get(f"/customers/{customer['id']}").get_json()["name"] == "Credit"


def test_management_reads_everything_and_writes_nothing(client, db):
    admin = api_as(client, db, "admin")
    boss = api_as(client, db, "management")
    rep = make_user(db, "sales_rep")
    admin.post("/customers", json={"code": "OWNED", "name": "Owned", "owner_id": rep.id})
    assert {c["code"] for c in boss.get("/customers").get_json()["items"]} >= {"OWNED"}
    for path, body in [("/customers", {"code": "B1", "name": "b"}), ("/products", {"sku": "B1", "name": "b", "kind": "buy"}),
                       ("/suppliers", {"code": "B1", "name": "b"}), ("/warehouses", {"code": "B1", "name": "b"})]:
        assert boss.post(path, json=body).status_code == 403
