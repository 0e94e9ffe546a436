"""The worked example of issue 3 as a story through the services: confirming an order checks
credit, reserves stock and plans work orders and purchases, all in one transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import Base
from core.errors import DomainError
from core.models import AuditEntry
from core.uow import UnitOfWork
from crm.orders import services as crm
from finance.credit import services as finance
from finance.credit.exposure import credit_status
from inventory.models import Reservation, StockBalance
from inventory.services import check_ledger
from production.events import MaterialShortagesFound
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine
from tests.flows.worked_example import build_worked_example, pump_order

D = Decimal


def reserved_by_sku(db, example, order_id) -> dict[str, Decimal]:
    rows = db.execute(select(Reservation.product_id, func.sum(Reservation.qty))
                      .where(Reservation.sales_order_id == order_id, Reservation.state == "active")
                      .group_by(Reservation.product_id))
    return {example.sku(pid): D(qty) for pid, qty in rows}


def work_orders(db, example, order_id) -> list[tuple]:
    found = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order_id).order_by(WorkOrder.id))
    return [(example.sku(wo.product_id), wo.qty, wo.due_date, wo.start_date, wo.parent_work_order_id, wo.state)
            for wo in found]


def plans(db, example, order_id) -> list[tuple]:
    found = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.sales_order_id == order_id)
                       .order_by(PurchasePlanLine.id))
    return [(example.sku(p.product_id), p.qty, p.need_by, p.order_by, p.supplier_id, p.state) for p in found]


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table (audit log and number sequences included)."""
    db.expire_all()
    return {table.name: [tuple(row) for row in db.execute(select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables}


def test_order_1_reserves_what_is_in_stock_and_plans_the_rest(db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 10)
    assert order.number.startswith(f"SO-{clock.today().year}-")
    assert (order.untaxed, order.tax, order.total) == (D("50000.00"), D("6500.00"), D("56500.00"))

    crm.confirm_order(uow, order.id)

    assert order.state == "confirmed"
    assert reserved_by_sku(db, example, order.id) == {
        "PUMP": D(2), "MOTOR": D(3), "HOUSING": D(1), "BOLT": D(32), "GASKET": D(7)}
    assert order.lines[0].reserved_qty == D(2)
    pump_wo, housing_wo = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order.id)
                                     .order_by(WorkOrder.id))
    assert work_orders(db, example, order.id) == [
        ("PUMP", D(8), date(2026, 12, 31), date(2026, 12, 28), None, "planned"),
        ("HOUSING", D(7), date(2026, 12, 28), date(2026, 12, 26), pump_wo.id, "planned"),
    ]
    assert pump_wo.sales_order_line_id == order.lines[0].id and housing_wo.sales_order_line_id is None
    assert pump_wo.number.startswith("WO-")
    assert {(example.sku(c.product_id), c.qty_required, c.qty_reserved) for c in pump_wo.components} == {
        ("MOTOR", D(8), D(3)), ("HOUSING", D(8), D(1)), ("BOLT", D(32), D(32))}
    assert {(example.sku(c.product_id), c.qty_required, c.qty_reserved) for c in housing_wo.components} == {
        ("STEEL", D(14), D(0)), ("GASKET", D(7), D(7))}
    s1, s2 = example.suppliers["S1"], example.suppliers["S2"]
    assert plans(db, example, order.id) == [
        ("MOTOR", D(5), date(2026, 12, 28), date(2026, 12, 18), s1, "open"),
        ("STEEL", D(14), date(2026, 12, 26), date(2026, 12, 19), s2, "open"),
    ]
    customer = order.customer
    assert credit_status(db, customer).exposure == D("56500.00")
    assert check_ledger(db) == []


def test_order_2_finds_the_stock_taken_and_order_3_is_refused_over_the_credit_limit(db, uow):
    example = build_worked_example(uow)
    crm.confirm_order(uow, pump_order(uow, example, 10).id)
    order2 = pump_order(uow, example, 5)
    assert order2.total == D("28250.00")

    crm.confirm_order(uow, order2.id)

    assert credit_status(db, order2.customer).exposure == D("84750.00")
    assert reserved_by_sku(db, example, order2.id) == {"BOLT": D(20), "GASKET": D(3)}
    pump_wo, _housing_wo = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order2.id)
                                      .order_by(WorkOrder.id))
    assert work_orders(db, example, order2.id) == [
        ("PUMP", D(5), date(2026, 12, 31), date(2026, 12, 28), None, "planned"),
        ("HOUSING", D(5), date(2026, 12, 28), date(2026, 12, 26), pump_wo.id, "planned"),
    ]
    s1, s2 = example.suppliers["S1"], example.suppliers["S2"]
    assert plans(db, example, order2.id) == [
        ("MOTOR", D(5), date(2026, 12, 28), date(2026, 12, 18), s1, "open"),
        ("STEEL", D(10), date(2026, 12, 26), date(2026, 12, 19), s2, "open"),
        ("GASKET", D(2), date(2026, 12, 26), date(2026, 12, 22), s1, "open"),
    ]

    order3 = pump_order(uow, example, 3)
    assert order3.total == D("16950.00")
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        crm.confirm_order(uow, order3.id)

    assert refused.value.code == "credit_limit_exceeded"
    assert refused.value.details == {
        "customer_id": example.customer_id, "credit_limit": "100000.00", "exposure": "84750.00",
        "receivable": "0.00", "unbilled": "84750.00", "order_total": "16950.00", "available_credit": "15250.00",
        "shortfall": "1700.00"}
    assert snapshot(db) == before
    assert db.get(type(order3), order3.id).state == "draft"
    assert check_ledger(db) == []


