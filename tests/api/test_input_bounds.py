"""Input no client should send is a 4xx in the error shape and changes nothing, never a 5xx: ids beyond
the database's INTEGER in a path, a query or a body, page numbers whose offset overflows, NUL bytes, lone
surrogates, JSON nested thousands deep, dates whose due date would overflow, and numbers written so that
they used to be read as something else ("1,50" as 150.00, 1.5 as customer 1). A derived label never
outgrows its column. The web forms load the same schemas and answer the same way."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.models import Customer
from crm.leads.models import ScoringRule
from finance.models import Payment
from tests.conftest import api_as, make_user, ok, uow_for
from tests.finance.builders import build_books, confirmed_order, ship
from tests.web.test_forms import csrf_token, sign_in

TOO_BIG = 2**31  # one past the database's INTEGER


def rows(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def refused(answer, status: int, code: str) -> dict:
    """The error body of a refusal, after checking its status and shape; its `fields`."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    body = answer.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body
    return body["error"]["fields"]


@pytest.fixture
def finance(client, db):
    return api_as(client, db, "finance")


@pytest.fixture
def books(db):
    return build_books(uow_for(db))


# --------------------------------------------------------------------------- ids


def test_an_id_beyond_integer_in_a_path_is_an_unknown_id(client, db, finance):
    for customer_id in (2**31 - 1, TOO_BIG, 10**30):
        refused(finance.get(f"/customers/{customer_id}"), 404, "not_found")
    refused(finance.post(f"/sales-orders/{TOO_BIG}/confirm"), 404, "not_found")


def test_an_id_beyond_integer_in_a_query_is_refused_by_name(client, db, finance):
    fields = refused(finance.get(f"/sales-orders?customer_id={TOO_BIG}"), 422, "validation_error")
    assert list(fields) == ["customer_id"]


def test_an_id_beyond_integer_in_a_body_is_refused_and_nothing_is_recorded(client, db, finance, books):
    before = rows(db, Payment)
    fields = refused(finance.post("/payments", json={"customer_id": TOO_BIG, "amount": "10.00"}), 422,
                     "validation_error")
    assert list(fields) == ["customer_id"]
    assert rows(db, Payment) == before


def test_a_page_whose_offset_would_overflow_is_refused(client, db, finance):
    for page in (TOO_BIG, 10**20):
        fields = refused(finance.get(f"/customers?page={page}"), 422, "validation_error")
        assert list(fields) == ["page"]
    assert ok(finance.get(f"/customers?page={2**31 - 1}"))["items"] == []


# --------------------------------------------------------------------------- text and JSON


def test_a_nul_byte_in_a_search_is_refused_by_name(client, db, finance):
    fields = refused(finance.get("/customers?q=ab%00cd"), 422, "validation_error")
    assert list(fields) == ["q"]


def test_a_nul_byte_in_a_body_string_is_refused_and_nothing_is_created(client, db, finance):
    admin = api_as(client, db, "admin")
    before = rows(db, Customer)
    fields = refused(admin.post("/customers", json={"code": "NUL1", "name": "Null\x00Byte Ltd"}), 422,
                     "validation_error")
    assert list(fields) == ["name"]
    assert rows(db, Customer) == before


def test_a_lone_surrogate_in_a_body_string_is_refused_and_nothing_is_created(client, db):
    admin = api_as(client, db, "admin")
    before = rows(db, Customer)
    body = '{"code": "SUR1", "name": "Half \\ud800 a pair", "tags": ["ok", "\\udfff"]}'
    fields = refused(admin.post("/customers", data=body, content_type="application/json"), 422, "validation_error")
    assert fields == {"name": [fields["name"][0]], "tags": {"1": [fields["name"][0]]}}
    assert rows(db, Customer) == before


def test_json_nested_thousands_deep_is_a_bad_request(client, db):
    admin = api_as(client, db, "admin")
    before = rows(db, Customer)
    body = '{"code": "DEEP1", "name": "Deep", "tags": ' + "[" * 5000 + "]" * 5000 + "}"
    refused(admin.post("/customers", data=body, content_type="application/json"), 400, "bad_request")
    assert rows(db, Customer) == before


def test_json_of_ordinary_depth_with_brackets_in_its_strings_is_read(client, db):
    admin = api_as(client, db, "admin")
    made = ok(admin.post("/customers", json={"code": "BRK1", "name": "[" * 100 + "{" * 99}), 201)
    assert made["name"] == "[" * 100 + "{" * 99


# --------------------------------------------------------------------------- dates and derived values


def test_an_invoice_dated_so_late_that_its_due_date_would_overflow_is_refused(client, db, finance, books):
    uow = uow_for(db)
    order = confirmed_order(uow, books.customer_id, [(books.a, 1)])
    ship(uow, order.id, [(books.a, 1)])
    fields = refused(finance.post("/invoices", json={"sales_order_id": order.id, "invoice_date": "9999-12-31"}),
                     422, "validation_error")
    assert list(fields) == ["invoice_date"]
    assert ok(finance.get(f"/invoices?sales_order_id={order.id}"))["total"] == 0


def test_a_scoring_rule_label_derived_from_a_long_value_fits_its_column(client, db):
    admin = api_as(client, db, "admin")
    made = ok(admin.post("/lead-settings/scoring-rules", json={"field": "industry", "value": "x" * 190,
                                                                "points": 5}), 201)
    column = ScoringRule.__table__.c.label.type.length
    assert len(made["label"]) == column and made["label"].startswith("industry equals xxx")
    assert made["value"] == "x" * 190


# --------------------------------------------------------------------------- strict numbers


