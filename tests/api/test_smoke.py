from tests.conftest import api_as


def test_an_admin_creates_and_reads_back_a_customer_with_money_as_strings(client, db):
    api = api_as(client, db, "admin")
    created = api.post("/customers", json={"code": "ACME", "name": "Acme Pumps", "credit_limit": "1000.5"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["credit_limit"] == "1000.50"
    fetched = api.get(f"/customers/{body['id']}")
    assert fetched.get_json()["name"] == "Acme Pumps"