def test_finance_approves_one_order_over_the_limit_and_it_confirms(db, uow):
    example = build_worked_example(uow, credit_limit=D("60000"))
    crm.confirm_order(uow, pump_order(uow, example, 10).id)
    order = pump_order(uow, example, 1)
    with pytest.raises(DomainError, match="Credit limit exceeded"):
        crm.confirm_order(uow, order.id)

    approval = finance.approve_credit(uow, order.id, reason="Long-standing customer, paid early")
    crm.confirm_order(uow, order.id)

    assert order.state == "confirmed" and approval.used_at is not None
    notes = db.scalars(select(AuditEntry).where(AuditEntry.entity == "SalesOrder",
                                                AuditEntry.entity_id == str(order.id), AuditEntry.action == "note"))
    assert [n.note for n in notes] == ["Credit approved over the limit up to 5650.00: Long-standing customer, paid early"]
    another = pump_order(uow, example, 1)
    with pytest.raises(DomainError, match="Credit limit exceeded"):
        crm.confirm_order(uow, another.id)


def test_a_customer_on_credit_hold_cannot_confirm(db, uow):
    example = build_worked_example(uow, credit_limit=D("0"))
    order = pump_order(uow, example, 1)
    order.customer.credit_hold = True
    db.commit()
    with pytest.raises(DomainError) as refused:
        crm.confirm_order(uow, order.id)
    assert refused.value.code == "credit_hold"
    assert order.state == "draft"


def test_a_limit_of_zero_means_no_limit(db, uow):
    example = build_worked_example(uow, credit_limit=D("0"))
    order = pump_order(uow, example, 100)
    crm.confirm_order(uow, order.id)
    assert order.state == "confirmed"


def test_a_product_without_a_default_supplier_refuses_the_whole_confirmation(db, uow):
    example = build_worked_example(uow)
    from core import services as core_services

    core_services.update_product(uow, example.products["STEEL"], {"default_supplier_id": None})
    order = pump_order(uow, example, 10)
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        crm.confirm_order(uow, order.id)
    assert refused.value.code == "no_default_supplier"
    assert snapshot(db) == before


def test_a_handler_failing_late_in_the_confirmation_leaves_nothing_behind(app, db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 10)
    events = app.extensions["events"].copy()

    def explode(_uow, _event):
        raise RuntimeError("the purchasing database caught fire")

    events.subscribe(MaterialShortagesFound, explode)
    before = snapshot(db)
    with pytest.raises(RuntimeError):
        crm.confirm_order(UnitOfWork(db, events=events), order.id)
    assert snapshot(db) == before
    assert db.scalar(select(func.count()).select_from(Reservation)) == 0


def test_cancelling_a_confirmed_order_releases_its_stock_and_cancels_its_plans(db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 10)
    crm.confirm_order(uow, order.id)

    crm.cancel_order(uow, order.id)

    assert order.state == "cancelled"
    assert reserved_by_sku(db, example, order.id) == {}
    assert all(b.reserved == 0 for b in db.scalars(select(StockBalance)))
    assert order.lines[0].reserved_qty == 0
    assert [wo[-1] for wo in work_orders(db, example, order.id)] == ["cancelled", "cancelled"]
    assert [p[-1] for p in plans(db, example, order.id)] == ["cancelled", "cancelled"]
    assert check_ledger(db) == []


def test_cancelling_keeps_a_started_work_order_with_what_it_needs(db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 10)
    crm.confirm_order(uow, order.id)
    pump_wo = db.scalar(select(WorkOrder).where(WorkOrder.sales_order_id == order.id,
                                                WorkOrder.parent_work_order_id.is_(None)))
    pump_wo.release()
    pump_wo.start()
    db.commit()

    crm.cancel_order(uow, order.id)

    assert reserved_by_sku(db, example, order.id) == {"MOTOR": D(3), "HOUSING": D(1), "BOLT": D(32),
                                                      "GASKET": D(7)}
    assert [wo[-1] for wo in work_orders(db, example, order.id)] == ["in_progress", "planned"]
    assert [p[-1] for p in plans(db, example, order.id)] == ["open", "open"]
    assert order.lines[0].reserved_qty == 0
    assert check_ledger(db) == []


def test_cancelling_a_draft_order_needs_no_release(db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 1)
    crm.cancel_order(uow, order.id)
    assert order.state == "cancelled"
    with pytest.raises(DomainError) as refused:
        crm.confirm_order(uow, order.id)
    assert refused.value.code == "invalid_transition"
