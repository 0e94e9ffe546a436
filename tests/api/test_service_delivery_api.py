"""The explicit "delivered" act through the REST API: an order of services only is marked delivered,
becomes shipped and is billable; an order with goods still to ship is refused (409), and so is a role
that may not mark orders delivered."""

from __future__ import annotations

from decimal import Decimal

from core import services as core_services
from tests.conftest import api_as, ok, uow_for
from tests.finance.builders import build_books

D = Decimal


def setting(client, db):
    rep = api_as(client, db, "sales_rep")
    uow = uow_for(db)
    books = build_books(uow, prefix="SA", owner_id=rep.user.id)
    install = core_services.create_product(uow, {"sku": "SAINSTALL", "name": "Commissioning", "kind": "service",
                                                 "list_price": D("800"), "tax_rate": D("0.06")}).id
    return rep, books, install


def confirmed(rep, customer_id, lines):
    created = ok(rep.post("/sales-orders", json={"customer_id": customer_id, "requested_date": "2026-12-31",
                                                 "lines": [{"product_id": p, "qty": q} for p, q in lines]}), 201)
    return ok(rep.post(f"/sales-orders/{created['id']}/confirm"))


def test_a_service_only_order_is_marked_delivered_and_invoiced_through_the_api(client, db):
    rep, books, install = setting(client, db)
    order = confirmed(rep, books.customer_id, [(install, "1")])
    finance = api_as(client, db, "finance")
    assert ok(finance.post("/invoices", json={"sales_order_id": order["id"]}), 409)["error"]["code"] == \
        "nothing_to_invoice"
    assert ok(api_as(client, db, "warehouse").post(f"/sales-orders/{order['id']}/deliver"), 403)

    delivered = ok(rep.post(f"/sales-orders/{order['id']}/deliver"))

    assert (delivered["state"], delivered["shipment_status"]) == ("shipped", "shipped")
    detail = ok(rep.get(f"/sales-orders/{order['id']}"))
    assert [(line["shipped_qty"], line["to_come_qty"], line["expected_date"]) for line in detail["lines"]] == [
        ("1.0000", "0.0000", None)]
    invoice = ok(finance.post("/invoices", json={"sales_order_id": order["id"], "post": True}), 201)
    assert invoice["total"] == "848.00"
    again = ok(rep.post(f"/sales-orders/{order['id']}/deliver"), 409)["error"]
    assert again["code"] == "invalid_transition"


def test_an_order_with_goods_to_ship_is_not_marked_delivered_by_hand(client, db):
    rep, books, install = setting(client, db)
    order = confirmed(rep, books.customer_id, [(books.a, "2"), (install, "1")])

    refused = ok(rep.post(f"/sales-orders/{order['id']}/deliver"), 409)["error"]

    assert refused["code"] == "goods_not_shipped"
    assert "still has goods to ship (SAA)" in refused["message"] and refused["details"]["unshipped"] == ["SAA"]
    detail = ok(rep.get(f"/sales-orders/{order['id']}"))
    assert detail["state"] == "confirmed" and {line["shipped_qty"] for line in detail["lines"]} == {"0.0000"}


def test_the_delivered_act_is_described_in_the_openapi_document(client, db):
    spec = ok(client.get("/api/v1/openapi.json"))
    post = spec["paths"]["/api/v1/sales-orders/{order_id}/deliver"]["post"]
    assert {"200", "403", "409"} <= set(post["responses"])
    assert "services" in post["summary"] + post.get("description", "")
