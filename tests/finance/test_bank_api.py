"""The bank statement API: upload a CSV (multipart), the answer lists matched, suggested and unmatched
lines; the same file again creates nothing; bad files are 422 row by row; a line is confirmed once."""

from __future__ import annotations

import io

import pytest

from tests.conftest import api_as
from tests.finance.test_bank import CHINESE_MAPPING, SAMPLE, Scene


@pytest.fixture
def finance_api(client, db):
    return api_as(client, db, "finance")


def upload(api, account_id, content, name="statement.csv"):
    return api.post(f"/bank-statements?bank_account_id={account_id}", data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data")


def test_a_bank_account_is_created_with_its_mapping_and_a_bad_one_is_422(finance_api):
    answer = finance_api.post("/bank-accounts", json={"name": "CMB", "account_number": "7551", "mapping": CHINESE_MAPPING})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["mapping"]["credit"] == "收入金额"
    bad = finance_api.post("/bank-accounts", json={"name": "X", "account_number": "7552", "currency": "USD",
                                                   "mapping": {"amount": "Amount"}})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"currency", "mapping"}


def test_the_upload_answers_matched_suggested_and_unmatched_lines_and_a_second_upload_nothing_new(uow, finance_api):
    scene = Scene(uow)
    answer = upload(finance_api, scene.account.id, SAMPLE)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["counts"]["matched"] == 4 and body["created"] is True
    assert [(line["row_number"], line["amount"], line["invoice_numbers"]) for line in body["matched"]] == [
        (5, "113.57", ["INV-2026-00001"]), (6, "227.13", ["INV-2026-00002"]), (9, "500.00", []),
        (12, "87.80", ["INV-2026-00006"])]
    assert [line["row_number"] for line in body["suggested"]] == [7, 8, 13]
    assert [(line["row_number"], line["amount"]) for line in body["unmatched"]] == [(10, "-25.00"), (11, "1000.00")]
    again = upload(finance_api, scene.account.id, SAMPLE)
    assert again.status_code == 200
    assert (again.get_json()["created"], again.get_json()["imported"], again.get_json()["statement"]["id"]) == (
        False, 0, body["statement"]["id"])

    line_id = body["matched"][0]["id"]
    confirmed = finance_api.post(f"/bank-statement-lines/{line_id}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["state"] == "reconciled" and confirmed.get_json()["payment_id"]
    twice = finance_api.post(f"/bank-statement-lines/{line_id}/confirm", json={})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "line_closed"


def test_a_bad_file_is_422_with_each_row_and_nothing_is_stored(uow, finance_api):
    scene = Scene(uow)
    answer = upload(finance_api, scene.account.id, SAMPLE.replace(b"2026-03-07,11:20:00", b"07.03.2026,11:20:00"))
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert list(error["fields"]["rows"]) == ["8"] and "date" in error["fields"]["rows"]["8"]
    listed = finance_api.get(f"/bank-statements?bank_account_id={scene.account.id}").get_json()
    assert listed["total"] == 0


def test_sales_may_not_import_statements(client, db, uow):
    scene = Scene(uow)
    rep = api_as(client, db, "sales_rep")
    assert upload(rep, scene.account.id, SAMPLE).status_code == 403
