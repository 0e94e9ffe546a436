"""Purchase orders: the transition table, plans that become orders and open again, and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import DomainError, InvalidInput, InvalidTransition
from crm.orders import services as crm
from purchasing import services as purchasing
from purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchasePlanLine
from tests.flows.test_order_to_plan import snapshot
from tests.flows.worked_example import build_worked_example, pump_order

D = Decimal
NOW = datetime(2026, 12, 1, tzinfo=UTC)
ALL = ("draft", "confirmed", "partially_received", "received", "cancelled")
ALLOWED = {("draft", "confirmed"), ("draft", "cancelled"), ("confirmed", "partially_received"),
           ("confirmed", "received"), ("confirmed", "cancelled"), ("partially_received", "received")}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL[1:])
def test_the_purchase_order_transition_table(current, target):
    order = PurchaseOrder(number="PO-1", state=current)
    order.lines = [PurchaseOrderLine(product_id=1, qty=D(2), qty_received=D(2 if target == "received" else 1),
                                     unit_price=D(1))]
    move = {"confirmed": lambda: order.confirm(at=NOW), "cancelled": lambda: order.cancel(at=NOW),
            "partially_received": order.note_received, "received": order.note_received}[target]
    if (current, target) in ALLOWED or (current == target == "partially_received"):
        move()
        assert order.state == target
    else:
        with pytest.raises(DomainError):
            move()


def ordered(db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 10)
    crm.confirm_order(uow, order.id)
    return example, order, purchasing.create_orders_from_plans(uow, on=date(2026, 12, 1))


def test_cancelling_a_purchase_order_opens_its_plans_again(db, uow):
    _example, _order, orders = ordered(db, uow)
    purchasing.confirm_purchase_order(uow, orders[0].id)

    purchasing.cancel_purchase_order(uow, orders[0].id)

    assert orders[0].state == "cancelled"
    line_ids = [line.id for line in orders[0].lines]
    reopened = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.product_id == orders[0].lines[0].product_id))
    assert [(p.state, p.purchase_order_line_id) for p in reopened] == [("open", None)]
    assert line_ids and len(purchasing.create_orders_from_plans(uow, on=date(2026, 12, 2))) == 1


def test_a_received_order_cannot_be_cancelled_and_nothing_changes(db, uow):
    example, _order, orders = ordered(db, uow)
    steel = next(o for o in orders if o.supplier_id == example.suppliers["S2"])
    purchasing.confirm_purchase_order(uow, steel.id)
    purchasing.receive_purchase_order(uow, steel.id, [{"product_id": example.products["STEEL"], "qty": D(3)}])
    before = snapshot(db)
    with pytest.raises(InvalidTransition):
        purchasing.cancel_purchase_order(uow, steel.id)
    assert snapshot(db) == before


def test_ordering_plans_that_are_not_open_is_refused_naming_them(db, uow):
    _example, _order, _orders = ordered(db, uow)
    ordered_plan = db.scalars(select(PurchasePlanLine)).first()
    before = snapshot(db)
    with pytest.raises(InvalidInput) as refused:
        purchasing.create_orders_from_plans(uow, [ordered_plan.id, 999999])
    assert refused.value.fields == {"plan_ids": [f"Not an open purchase plan line: {ordered_plan.id}, 999999."]}
    assert snapshot(db) == before


def test_a_supplier_price_overrides_the_lead_time_used_for_planning(db, uow):
    example = build_worked_example(uow)
    purchasing.set_supplier_price(uow, {"supplier_id": example.suppliers["S1"], "product_id": example.products["MOTOR"],
                                        "price": D(800), "lead_time_days": 20})
    crm.confirm_order(uow, pump_order(uow, example, 10).id)
    motor = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.product_id == example.products["MOTOR"])).one()
    assert (motor.need_by, motor.order_by) == (date(2026, 12, 28), date(2026, 12, 8))
