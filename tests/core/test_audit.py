"""Every write of a business record is audited in its own transaction."""

from sqlalchemy import func, select

from core.models import AuditEntry
from tests.conftest import api_as


def _entries(db, entity, entity_id):
    return list(db.scalars(select(AuditEntry).where(AuditEntry.entity == entity,
                                                   AuditEntry.entity_id == str(entity_id)).order_by(AuditEntry.id)))


def test_create_and_update_record_who_what_and_before_after(client, db):
    rep = api_as(client, db, "sales_rep")
    customer = rep.post("/customers", json={"code": "AUD", "name": "Before", "credit_limit": "0"}).get_json()
    rep.patch(f"/customers/{customer['id']}", json={"name": "After", "region": "East"})
    created, updated = _entries(db, "Customer", customer["id"])
    assert created.action == "create" and created.user_id == rep.user.id
    assert created.changes["code"] == [None, "AUD"]
    assert updated.action == "update" and updated.user_id == rep.user.id
    assert updated.changes == {"name": ["Before", "After"], "region": [None, "East"]}


def test_money_is_audited_as_exact_text(client, db):
    finance = api_as(client, db, "finance")
    admin = api_as(client, db, "admin")
    customer = admin.post("/customers", json={"code": "M", "name": "Money"}).get_json()
    finance.patch(f"/customers/{customer['id']}", json={"credit_limit": "12345.67"})
    last = _entries(db, "Customer", customer["id"])[-1]
    assert last.changes == {"credit_limit": ["0.00", "12345.67"]}
    assert last.user_id == finance.user.id


def test_a_refused_command_leaves_no_audit_entry(client, db):
    admin = api_as(client, db, "admin")
    admin.post("/customers", json={"code": "ONE", "name": "One"})
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    assert admin.post("/customers", json={"code": "ONE", "name": "Dup"}).status_code == 422
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_an_unchanged_save_writes_no_entry(client, db):
    admin = api_as(client, db, "admin")
    customer = admin.post("/customers", json={"code": "SAME", "name": "Same"}).get_json()
    admin.patch(f"/customers/{customer['id']}", json={"name": "Same"})
    assert [e.action for e in _entries(db, "Customer", customer["id"])] == ["create"]


def test_admin_and_management_read_the_log_filtered_by_entity_and_user(client, db):
    admin = api_as(client, db, "admin")
    boss = api_as(client, db, "management")
    rep = api_as(client, db, "sales_rep")
    rep.post("/customers", json={"code": "R1", "name": "Rep's"})
    admin.post("/products", json={"sku": "A1", "name": "Admin's", "kind": "buy"})
    by_rep = boss.get(f"/audit-log?user_id={rep.user.id}").get_json()
    assert by_rep["total"] == 1 and by_rep["items"][0]["entity"] == "Customer"
    assert by_rep["items"][0]["username"] == rep.user.username
    products = admin.get("/audit-log?entity=Product").get_json()
    assert {i["changes"]["sku"][1] for i in products["items"]} == {"A1"}
    assert rep.get("/audit-log").status_code == 403


def test_ledger_rows_cannot_be_rewritten_or_deleted(db):
    import pytest

    from core.audit import LedgerViolation

    entry = AuditEntry(action="note", entity="Test", entity_id="1", changes={})
    db.add(entry)
    db.commit()
    entry.note = "rewritten"
    with pytest.raises(LedgerViolation):
        db.flush()
    db.rollback()
    db.delete(db.merge(entry))
    with pytest.raises(LedgerViolation):
        db.flush()
