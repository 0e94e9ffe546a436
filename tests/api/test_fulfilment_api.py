"""Fulfilment through the REST API: purchase orders from plans, receipts, work order execution,
shipments and the order's progress; shapes (decimals as strings), refusals and roles."""

from __future__ import annotations

from datetime import date, timedelta

from tests.api.test_sales_orders import build_through_the_api, order
from tests.conftest import api_as, ok


def confirmed_pump_order(client, db, qty=10):
    admin, rep, p, s, customer = build_through_the_api(client, db)
    sales_order = order(rep, customer, p["PUMP"], qty)
    ok(rep.post(f"/sales-orders/{sales_order['id']}/confirm"))
    return admin, rep, p, s, sales_order


def test_purchasing_orders_the_plans_and_the_warehouse_receives_them(client, db):
    admin, _rep, p, s, sales_order = confirmed_pump_order(client, db)
    buyer = api_as(client, db, "purchasing")
    warehouse = api_as(client, db, "warehouse")
    price = ok(buyer.post("/supplier-prices", json={"supplier_id": s["S2"], "product_id": p["STEEL"],
                                                    "price": 50, "min_qty": "20", "lead_time_days": 3}))
    assert (price["price"], price["min_qty"], price["lead_time_days"]) == ("50.0000", "20.0000", 3)
    assert warehouse.post("/purchase-orders/from-plans", json={}).status_code == 403

    made = ok(buyer.post("/purchase-orders/from-plans", json={}), 201)["items"]
    by_supplier = {po["supplier_id"]: po for po in made}
    steel = by_supplier[s["S2"]]
    assert steel["state"] == "draft" and steel["number"].startswith("PO-")
    assert [(li["qty"], li["unit_price"], li["qty_received"]) for li in steel["lines"]] == [
        ("20.0000", "50.0000", "0.0000")]  # 14 needed, raised to the supplier's minimum
    assert steel["total"] == "1000.00"
    plans = ok(buyer.get(f"/purchase-plans?sales_order_id={sales_order['id']}"))["items"]
    assert {pl["state"] for pl in plans} == {"ordered"}

    assert ok(buyer.post("/purchase-orders/from-plans", json={}), 409)["error"]["code"] == "nothing_to_order"
    assert warehouse.post(f"/purchase-orders/{steel['id']}/confirm").status_code == 403
    draft_receipt = warehouse.post(f"/purchase-orders/{steel['id']}/receive",
                                   json={"lines": [{"product_id": p["STEEL"], "qty": "1"}]})
    assert draft_receipt.status_code == 409
    ok(buyer.post(f"/purchase-orders/{steel['id']}/confirm"))

    over = warehouse.post(f"/purchase-orders/{steel['id']}/receive",
                          json={"lines": [{"product_id": p["STEEL"], "qty": "20.5"}]})
    assert over.status_code == 409
    assert over.get_json()["error"]["code"] == "over_receipt"
    assert "0" in over.get_json()["error"]["fields"]["lines"]
    unknown = warehouse.post(f"/purchase-orders/{steel['id']}/receive",
                             json={"lines": [{"product_id": p["MOTOR"], "qty": "1"}, {"product_id": p["STEEL"],
                                                                                     "qty": "-1"}]})
    assert unknown.status_code == 422
    assert set(unknown.get_json()["error"]["fields"]["lines"]) == {"1"}

    received = ok(warehouse.post(f"/purchase-orders/{steel['id']}/receive",
                                 json={"lines": [{"product_id": p["STEEL"], "qty": "14"}]}))
    assert received["state"] == "partially_received" and received["lines"][0]["qty_received"] == "14.0000"
    housing_wo = [wo for wo in ok(admin.get(f"/work-orders?sales_order_id={sales_order['id']}"))["items"]
                  if wo["parent_work_order_id"] is not None][0]
    steel_component = [c for c in housing_wo["components"] if c["product_id"] == p["STEEL"]][0]
    assert steel_component["qty_reserved"] == "14.0000"
    moves = ok(warehouse.get(f"/stock/moves?product_id={p['STEEL']}"))["items"]
    assert (moves[0]["kind"], moves[0]["qty"], moves[0]["unit_cost"]) == ("receipt", "14.0000", "50.0000")


