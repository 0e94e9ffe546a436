"""The worked example carried out to the shipment: plans become purchase orders (MOTOR and GASKET
to S1, STEEL to S2, consolidated), partial receipts are allocated to the demand they were bought
for, the child work order is made before its parent, the finished pumps are reserved for the order,
and the order leaves in two shipments with a backorder in between."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import DomainError
from inventory import shipping
from inventory.models import Shipment, StockMove
from inventory.services import balance_of, check_ledger
from production import execution
from production.models import WorkOrder
from purchasing import services as purchasing
from purchasing.models import PurchaseOrder, PurchasePlanLine
from tests.conftest import make_user, uow_for
from tests.flows.test_order_to_plan import snapshot
from tests.flows.worked_example import fulfilment_cycle

D = Decimal
ON = date(2026, 12, 1)


def stock(db, example, sku) -> tuple[Decimal, Decimal]:
    balance = balance_of(db, example.products[sku], 1)
    return (balance.on_hand, balance.reserved) if balance else (D(0), D(0))


def components(work_order, example) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    return {example.sku(c.product_id): (c.qty_required, c.qty_reserved, c.qty_issued) for c in work_order.components}


def work_orders_of(db, order_id) -> tuple[WorkOrder, WorkOrder]:
    pump, housing = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order_id).order_by(WorkOrder.id))
    return pump, housing


def last_move(db, example, sku) -> StockMove:
    return db.scalars(select(StockMove).where(StockMove.product_id == example.products[sku])
                      .order_by(StockMove.id.desc())).first()


@pytest.fixture
def cycle(db, uow):
    return fulfilment_cycle(uow)


def test_the_worked_example_from_plans_to_the_last_shipment(db, uow, cycle):
    example, order1, order2 = cycle
    p, s = example.products, example.suppliers
    wo1, hwo1 = work_orders_of(db, order1.id)
    wo2, hwo2 = work_orders_of(db, order2.id)

    # plans -> purchase orders, one per supplier, one line per product
    po_s1, po_s2 = purchasing.create_orders_from_plans(uow, on=ON)
    assert (po_s1.supplier_id, po_s1.state, po_s2.supplier_id) == (s["S1"], "draft", s["S2"])
    assert po_s1.number.startswith("PO-2026-")
    assert [(example.sku(line.product_id), line.qty, line.unit_price, line.expected_date) for line in po_s1.lines] == [
        ("MOTOR", D(10), D(800), date(2026, 12, 11)), ("GASKET", D(5), D("3.5"), date(2026, 12, 3))]
    assert [(example.sku(line.product_id), line.qty, line.expected_date) for line in po_s2.lines] == [
        ("STEEL", D(24), date(2026, 12, 8))]
    assert (po_s1.total, po_s2.total) == (D("8017.50"), D("1200.00"))
    plans = db.scalars(select(PurchasePlanLine).order_by(PurchasePlanLine.id)).all()
    assert {pl.state for pl in plans} == {"ordered"}
    steel_line = po_s2.lines[0]
    assert sorted(pl.id for pl in plans if pl.purchase_order_line_id == steel_line.id) == sorted(
        pl.id for pl in plans if pl.product_id == p["STEEL"])

    purchasing.confirm_purchase_order(uow, po_s2.id)
    purchasing.confirm_purchase_order(uow, po_s1.id)
    assert (po_s1.state, po_s2.state) == ("confirmed", "confirmed")

    # partial receipt of STEEL goes to the first order's housing work order, which it was bought for
    purchasing.receive_purchase_order(uow, po_s2.id, [{"product_id": p["STEEL"], "qty": D(14)}])
    assert po_s2.state == "partially_received" and steel_line.qty_received == D(14)
    assert components(hwo1, example)["STEEL"] == (D(14), D(14), D(0))
    assert components(hwo2, example)["STEEL"] == (D(10), D(0), D(0))
    assert stock(db, example, "STEEL") == (D(14), D(14))
    assert last_move(db, example, "STEEL").unit_cost == D(50)

    # receiving more than is left is refused and changes nothing
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        purchasing.receive_purchase_order(uow, po_s2.id, [{"product_id": p["STEEL"], "qty": D(11)}])
    assert refused.value.code == "over_receipt" and refused.value.status == 409
    assert snapshot(db) == before

    purchasing.receive_purchase_order(uow, po_s2.id, [{"product_id": p["STEEL"], "qty": D(10)}])
    assert po_s2.state == "received"
    assert components(hwo2, example)["STEEL"] == (D(10), D(10), D(0))

    # MOTOR 5 of 10: the motors go to order 1's pump work order, which they were bought for
    purchasing.receive_purchase_order(uow, po_s1.id, [{"product_id": p["MOTOR"], "qty": D(5)}])
    assert po_s1.state == "partially_received"
    assert components(wo1, example)["MOTOR"] == (D(8), D(8), D(0))
    assert components(wo2, example)["MOTOR"] == (D(5), D(0), D(0))

    # the parent cannot be released before its child has made the housings
    with pytest.raises(DomainError) as early:
        execution.release_work_order(uow, wo1.id)
    assert early.value.code == "components_not_reserved" and wo1.state == "planned"

    # the child: release, start (components issued), complete (housings reserved for the parent)
    execution.release_work_order(uow, hwo1.id)
    execution.start_work_order(uow, hwo1.id)
    assert hwo1.state == "in_progress"
    assert components(hwo1, example) == {"STEEL": (D(14), D(0), D(14)), "GASKET": (D(7), D(0), D(7))}
    assert stock(db, example, "STEEL") == (D(10), D(10)) and stock(db, example, "GASKET") == (D(3), D(3))
    assert hwo1.material_cost == D(700)  # STEEL 14 x 50, GASKET 7 x 0 (opening stock at standard cost 0)

    # all GASKET: 2 for order 2's housing, the 3 bought beyond the need (supplier minimum) stay free
    purchasing.receive_purchase_order(uow, po_s1.id, [{"product_id": p["GASKET"], "qty": D(5)}])
    assert po_s1.state == "partially_received"
    assert components(hwo2, example)["GASKET"] == (D(5), D(5), D(0))
    assert stock(db, example, "GASKET") == (D(8), D(5))
    execution.complete_work_order(uow, hwo1.id, qty=D(7))
    assert (hwo1.state, hwo1.qty_done) == ("done", D(7))
    assert components(wo1, example)["HOUSING"] == (D(8), D(8), D(0))
    assert stock(db, example, "HOUSING") == (D(8), D(8))
    assert last_move(db, example, "HOUSING").unit_cost == D(100)

    # the parent: release, start, complete 5 of 8 -> reserved for the order's line
    execution.release_work_order(uow, wo1.id)
    execution.start_work_order(uow, wo1.id)
    assert components(wo1, example) == {"MOTOR": (D(8), D(0), D(8)), "HOUSING": (D(8), D(0), D(8)),
                                        "BOLT": (D(32), D(0), D(32))}
    assert wo1.material_cost == D(4700)  # MOTOR 8 x 500 (average of 3 x 0 and 5 x 800) + HOUSING 8 x 87.5
    execution.complete_work_order(uow, wo1.id, qty=D(5))
    assert (wo1.state, wo1.qty_done) == ("in_progress", D(5))
    assert last_move(db, example, "PUMP").unit_cost == D("587.5")
    line = order1.lines[0]
    assert (line.reserved_qty, line.shipped_qty) == (D(7), D(0))

    # more than the work order has left to make is refused and changes nothing
    before = snapshot(db)
    with pytest.raises(DomainError) as too_many:
        execution.complete_work_order(uow, wo1.id, qty=D(4))
    assert too_many.value.code == "over_completion"
    assert snapshot(db) == before

    # first shipment: everything reserved (7); the rest (3) is a backorder
    first = shipping.create_shipment(uow, {"sales_order_id": order1.id}, on=ON)
    assert first.number.startswith("SH-2026-") and [li.qty for li in first.lines] == [D(7)]
    shipping.ship_shipment(uow, first.id, on=ON)
    assert first.state == "shipped"
    assert (order1.state, order1.shipment_status) == ("partially_shipped", "partial")
    assert (line.reserved_qty, line.shipped_qty, line.to_come_qty) == (D(0), D(7), D(3))
    assert stock(db, example, "PUMP") == (D(0), D(0))
    backorder = db.scalars(select(Shipment).where(Shipment.backorder_of_id == first.id)).one()
    assert backorder.state == "draft" and [(li.qty) for li in backorder.lines] == [D(3)]

    # shipping the backorder before the pumps exist is refused and changes nothing
    before = snapshot(db)
    with pytest.raises(DomainError) as unreserved:
        shipping.ship_shipment(uow, backorder.id)
    assert unreserved.value.code == "not_reserved"
    assert snapshot(db) == before

    execution.complete_work_order(uow, wo1.id, qty=D(3))
    assert (wo1.state, wo1.qty_done, line.reserved_qty) == ("done", D(8), D(3))
    shipping.ship_shipment(uow, backorder.id, on=ON)
    assert (order1.state, order1.shipment_status) == ("shipped", "shipped")
    assert (line.reserved_qty, line.shipped_qty, line.to_come_qty) == (D(0), D(10), D(0))
    assert db.scalars(select(Shipment).where(Shipment.backorder_of_id == backorder.id)).first() is None
    assert stock(db, example, "PUMP") == (D(0), D(0))
    shipped_moves = db.scalars(select(StockMove).where(StockMove.kind == "shipment").order_by(StockMove.id)).all()
    assert [(m.qty, m.reference) for m in shipped_moves] == [(D(-7), first.number), (D(-3), backorder.number)]

    # order 2 still waits for its motors; the ledger agrees with the balances
    assert order2.state == "confirmed" and order2.shipment_status == "none"
    assert check_ledger(db) == []


def test_starting_a_work_order_whose_components_are_not_reserved_is_refused(db, uow, cycle):
    example, order1, _order2 = cycle
    wo1, _hwo1 = work_orders_of(db, order1.id)
    admin = make_user(db, "admin")
    execution.release_work_order(uow_for(db, admin), wo1.id, override_reason="Motors arrive tomorrow")
    assert (wo1.state, wo1.release_override) == ("released", "Motors arrive tomorrow")
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        execution.start_work_order(uow, wo1.id)
    assert refused.value.code == "components_not_reserved" and refused.value.status == 409
    assert snapshot(db) == before


def test_cancelling_a_started_work_order_is_refused(db, uow, cycle):
    example, _order1, order2 = cycle
    _wo2, hwo2 = work_orders_of(db, order2.id)
    purchasing.create_orders_from_plans(uow, on=ON)
    po_s2 = db.scalars(select(PurchaseOrder).where(
        PurchaseOrder.supplier_id == example.suppliers["S2"])).one()
    purchasing.confirm_purchase_order(uow, po_s2.id)
    purchasing.receive_purchase_order(uow, po_s2.id, [{"product_id": example.products["STEEL"], "qty": D(24)}])
    po_s1 = db.scalars(select(PurchaseOrder).where(
        PurchaseOrder.supplier_id == example.suppliers["S1"])).one()
    purchasing.confirm_purchase_order(uow, po_s1.id)
    purchasing.receive_purchase_order(uow, po_s1.id, [{"product_id": example.products["GASKET"], "qty": D(2)}])
    execution.release_work_order(uow, hwo2.id)
    execution.start_work_order(uow, hwo2.id)
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        execution.cancel_work_order(uow, hwo2.id)
    assert refused.value.code == "invalid_transition" and refused.value.status == 409
    assert snapshot(db) == before


def test_shipping_more_than_is_reserved_is_refused(db, uow, cycle):
    _example, order1, _order2 = cycle
    before = snapshot(db)
    with pytest.raises(DomainError) as refused:
        shipping.create_shipment(uow, {"sales_order_id": order1.id,
                                       "lines": [{"sales_order_line_id": order1.lines[0].id, "qty": D(3)}]})
    assert refused.value.status == 422
    assert refused.value.fields == {"lines": {"0": {"qty": ["Only 2.0000 of PUMP is reserved for this order."]}}}
    assert snapshot(db) == before
