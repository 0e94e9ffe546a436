"""Work order execution: what releasing, starting, completing and cancelling need and refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import DomainError, Forbidden
from crm.orders import services as crm
from inventory.models import Reservation
from production import execution
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine
from tests.conftest import make_user, uow_for
from tests.flows.test_order_to_plan import snapshot
from tests.flows.worked_example import build_worked_example, pump_order

D = Decimal


def planned(db, uow, qty=10):
    example = build_worked_example(uow)
    order = pump_order(uow, example, qty)
    crm.confirm_order(uow, order.id)
    return example, order, list(db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order.id)
                                           .order_by(WorkOrder.id)))


def test_completing_a_work_order_that_has_not_started_is_refused(db, uow):
    _example, _order, (pump_wo, _housing) = planned(db, uow)
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        execution.complete_work_order(uow, pump_wo.id, qty=D(1))
    assert refused.value.code == "invalid_transition"
    assert snapshot(db) == before


def test_only_the_production_manager_may_override_a_release(db, uow):
    _example, _order, (pump_wo, _housing) = planned(db, uow)
    producer = make_user(db, "production")
    before = snapshot(db)
    with pytest.raises(Forbidden):
        execution.release_work_order(uow_for(db, producer), pump_wo.id, override_reason="rush")
    assert snapshot(db) == before


def test_cancelling_a_planned_work_order_releases_its_locks_and_cancels_its_plans(db, uow):
    example, order, (_pump_wo, housing_wo) = planned(db, uow)

    execution.cancel_work_order(uow, housing_wo.id)

    assert housing_wo.state == "cancelled"
    assert db.scalars(select(Reservation).where(Reservation.work_order_id == housing_wo.id,
                                                Reservation.state == "active")).all() == []
    steel = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.work_order_id == housing_wo.id)).one()
    assert steel.state == "cancelled"
    assert {c.qty_reserved for c in housing_wo.components} == {D(0)}


def test_a_completion_without_issued_components_is_valued_at_standard_cost(db, uow):
    _example, _order, (pump_wo,) = planned(db, uow, qty=3)
    pump_wo.product.standard_cost = D("1234.5")
    assert pump_wo.material_cost == D(0)
    assert execution.unit_cost_of(pump_wo) == D("1234.5")
    pump_wo.material_cost = D("1000")
    assert execution.unit_cost_of(pump_wo) == D("1000")  # 1000 of components for 1 pump