def test_production_releases_starts_and_completes_and_the_warehouse_ships(client, db):
    admin, rep, p, s, sales_order = confirmed_pump_order(client, db, qty=3)
    producer = api_as(client, db, "production")
    warehouse = api_as(client, db, "warehouse")
    # PUMP 2 in stock; one pump to make from MOTOR (3 in stock), HOUSING (1) and BOLT: all reserved
    (pump_wo,) = ok(admin.get(f"/work-orders?sales_order_id={sales_order['id']}"))["items"]
    assert rep.post(f"/work-orders/{pump_wo['id']}/release", json={}).status_code == 403
    released = ok(producer.post(f"/work-orders/{pump_wo['id']}/release", json={}))
    assert released["state"] == "released"
    started = ok(producer.post(f"/work-orders/{pump_wo['id']}/start"))
    assert started["state"] == "in_progress"
    assert {c["qty_issued"] for c in started["components"]} == {"1.0000", "4.0000"}
    assert producer.post(f"/work-orders/{pump_wo['id']}/cancel").status_code == 409
    too_many = producer.post(f"/work-orders/{pump_wo['id']}/complete", json={"qty": "2"})
    assert too_many.status_code == 409 and too_many.get_json()["error"]["code"] == "over_completion"
    assert producer.post(f"/work-orders/{pump_wo['id']}/complete", json={"qty": "0"}).status_code == 422
    done = ok(producer.post(f"/work-orders/{pump_wo['id']}/complete", json={"qty": "1"}))
    assert (done["state"], done["qty_done"]) == ("done", "1.0000")

    progress = ok(rep.get(f"/sales-orders/{sales_order['id']}"))
    line = progress["lines"][0]
    assert (line["qty"], line["reserved_qty"], line["shipped_qty"], line["to_come_qty"], line["expected_date"]) == (
        "3.0000", "3.0000", "0.0000", "0.0000", None)

    assert rep.post("/shipments", json={"sales_order_id": sales_order["id"]}).status_code == 403
    too_much = warehouse.post("/shipments", json={"sales_order_id": sales_order["id"],
                                                  "lines": [{"product_id": p["PUMP"], "qty": "4"}]})
    assert too_much.status_code == 422 and too_much.get_json()["error"]["fields"]["lines"]["0"]["qty"]
    shipment = ok(warehouse.post("/shipments", json={"sales_order_id": sales_order["id"],
                                                     "lines": [{"product_id": p["PUMP"], "qty": "2"}]}), 201)
    assert shipment["number"].startswith("SH-") and shipment["state"] == "draft"
    assert [li["qty"] for li in shipment["lines"]] == ["2.0000"]
    shipped = ok(warehouse.post(f"/shipments/{shipment['id']}/ship"))
    assert shipped["state"] == "shipped"
    assert warehouse.post(f"/shipments/{shipment['id']}/ship").status_code == 409

    progress = ok(rep.get(f"/sales-orders/{sales_order['id']}"))
    assert (progress["state"], progress["shipment_status"]) == ("partially_shipped", "partial")
    assert (progress["lines"][0]["shipped_qty"], progress["lines"][0]["reserved_qty"]) == ("2.0000", "1.0000")
    backorders = ok(warehouse.get(f"/shipments?sales_order_id={sales_order['id']}&state=draft"))["items"]
    assert [(b["backorder_of_id"], [li["qty"] for li in b["lines"]]) for b in backorders] == [
        (shipment["id"], ["1.0000"])]
    ok(warehouse.post(f"/shipments/{backorders[0]['id']}/ship"))
    progress = ok(rep.get(f"/sales-orders/{sales_order['id']}"))
    assert (progress["state"], progress["shipment_status"], progress["lines"][0]["shipped_qty"]) == (
        "shipped", "shipped", "3.0000")


