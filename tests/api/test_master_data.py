"""Master-data paths of the API contract: shapes, lists, bad input, ids and roles."""

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, Customer, Product, Supplier
from tests.conftest import api_as


def counts(db):
    return {m.__name__: db.scalar(select(func.count()).select_from(m))
            for m in (Customer, Product, Supplier, AuditEntry)}


def test_customer_list_is_paged_and_filtered_by_field(client, db):
    api = api_as(client, db, "admin")
    for n in range(3):
        api.post("/customers", json={"code": f"R{n}", "name": f"Region {n}", "region": "East" if n else "West"})
    answer = api.get("/customers?region=East&per_page=1&page=2").get_json()
    assert answer["total"] == 2 and answer["page"] == 2 and answer["per_page"] == 1
    assert [c["code"] for c in answer["items"]] == ["R2"]


def test_product_round_trip_keeps_decimals_exact_and_defaults_the_tax_rate(client, db):
    api = api_as(client, db, "admin")
    supplier = api.post("/suppliers", json={"code": "S1", "name": "Motor Works"}).get_json()
    created = api.post("/products", json={
        "sku": "MOTOR", "name": "Motor 3 kW", "kind": "buy", "list_price": 1234.5678,
        "standard_cost": "0.0001", "lead_time_days": 10, "default_supplier_id": supplier["id"],
        "min_order_qty": "2.5"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["list_price"] == "1234.5678"
    assert body["standard_cost"] == "0.0001"
    assert body["tax_rate"] == "0.1300"
    assert body["uom"] == "pcs"
    changed = api.patch(f"/products/{body['id']}", json={"list_price": "99.9"}).get_json()
    assert changed["list_price"] == "99.9000" and changed["sku"] == "MOTOR"


def test_a_default_warehouse_exists_and_warehouses_can_be_added(client, db):
    api = api_as(client, db, "admin")
    before = api.get("/warehouses").get_json()["items"]
    assert [w["code"] for w in before if w["is_default"]] == ["WH"]
    added = api.post("/warehouses", json={"code": "WH2", "name": "Second", "is_default": True})
    assert added.status_code == 201
    after = {w["code"]: w["is_default"] for w in api.get("/warehouses").get_json()["items"]}
    assert after == {"WH": False, "WH2": True}


@pytest.mark.parametrize("path,body,field", [
    ("/customers", {"code": "DUP", "name": "Second"}, "code"),
    ("/customers", {"code": "X1", "name": "Bad", "credit_limit": "12.3.4"}, "credit_limit"),
    ("/customers", {"code": "X2", "name": "Bad", "credit_limit": "-5"}, "credit_limit"),
    ("/customers", {"code": "X3", "name": "Bad", "owner_id": 999999}, "owner_id"),
    ("/customers", {"code": "X4", "name": "Bad", "payment_terms_days": "thirty"}, "payment_terms_days"),
    ("/customers", {"code": "X5"}, "name"),
    ("/customers", {"code": "X6", "name": "N" * 201}, "name"),
    ("/customers", {"code": "X7", "name": "Typo", "credt_limit": "5"}, "credt_limit"),
    ("/products", {"sku": "DUP", "name": "Again", "kind": "buy"}, "sku"),
    ("/products", {"sku": "P1", "name": "Bad", "kind": "buy", "list_price": "-1"}, "list_price"),
    ("/products", {"sku": "P2", "name": "Bad", "kind": "buy", "list_price": "1.23456"}, "list_price"),
    ("/products", {"sku": "P3", "name": "Bad", "kind": "rent"}, "kind"),
    ("/products", {"sku": "P4", "name": "Bad", "kind": "buy", "default_supplier_id": 424242}, "default_supplier_id"),
    ("/products", {"sku": "P5", "name": "Bad", "kind": "buy", "uom": "furlong"}, "uom"),
    ("/products", {"sku": "P6", "name": "Bad", "kind": "buy", "tax_rate": "1.5"}, "tax_rate"),
    ("/products", {"name": "No sku", "kind": "buy"}, "sku"),
    ("/suppliers", {"code": "DUP", "name": "Again"}, "code"),
    ("/suppliers", {"code": "S" * 41, "name": "Long"}, "code"),
])
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, db, path, body, field):
    api = api_as(client, db, "admin")
    api.post("/customers", json={"code": "DUP", "name": "First"})
    api.post("/products", json={"sku": "DUP", "name": "First", "kind": "buy"})
    api.post("/suppliers", json={"code": "DUP", "name": "First"})
    before = counts(db)
    answer = api.post(path, json=body)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert counts(db) == before


def test_a_wrong_type_in_a_patch_changes_nothing(client, db):
    api = api_as(client, db, "admin")
    customer = api.post("/customers", json={"code": "C1", "name": "One"}).get_json()
    answer = api.patch(f"/customers/{customer['id']}", json={"name": "Renamed", "credit_hold": "perhaps"})
    assert answer.status_code == 422 and "credit_hold" in answer.get_json()["error"]["fields"]
    assert api.get(f"/customers/{customer['id']}").get_json()["name"] == "One"


@pytest.mark.parametrize("path", ["/customers/987654", "/products/987654", "/suppliers/987654"])
def test_an_unknown_id_is_404_in_the_error_format(client, db, path):
    answer = api_as(client, db, "admin").get(path)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_calls_without_a_valid_token_are_401(client, db):
    assert client.get("/api/v1/customers").status_code == 401
    bad = client.get("/api/v1/customers", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"


def test_the_same_idempotency_key_returns_the_first_answer_and_creates_nothing_new(client, db):
    api = api_as(client, db, "admin")
    key = {"Idempotency-Key": "create-acme-1"}
    first = api.post("/customers", json={"code": "ACME", "name": "Acme"}, headers=key)
    again = api.post("/customers", json={"code": "ACME", "name": "Acme"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.code == "ACME")) == 1
    other_body = api.post("/customers", json={"code": "ACME2", "name": "Other"}, headers=key)
    assert other_body.status_code == 422
    assert other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.code == "ACME2")) == 0


def test_a_failed_create_does_not_burn_its_idempotency_key(client, db):
    api = api_as(client, db, "admin")
    key = {"Idempotency-Key": "k-2"}
    failed = api.post("/customers", json={"code": "BAD CODE", "name": "x"}, headers=key)
    assert failed.status_code == 422
    ok = api.post("/customers", json={"code": "GOOD", "name": "x"}, headers=key)
    assert ok.status_code == 201


def test_the_openapi_document_is_valid_and_lists_the_contract_paths(client, db):
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    for path in ["/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/suppliers",
                 "/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/warehouses",
                 "/api/v1/auth/token"]:
        assert path in spec["paths"], path
    schema = spec["components"]["schemas"]["Customer"]["properties"]
    assert schema["credit_limit"]["type"] == "string"


def test_the_docs_page_loads_its_assets_from_this_server(client, db):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
