"""The worked example of issue 3 through the REST API, and the API's refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import NumberSequence
from tests.conftest import api_as

REQUESTED = "2026-12-31"


def build_through_the_api(client, db):
    admin = api_as(client, db, "admin")
    rep = api_as(client, db, "sales_rep")

    def created(path, body):
        answer = admin.post(path, json=body)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    s1 = created("/suppliers", {"code": "S1", "name": "Supplier 1"})
    s2 = created("/suppliers", {"code": "S2", "name": "Supplier 2"})
    p = {}
    for sku, kind, price, lead, supplier in [
        ("PUMP", "make", "5000", 3, None), ("HOUSING", "make", "0", 2, None), ("MOTOR", "buy", "0", 10, s1),
        ("BOLT", "buy", "0", 5, s2), ("STEEL", "buy", "0", 7, s2), ("GASKET", "buy", "0", 4, s1),
    ]:
        p[sku] = created("/products", {"sku": sku, "name": sku.title(), "kind": kind, "list_price": price,
                                       "lead_time_days": lead, "default_supplier_id": supplier})
    created("/boms", {"product_id": p["HOUSING"], "lines": [{"component_id": p["STEEL"], "qty": "2"},
                                                           {"component_id": p["GASKET"], "qty": 1}]})
    created("/boms", {"product_id": p["PUMP"], "lines": [{"component_id": p["MOTOR"], "qty": "1"},
                                                        {"component_id": p["HOUSING"], "qty": "1"},
                                                        {"component_id": p["BOLT"], "qty": "4.0000"}]})
    warehouse = api_as(client, db, "warehouse")
    for sku, qty in {"PUMP": 2, "MOTOR": 3, "HOUSING": 1, "BOLT": 100, "GASKET": 10}.items():
        answer = warehouse.post("/stock/adjustments", json={"product_id": p[sku], "qty": str(qty),
                                                            "reason": "opening stock"})
        assert answer.status_code == 201, answer.get_json()
    customer = created("/customers", {"code": "CUST", "name": "Water Works", "credit_limit": "100000",
                                      "owner_id": rep.user.id})
    return admin, rep, p, {"S1": s1, "S2": s2}, customer


def order(rep, customer, product, qty):
    answer = rep.post("/sales-orders", json={"customer_id": customer, "requested_date": REQUESTED,
                                             "lines": [{"product_id": product, "qty": qty}]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def by_sku(items, p, key="qty"):
    names = {v: k for k, v in p.items()}
    found: dict[str, str] = {}
    for item in items:
        found[names[item["product_id"]]] = item[key]
    return found


def test_the_worked_example_through_the_api(client, db):
    admin, rep, p, suppliers, customer = build_through_the_api(client, db)

    first = order(rep, customer, p["PUMP"], 10)
    assert (first["state"], first["untaxed"], first["tax"], first["total"]) == (
        "draft", "50000.00", "6500.00", "56500.00")
    assert first["number"].startswith("SO-")
    confirmed = rep.post(f"/sales-orders/{first['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["state"] == "confirmed"
    assert confirmed.get_json()["lines"][0]["reserved_qty"] == "2.0000"

    locks = admin.get(f"/stock/reservations?sales_order_id={first['id']}&state=active").get_json()
    assert by_sku(locks["items"], p) == {"PUMP": "2.0000", "MOTOR": "3.0000", "HOUSING": "1.0000",
                                         "BOLT": "32.0000", "GASKET": "7.0000"}
    wos = admin.get(f"/work-orders?sales_order_id={first['id']}").get_json()
    assert wos["total"] == 2
    pump_wo, housing_wo = wos["items"]
    assert (pump_wo["qty"], pump_wo["due_date"], pump_wo["start_date"], pump_wo["parent_work_order_id"]) == (
        "8.0000", "2026-12-31", "2026-12-28", None)
    assert (housing_wo["qty"], housing_wo["due_date"], housing_wo["start_date"]) == (
        "7.0000", "2026-12-28", "2026-12-26")
    assert housing_wo["parent_work_order_id"] == pump_wo["id"]
    plans = admin.get(f"/purchase-plans?sales_order_id={first['id']}").get_json()["items"]
    assert [(pl["qty"], pl["need_by"], pl["order_by"], pl["supplier_id"]) for pl in plans] == [
        ("5.0000", "2026-12-28", "2026-12-18", suppliers["S1"]),
        ("14.0000", "2026-12-26", "2026-12-19", suppliers["S2"])]

    second = order(rep, customer, p["PUMP"], 5)
    assert second["total"] == "28250.00"
    assert rep.post(f"/sales-orders/{second['id']}/confirm").status_code == 200
    credit = rep.get(f"/customers/{customer}/credit").get_json()
    assert (credit["exposure"], credit["available_credit"]) == ("84750.00", "15250.00")
    locks = admin.get(f"/stock/reservations?sales_order_id={second['id']}").get_json()
    assert by_sku(locks["items"], p) == {"BOLT": "20.0000", "GASKET": "3.0000"}
    plans = admin.get(f"/purchase-plans?sales_order_id={second['id']}").get_json()["items"]
    assert by_sku(plans, p) == {"MOTOR": "5.0000", "STEEL": "10.0000", "GASKET": "2.0000"}

    third = order(rep, customer, p["PUMP"], 3)
    counts_before = _counts(admin, db, third)
    refused = rep.post(f"/sales-orders/{third['id']}/confirm")
    assert refused.status_code == 409
    assert refused.get_json() == {"error": {
        "code": "credit_limit_exceeded",
        "message": "Credit limit exceeded: exposure 84750.00 plus this order 16950.00 is over the limit "
                   "100000.00 by 1700.00.",
        "fields": {},
        "details": {"customer_id": customer, "credit_limit": "100000.00", "exposure": "84750.00",
                    "receivable": "0.00", "unbilled": "84750.00", "order_total": "16950.00",
                    "available_credit": "15250.00", "shortfall": "1700.00"}}}
    assert _counts(admin, db, third) == counts_before
    assert rep.get(f"/sales-orders/{third['id']}").get_json()["state"] == "draft"

    approved = api_as(client, db, "finance").post(f"/sales-orders/{third['id']}/credit-approval",
                                                  json={"reason": "Framework contract signed"})
    assert approved.status_code == 201, approved.get_json()
    assert approved.get_json()["approved_total"] == "16950.00"
    assert rep.post(f"/sales-orders/{third['id']}/confirm").get_json()["state"] == "confirmed"

    cancelled = rep.post(f"/sales-orders/{first['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["lines"][0]["reserved_qty"] == "0.0000"
    assert admin.get(f"/stock/reservations?sales_order_id={first['id']}&state=active").get_json()["total"] == 0
    states = {w["state"] for w in admin.get(f"/work-orders?sales_order_id={first['id']}").get_json()["items"]}
    assert states == {"cancelled"}


def _counts(api, db, order) -> tuple:
    stock = api.get("/stock?per_page=200").get_json()["items"]
    return (
        api.get("/stock/reservations").get_json()["total"], api.get("/work-orders").get_json()["total"],
        api.get("/purchase-plans").get_json()["total"], api.get("/audit-log?per_page=1").get_json()["total"],
        [(s["product_id"], s["on_hand"], s["reserved"]) for s in stock],
        db.scalar(select(func.sum(NumberSequence.last_value))),
    )


def test_an_idempotency_key_creates_the_order_once(client, db):
    _admin, rep, p, _suppliers, customer = build_through_the_api(client, db)
    body = {"customer_id": customer, "lines": [{"product_id": p["PUMP"], "qty": "1"}]}
    first = rep.post("/sales-orders", json=body, headers={"Idempotency-Key": "k-1"})
    again = rep.post("/sales-orders", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert rep.get("/sales-orders").get_json()["total"] == 1


def test_bad_order_input_names_each_field(client, db):
    _admin, rep, p, _suppliers, customer = build_through_the_api(client, db)
    answer = rep.post("/sales-orders", json={"customer_id": customer, "lines": [
        {"product_id": p["PUMP"], "qty": "-1"}, {"product_id": p["PUMP"], "qty": "1,2,x"},
        {"product_id": p["PUMP"], "qty": "1", "discount": "1.5"}]})
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]["lines"]
    assert fields["0"]["qty"] == ["Must be greater than 0."]
    assert fields["1"]["qty"] == ["Not a valid number."]
    assert "discount" in fields["2"]

    unknown = rep.post("/sales-orders", json={"customer_id": customer, "lines": [{"product_id": 999999, "qty": 1}]})
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["fields"] == {"lines": {"0": {"product_id": ["No product with id 999999."]}}}

    nobody = rep.post("/sales-orders", json={"customer_id": 999999, "lines": [{"product_id": p["PUMP"], "qty": 1}]})
    assert nobody.get_json()["error"]["fields"] == {"customer_id": ["No customer with id 999999."]}
    assert rep.get("/sales-orders").get_json()["total"] == 0


def test_roles_and_data_scope_are_enforced(client, db):
    admin, rep, p, _suppliers, customer = build_through_the_api(client, db)
    mine = order(rep, customer, p["PUMP"], 1)
    other_rep = api_as(client, db, "sales_rep")
    assert other_rep.get(f"/sales-orders/{mine['id']}").status_code == 404
    assert other_rep.post(f"/sales-orders/{mine['id']}/confirm").status_code == 404
    assert other_rep.get("/sales-orders").get_json()["total"] == 0
    forbidden = other_rep.post("/sales-orders", json={"customer_id": customer,
                                                      "lines": [{"product_id": p["PUMP"], "qty": 1}]})
    assert forbidden.status_code == 422  # another rep's customer is not even visible
    pool = admin.post("/customers", json={"code": "POOL", "name": "Unowned"}).get_json()["id"]
    not_mine = rep.post("/sales-orders", json={"customer_id": pool, "lines": [{"product_id": p["PUMP"], "qty": 1}]})
    assert not_mine.status_code == 403  # visible in the public pool, but not the rep's own
    assert api_as(client, db, "warehouse").post(f"/sales-orders/{mine['id']}/confirm").status_code == 403
    assert api_as(client, db, "finance").post(f"/sales-orders/{mine['id']}/confirm").status_code == 403
    assert api_as(client, db, "management").get(f"/sales-orders/{mine['id']}").status_code == 200
    assert rep.post(f"/sales-orders/{mine['id']}/credit-approval", json={"reason": "please"}).status_code == 403
    assert rep.get("/stock/reservations").status_code == 403
    assert rep.post("/stock/adjustments", json={"product_id": p["PUMP"], "qty": "1", "reason": "x"}).status_code == 403
    assert rep.post("/boms", json={"product_id": p["PUMP"], "lines": [{"component_id": p["BOLT"], "qty": 1}]}
                    ).status_code == 403
    assert client.get("/api/v1/sales-orders").status_code == 401


def test_a_confirmed_order_cannot_be_edited_or_confirmed_twice(client, db):
    _admin, rep, p, _suppliers, customer = build_through_the_api(client, db)
    draft = order(rep, customer, p["PUMP"], 1)
    changed = rep.patch(f"/sales-orders/{draft['id']}", json={"lines": [{"product_id": p["PUMP"], "qty": "2"}]})
    assert changed.status_code == 200 and changed.get_json()["total"] == "11300.00"
    assert rep.post(f"/sales-orders/{draft['id']}/confirm").status_code == 200
    again = rep.post(f"/sales-orders/{draft['id']}/confirm")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"
    edit = rep.patch(f"/sales-orders/{draft['id']}", json={"note": "late change"})
    assert edit.status_code == 409 and edit.get_json()["error"]["code"] == "not_editable"