def test_a_waiting_order_line_shows_when_its_supply_is_expected(client, db):
    _admin, rep, p, _s, sales_order = confirmed_pump_order(client, db, qty=10)
    line = ok(rep.get(f"/sales-orders/{sales_order['id']}"))["lines"][0]
    # 2 pumps reserved from stock, 8 to come from the pump work order due on the requested date
    assert (line["reserved_qty"], line["to_come_qty"], line["expected_date"]) == ("2.0000", "8.0000", "2026-12-31")


def test_releasing_without_reserved_components_needs_the_managers_override(client, db):
    admin, _rep, _p, _s, sales_order = confirmed_pump_order(client, db, qty=10)
    producer = api_as(client, db, "production")
    pump_wo = [wo for wo in ok(admin.get(f"/work-orders?sales_order_id={sales_order['id']}"))["items"]
               if wo["parent_work_order_id"] is None][0]
    refused = producer.post(f"/work-orders/{pump_wo['id']}/release", json={})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "components_not_reserved"
    not_manager = producer.post(f"/work-orders/{pump_wo['id']}/release", json={"override_reason": "urgent"})
    assert not_manager.status_code == 403
    released = ok(admin.post(f"/work-orders/{pump_wo['id']}/release", json={"override_reason": "urgent"}))
    assert (released["state"], released["release_override"]) == ("released", "urgent")
    assert producer.post(f"/work-orders/{pump_wo['id']}/start").status_code == 409


def test_ordering_from_plans_twice_with_one_idempotency_key_creates_the_orders_once(client, db):
    _admin, _rep, _p, _s, _sales_order = confirmed_pump_order(client, db)
    buyer = api_as(client, db, "purchasing")
    headers = {"Idempotency-Key": "plans-2026-12-01"}
    first = ok(buyer.post("/purchase-orders/from-plans", json={}, headers=headers), 201)
    again = ok(buyer.post("/purchase-orders/from-plans", json={}, headers=headers), 201)
    assert again == first
    listed = ok(buyer.get("/purchase-orders"))
    assert listed["total"] == 2 and {po["state"] for po in listed["items"]} == {"draft"}
    assert {po["number"] for po in listed["items"]} == {po["number"] for po in first["items"]}


def test_a_line_bought_for_the_order_shows_the_purchase_order_date(client, db):
    admin, rep, p, s, customer = build_through_the_api(client, db)
    buyer = api_as(client, db, "purchasing")
    ok(buyer.post("/supplier-prices", json={"supplier_id": s["S1"], "product_id": p["MOTOR"], "price": "800",
                                            "lead_time_days": 6}))
    sales_order = order(rep, customer, p["MOTOR"], 5)  # 3 in stock, 2 to buy
    ok(rep.post(f"/sales-orders/{sales_order['id']}/confirm"))
    planned = ok(rep.get(f"/sales-orders/{sales_order['id']}"))["lines"][0]
    assert (planned["reserved_qty"], planned["to_come_qty"], planned["expected_date"]) == (
        "3.0000", "2.0000", "2026-12-31")  # not ordered yet: the plan's need-by date
    (po,) = ok(buyer.post("/purchase-orders/from-plans", json={}), 201)["items"]
    line = ok(rep.get(f"/sales-orders/{sales_order['id']}"))["lines"][0]
    assert line["expected_date"] == po["lines"][0]["expected_date"]
    assert po["lines"][0]["expected_date"] == (date.fromisoformat(po["order_date"]) + timedelta(days=6)).isoformat()
    assert rep.get("/purchase-orders").status_code == 403
    assert rep.get("/supplier-prices").status_code == 403
