"""Stock through the API: adjustments, balances, the ledger, reservations."""

from __future__ import annotations

from tests.conftest import api_as


def test_adjustments_move_the_balance_and_cannot_take_reserved_stock(client, db):
    admin = api_as(client, db, "admin")
    product = admin.post("/products", json={"sku": "BOLT", "name": "Bolt", "kind": "buy"}).get_json()["id"]
    warehouse = api_as(client, db, "warehouse")

    added = warehouse.post("/stock/adjustments", json={"product_id": product, "qty": "10.5", "reason": "count"})
    taken = warehouse.post("/stock/adjustments", json={"product_id": product, "qty": -3, "reason": "damaged"})

    assert added.status_code == taken.status_code == 201
    assert taken.get_json()["qty"] == "-3.0000"
    stock = warehouse.get(f"/stock?product_id={product}").get_json()
    assert stock["items"] == [{"product_id": product, "warehouse_id": stock["items"][0]["warehouse_id"],
                               "on_hand": "7.5000", "reserved": "0.0000", "available": "7.5000"}]
    assert warehouse.get(f"/stock/moves?product_id={product}").get_json()["total"] == 2
    too_much = warehouse.post("/stock/adjustments", json={"product_id": product, "qty": "-8", "reason": "lost"})
    assert too_much.status_code == 409 and too_much.get_json()["error"]["code"] == "insufficient_stock"
    assert warehouse.get(f"/stock?product_id={product}").get_json()["items"][0]["on_hand"] == "7.5000"


def test_bad_adjustments_name_each_field(client, db):
    warehouse = api_as(client, db, "warehouse")
    answer = warehouse.post("/stock/adjustments", json={"product_id": 999999, "qty": "abc", "reason": ""})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"qty", "reason"}
    unknown = warehouse.post("/stock/adjustments", json={"product_id": 999999, "qty": "1", "reason": "x"})
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["fields"] == {"product_id": ["No product with id 999999."]}
    zero = warehouse.post("/stock/adjustments", json={"product_id": 1, "qty": "0", "reason": "x"})
    assert zero.get_json()["error"]["fields"]["qty"] == ["An adjustment cannot be zero."]
