"""The quotes API: shape with decimals as strings, the approval refusal, acceptance into an order."""

from __future__ import annotations

from tests.conftest import api_as


def test_a_quote_over_the_discount_threshold_needs_the_managers_approval_before_it_becomes_an_order(client, db):
    admin = api_as(client, db, "admin")
    rep = api_as(client, db, "sales_rep", team="qa")
    manager = api_as(client, db, "sales_manager", team="qa")
    product = admin.post("/products", json={"sku": "QPUMP", "name": "Pump", "kind": "buy",
                                            "list_price": "2000"}).get_json()["id"]
    customer = admin.post("/customers", json={"code": "QAPI", "name": "Quote API Co",
                                              "owner_id": rep.user.id}).get_json()["id"]
    opportunity = rep.post("/opportunities", json={"customer_id": customer, "name": "Pumps"}).get_json()["id"]

    created = rep.post("/quotes", json={"opportunity_id": opportunity, "lines": [
        {"product_id": product, "qty": "5", "discount": "0.2"}]})

    assert created.status_code == 201, created.get_json()
    quote = created.get_json()
    assert (quote["state"], quote["version"], quote["untaxed"], quote["total"]) == ("draft", 1, "8000.00", "9040.00")
    assert quote["lines"][0]["unit_price"] == "2000.0000"
    qid = quote["id"]
    assert rep.post(f"/quotes/{qid}/submit").get_json()["state"] == "pending_approval"
    refused = rep.post(f"/quotes/{qid}/accept")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "approval_required"
    assert rep.post(f"/quotes/{qid}/approve").status_code == 403
    assert manager.post(f"/quotes/{qid}/approve").get_json()["state"] == "approved"
    accepted = rep.post(f"/quotes/{qid}/accept").get_json()
    order = rep.get(f"/sales-orders/{accepted['sales_order_id']}").get_json()
    assert (accepted["state"], order["state"], order["total"]) == ("accepted", "draft", "9040.00")
    assert rep.get(f"/quotes?opportunity_id={opportunity}").get_json()["total"] == 1
    assert api_as(client, db, "warehouse").get("/quotes").status_code == 403