@pytest.mark.parametrize("amount", ["1,50", "1,5", "1_000", "1,2,3", "1e3", "12.5.0"])
def test_an_amount_written_with_separators_is_refused_and_no_payment_is_recorded(client, db, finance, books,
                                                                                   amount):
    before = rows(db, Payment)
    fields = refused(finance.post("/payments", json={"customer_id": books.customer_id, "amount": amount}), 422,
                     "validation_error")
    assert list(fields) == ["amount"]
    assert rows(db, Payment) == before


@pytest.mark.parametrize("customer_id", [1.5, "1.5", "1_0", True])
def test_a_customer_id_that_is_not_a_whole_number_is_refused(client, db, finance, books, customer_id):
    before = rows(db, Payment)
    fields = refused(finance.post("/payments", json={"customer_id": customer_id, "amount": "1.50"}), 422,
                     "validation_error")
    assert list(fields) == ["customer_id"]
    assert rows(db, Payment) == before


def test_plain_numbers_are_still_read(client, db, finance, books):
    made = ok(finance.post("/payments", json={"customer_id": books.customer_id, "amount": " 1.50 "}), 201)
    assert made["amount"] == "1.50"
    made = ok(finance.post("/payments", data=json.dumps({"customer_id": float(books.customer_id), "amount": 2.5}),
                           content_type="application/json"), 201)
    assert (made["customer_id"], made["amount"]) == (books.customer_id, "2.50")


# --------------------------------------------------------------------------- the web forms


@pytest.fixture
def signed_in_finance(client, db):
    user = make_user(db, "finance")
    sign_in(client, user)
    return user


@pytest.mark.parametrize("amount", ["1,50", "1,5", "1_000", "1,2,3"])
def test_the_payment_form_refuses_an_amount_with_separators_as_the_api_does(client, db, books, signed_in_finance,
                                                                             amount):
    before = rows(db, Payment)
    answer = client.post("/finance/payments", data={"csrf_token": csrf_token(client, "/finance/payments"),
                                            "customer_id": str(books.customer_id), "amount": amount,
                                            "date": "2026-03-02", "method": "bank_transfer"})
    assert answer.status_code == 422
    assert 'data-field="amount"' in answer.get_data(as_text=True)
    assert rows(db, Payment) == before


@pytest.mark.parametrize("customer_id", ["1.5", str(TOO_BIG), "1_0"])
def test_the_payment_form_refuses_a_customer_that_is_not_an_id(client, db, books, signed_in_finance, customer_id):
    before = rows(db, Payment)
    answer = client.post("/finance/payments", data={"csrf_token": csrf_token(client, "/finance/payments"),
                                            "customer_id": customer_id, "amount": "1.50", "date": "2026-03-02",
                                            "method": "bank_transfer"})
    assert answer.status_code == 422
    assert 'data-field="customer_id"' in answer.get_data(as_text=True)
    assert rows(db, Payment) == before


def test_the_payment_form_refuses_a_date_past_9000_as_the_api_does(client, db, books, signed_in_finance):
    before = rows(db, Payment)
    answer = client.post("/finance/payments", data={"csrf_token": csrf_token(client, "/finance/payments"),
                                                    "customer_id": str(books.customer_id), "amount": "1.50",
                                                    "date": "9999-12-31", "method": "bank_transfer"})
    assert answer.status_code == 422
    assert 'data-field="date"' in answer.get_data(as_text=True)
    assert rows(db, Payment) == before


def test_a_nul_byte_in_a_web_form_is_refused_and_nothing_is_recorded(client, db, books, signed_in_finance):
    before = rows(db, Payment)
    answer = client.post("/finance/payments", data={"csrf_token": csrf_token(client, "/finance/payments"),
                                            "customer_id": str(books.customer_id), "amount": "1.50",
                                            "date": "2026-03-02", "method": "bank_transfer",
                                            "reference": "wire\x00 42"})
    assert answer.status_code == 422
    assert "NUL" in answer.get_data(as_text=True)
    assert rows(db, Payment) == before


def test_web_pages_take_an_id_or_a_page_beyond_integer_as_unknown(client, db, signed_in_finance):
    assert client.get(f"/finance/payments/{TOO_BIG}").status_code == 404
    assert client.get(f"/finance/payments?page={10**20}&customer_id={TOO_BIG}").status_code == 200


# --------------------------------------------------------------------------- the OpenAPI document


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def test_the_document_gives_every_error_in_the_error_shape_and_every_decimal_as_a_string(client, db):
    spec = ok(client.get("/api/v1/openapi.json"))
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and error["properties"]["error"]["$ref"].endswith("/ErrorDetail")
    assert set(spec["components"]["schemas"]["ErrorDetail"]["required"]) == {"code", "message", "fields"}
    for name, response in spec["components"]["responses"].items():
        if "content" in response:
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, name
    operations = [(path, method, operation) for path, item in spec["paths"].items()
                  for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")]
    assert len(operations) > 100
    for path, method, operation in operations:
        assert operation["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}, (method, path)
    assert [where for where, node in _walk(spec) if node.get("type") == "number"] == []
    assert spec["paths"]["/api/v1/customers/{customer_id}"]["parameters"][0]["schema"]["maximum"] == 2**31 - 1


def test_a_multipart_part_without_a_name_is_no_server_error(client, db):
    admin = api_as(client, db, "admin")
    body = (b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nbad\x00value\r\n--B--\r\n")
    answer = admin.post("/leads/import", data=body, content_type="multipart/form-data; boundary=B")
    assert refused(answer, 422, "validation_error") == {"x": [answer.get_json()["error"]["fields"]["x"][0]]}
