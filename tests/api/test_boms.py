"""BOMs through the API: one active per product, cycles refused with 422."""

from __future__ import annotations

from tests.conftest import api_as


def products(api, *specs):
    ids = []
    for sku, kind in specs:
        answer = api.post("/products", json={"sku": sku, "name": sku, "kind": kind})
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["id"])
    return ids


def test_a_bom_that_would_make_a_product_out_of_itself_is_refused(client, db):
    production = api_as(client, db, "production")
    pump, housing, casting = products(production, ("PUMP", "make"), ("HOUSING", "make"), ("CASTING", "make"))
    assert production.post("/boms", json={"product_id": pump, "lines": [{"component_id": housing, "qty": 1}]}
                           ).status_code == 201
    assert production.post("/boms", json={"product_id": housing, "lines": [{"component_id": casting, "qty": 1}]}
                           ).status_code == 201

    refused = production.post("/boms", json={"product_id": casting, "lines": [{"component_id": pump, "qty": 1}]})

    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "lines": ["This BOM would make CASTING out of itself: CASTING -> PUMP -> HOUSING -> CASTING."]}
    itself = production.post("/boms", json={"product_id": pump, "lines": [{"component_id": pump, "qty": 1}]})
    assert itself.status_code == 422
    assert production.get(f"/boms?product_id={casting}").get_json()["total"] == 0


def test_a_new_bom_replaces_the_active_one_and_keeps_four_decimals(client, db):
    production = api_as(client, db, "production")
    pump, steel = products(production, ("PUMP", "make"), ("STEEL", "buy"))
    first = production.post("/boms", json={"product_id": pump, "lines": [{"component_id": steel, "qty": "1.5"}]})
    second = production.post("/boms", json={"product_id": pump, "output_qty": "2",
                                            "lines": [{"component_id": steel, "qty": "0.1234"}]})
    assert second.status_code == 201
    assert second.get_json()["lines"][0]["qty"] == "0.1234"
    assert second.get_json()["output_qty"] == "2.0000"
    active = production.get(f"/boms?product_id={pump}&active=true").get_json()
    assert [b["id"] for b in active["items"]] == [second.get_json()["id"]]
    assert production.get(f"/boms/{first.get_json()['id']}").get_json()["active"] is False


def test_bad_bom_input_names_each_field(client, db):
    production = api_as(client, db, "production")
    pump, steel = products(production, ("PUMP", "make"), ("STEEL", "buy"))
    answer = production.post("/boms", json={"product_id": pump, "lines": [
        {"component_id": steel, "qty": "0"}, {"component_id": steel, "qty": "1.23456"}]})
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]["lines"]
    assert fields["0"]["qty"] == ["Must be greater than 0."]
    assert fields["1"]["qty"] == ["Use at most 4 decimal places."]
    bought = production.post("/boms", json={"product_id": steel, "lines": [{"component_id": pump, "qty": 1}]})
    assert bought.status_code == 422 and "product_id" in bought.get_json()["error"]["fields"]
    unknown = production.post("/boms", json={"product_id": pump, "lines": [{"component_id": 999999, "qty": 1}]})
    assert unknown.get_json()["error"]["fields"] == {"lines": {"0": {"component_id": ["No product with id 999999."]}}}
