"""Supply is never counted twice (docs/supply.md): stock that becomes available goes to what demand lacks
beyond its pegged supply to come; when it reaches demand covered by supply that has not started, that
supply shrinks by as much. Afterwards, for every demand, reserved + pegged supply to come = what it still
needs, never more, whatever sequence of acts came before."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import DomainError
from crm.orders import services as crm
from crm.orders.models import OPEN_STATES, SalesOrder
from finance.journal.booking import check as journal_check
from inventory import services as inventory
from inventory import shipping
from inventory.models import Reservation
from inventory.services import balance_of, check_ledger
from production import execution
from production.models import WorkOrder
from purchasing import services as purchasing
from purchasing.models import PurchaseOrder, PurchasePlanLine
from tests.conftest import make_user, uow_for
from tests.flows.test_order_to_plan import plans, reserved_by_sku, work_orders
from tests.flows.worked_example import build_worked_example, pump_order

D = Decimal
ON = date(2026, 12, 1)
FINISHED = ("done", "cancelled")


# --------------------------------------------------------------------------- what covers each demand


def cover(db) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Per live demand (a line of an open order, a component of a work order not finished): (what it still
    needs, what it holds reserved, its pegged supply to come), counted from the rows themselves."""
    db.flush()
    reserved: dict[tuple[str, int], Decimal] = defaultdict(D)
    for r in db.scalars(select(Reservation).where(Reservation.state == "active")):
        key = ("component", r.work_order_component_id) if r.work_order_component_id is not None \
            else ("line", r.sales_order_line_id)
        reserved[key] += r.qty
    work_orders_ = list(db.scalars(select(WorkOrder)))
    component_of = {(wo.id, c.product_id): c.id for wo in work_orders_ for c in wo.components}
    coming: dict[tuple[str, int], Decimal] = defaultdict(D)
    for wo in work_orders_:
        if wo.state in FINISHED:
            continue
        if wo.parent_work_order_id is not None:
            coming[("component", component_of[(wo.parent_work_order_id, wo.product_id)])] += wo.qty - wo.qty_done
        elif wo.sales_order_line_id is not None:
            coming[("line", wo.sales_order_line_id)] += wo.qty - wo.qty_done
    for plan in db.scalars(select(PurchasePlanLine)):
        left = plan.qty if plan.state == "open" else plan.qty - plan.qty_received if plan.state == "ordered" else D(0)
        key = ("component", plan.work_order_component_id) if plan.work_order_component_id is not None \
            else ("line", plan.sales_order_line_id)
        coming[key] += left
    found = {}
    for order in db.scalars(select(SalesOrder).where(SalesOrder.state.in_([s.value for s in OPEN_STATES]))):
        for line in order.lines:
            key = ("line", line.id)
            found[f"{order.number} line {line.id}"] = (line.qty - line.shipped_qty, reserved[key], coming[key])
            assert line.reserved_qty == reserved[key], f"{order.number}: the line's reserved_qty drifted"
    for wo in work_orders_:
        if wo.state in FINISHED:
            continue
        for c in wo.components:
            key = ("component", c.id)
            found[f"{wo.number} component {c.product_id}"] = (c.qty_required - c.qty_issued, reserved[key], coming[key])
            assert c.qty_reserved == reserved[key], f"{wo.number}: the component's qty_reserved drifted"
    return found


def over_or_under(db) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """The demands whose reserved + pegged supply to come is not what they still need."""
    return {name: c for name, c in cover(db).items() if c[1] + c[2] != c[0]}


# --------------------------------------------------------------------------- the worked example


def test_stock_found_after_order_1_takes_the_place_of_supply_not_started(db, uow):
    example = build_worked_example(uow)
    p = example.products
    order1 = pump_order(uow, example, 10)
    crm.confirm_order(uow, order1.id)
    assert reserved_by_sku(db, example, order1.id) == {
        "PUMP": D(2), "MOTOR": D(3), "HOUSING": D(1), "BOLT": D(32), "GASKET": D(7)}

    for sku, qty in (("PUMP", 2), ("MOTOR", 3), ("HOUSING", 1)):
        inventory.adjust_stock(uow, {"product_id": p[sku], "qty": D(qty), "reason": "found in the yard"})

    # 10 PUMP of cover for 10 ordered: 4 in stock, the work order shrank from 8 to 6 ...
    assert order1.lines[0].reserved_qty == D(4)
    pump_wo, housing_wo = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order1.id)
                                     .order_by(WorkOrder.id))
    assert [(sku, qty, state) for sku, qty, _due, _start, _parent, state in work_orders(db, example, order1.id)] == [
        ("PUMP", D(6), "planned"), ("HOUSING", D(4), "planned")]
    # ... so its components need less: MOTOR 6 all in stock (the plan line of 5 went), HOUSING 6 = 2 in
    # stock + 4 to make, BOLT 24 (8 of the 32 back in stock), and the housings need STEEL 8, GASKET 4
    assert {(example.sku(c.product_id), c.qty_required, c.qty_reserved) for c in pump_wo.components} == {
        ("MOTOR", D(6), D(6)), ("HOUSING", D(6), D(2)), ("BOLT", D(24), D(24))}
    assert {(example.sku(c.product_id), c.qty_required, c.qty_reserved) for c in housing_wo.components} == {
        ("STEEL", D(8), D(0)), ("GASKET", D(4), D(4))}
    assert [(sku, qty, state) for sku, qty, _need, _order, _supplier, state in plans(db, example, order1.id)] == [
        ("MOTOR", D(3), "cancelled"), ("STEEL", D(8), "open")]
    assert reserved_by_sku(db, example, order1.id) == {
        "PUMP": D(4), "MOTOR": D(6), "HOUSING": D(2), "BOLT": D(24), "GASKET": D(4)}
    assert over_or_under(db) == {}
    assert (balance_of(db, p["BOLT"], 1).available, balance_of(db, p["GASKET"], 1).available) == (D(76), D(6))

    # the next order makes and buys only what it lacks
    order2 = pump_order(uow, example, 5)
    crm.confirm_order(uow, order2.id)
    assert reserved_by_sku(db, example, order2.id) == {"BOLT": D(20), "GASKET": D(5)}
    assert [(sku, qty) for sku, qty, *_rest in work_orders(db, example, order2.id)] == [("PUMP", D(5)), ("HOUSING", D(5))]
    assert [(sku, qty, state) for sku, qty, _need, _order, _supplier, state in plans(db, example, order2.id)] == [
        ("MOTOR", D(5), "open"), ("STEEL", D(10), "open")]
    assert over_or_under(db) == {}
    assert check_ledger(db) == []


def test_a_started_work_order_keeps_its_quantity_and_its_parent_shrinks_no_lower_than_it_brings(db, uow):
    example = build_worked_example(uow)
    p = example.products
    order = pump_order(uow, example, 10)
    crm.confirm_order(uow, order.id)
    pump_wo, housing_wo = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order.id)
                                     .order_by(WorkOrder.id))
    inventory.adjust_stock(uow, {"product_id": p["STEEL"], "qty": D(14), "reason": "delivered early"})
    assert [state for *_rest, state in plans(db, example, order.id)] == ["open", "cancelled"]  # STEEL: in stock
    execution.release_work_order(uow, housing_wo.id)
    execution.start_work_order(uow, housing_wo.id)

    # the housings on the shop floor cover the pump work order's need: the new housings stay free
    inventory.adjust_stock(uow, {"product_id": p["HOUSING"], "qty": D(3), "reason": "found"})
    assert (housing_wo.state, housing_wo.qty) == ("in_progress", D(7))
    assert balance_of(db, p["HOUSING"], 1).available == D(3)

    # 2 PUMP found: the pump work order could come down to 6, but the 7 housings being made commit it to 7
    inventory.adjust_stock(uow, {"product_id": p["PUMP"], "qty": D(2), "reason": "found"})
    assert (pump_wo.state, pump_wo.qty) == ("planned", D(7))
    assert order.lines[0].reserved_qty == D(3)
    assert balance_of(db, p["PUMP"], 1).available == D(1)
    housing = next(c for c in pump_wo.components if c.product_id == p["HOUSING"])
    assert (housing.qty_required, housing.qty_reserved) == (D(7), D(0))  # the housing it held went back
    assert balance_of(db, p["HOUSING"], 1).available == D(4)
    assert over_or_under(db) == {}
    assert check_ledger(db) == []


def test_a_plan_line_on_a_purchase_order_is_not_shrunk_until_the_order_is_cancelled(db, uow):
    example = build_worked_example(uow)
    p = example.products
    order = pump_order(uow, example, 10)
    crm.confirm_order(uow, order.id)
    orders = purchasing.create_orders_from_plans(uow, on=ON)
    motors = next(o for o in orders if o.supplier_id == example.suppliers["S1"])
    purchasing.confirm_purchase_order(uow, motors.id)

    inventory.adjust_stock(uow, {"product_id": p["MOTOR"], "qty": D(3), "reason": "found"})

    assert [(example.sku(line.product_id), line.qty) for line in motors.lines] == [("MOTOR", D(5))]
    assert balance_of(db, p["MOTOR"], 1).available == D(3)
    assert over_or_under(db) == {}

    purchasing.cancel_purchase_order(uow, motors.id)

    motor_plan = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.product_id == p["MOTOR"])).one()
    assert (motor_plan.state, motor_plan.qty) == ("open", D(2))
    assert balance_of(db, p["MOTOR"], 1).available == D(0)
    assert over_or_under(db) == {}


def test_a_receipt_covers_the_plans_of_live_demand_and_what_a_cancelled_order_ordered_is_free(db, uow):
    example = build_worked_example(uow)
    p = example.products
    order1, order2 = pump_order(uow, example, 10), pump_order(uow, example, 5)
    crm.confirm_order(uow, order1.id)
    crm.confirm_order(uow, order2.id)
    orders = purchasing.create_orders_from_plans(uow, on=ON)
    motors = next(o for o in orders if o.supplier_id == example.suppliers["S1"])
    purchasing.confirm_purchase_order(uow, motors.id)
    crm.cancel_order(uow, order1.id)  # its motor plan line stays on the purchase order, for no one

    purchasing.receive_purchase_order(uow, motors.id, [{"product_id": p["MOTOR"], "qty": D(5)}])

    pump_wo2 = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order2.id,
                                                  WorkOrder.parent_work_order_id.is_(None))).one()
    motor = next(c for c in pump_wo2.components if c.product_id == p["MOTOR"])
    assert (motor.qty_required, motor.qty_reserved) == (D(5), D(5))
    assert over_or_under(db) == {}
    assert check_ledger(db) == []


# --------------------------------------------------------------------------- any sequence of acts


class Story:
    """Random acts on the worked example (fixed seed): confirmations, purchase orders and receipts,
    adjustments in and out, making, shipping, and cancellations of orders and purchase orders. (Cancelling
    a work order by hand is left out: it leaves its demand uncovered on purpose, for a planner to decide.)"""

    def __init__(self, db, uow, seed: int) -> None:
        self.db, self.uow, self.rng = db, uow, random.Random(seed)
        self.example = build_worked_example(uow, credit_limit=D(0))
        self.admin = uow_for(db, make_user(db, "admin"))
        p, s = self.example.products, self.example.suppliers
        purchasing.set_supplier_price(uow, {"supplier_id": s["S1"], "product_id": p["GASKET"], "price": D("3.5"),
                                            "min_qty": D(5)})
        purchasing.set_supplier_price(uow, {"supplier_id": s["S2"], "product_id": p["BOLT"], "price": D("0.2"),
                                            "min_qty": D(50)})
        self.acts: list[str] = []

    def pick(self, rows):
        rows = list(rows)
        return self.rng.choice(rows) if rows else None

    def qty(self, most: Decimal | int) -> Decimal:
        return D(self.rng.randint(1, max(int(most), 1)))

    def confirm(self) -> None:
        skus = self.rng.sample(["PUMP", "PUMP", "HOUSING", "MOTOR", "GASKET", "BOLT"], self.rng.randint(1, 2))
        lines = {self.example.products[sku]: self.qty(6) for sku in skus}
        order = crm.create_order(self.uow, {
            "customer_id": self.example.customer_id, "requested_date": ON + timedelta(days=self.rng.randint(0, 40)),
            "lines": [{"product_id": pid, "qty": qty} for pid, qty in lines.items()]})
        crm.confirm_order(self.uow, order.id)
        self.acts.append(f"confirm {order.number} {skus}")

    def adjust_in(self) -> None:
        sku = self.rng.choice(sorted(self.example.products))
        qty = self.qty(8)
        inventory.adjust_stock(self.uow, {"product_id": self.example.products[sku], "qty": qty, "reason": "count"})
        self.acts.append(f"adjust {sku} +{qty}")

    def adjust_out(self) -> None:
        sku = self.rng.choice(sorted(self.example.products))
        balance = balance_of(self.db, self.example.products[sku], 1)
        if balance is None or balance.available <= 0:
            return
        qty = self.qty(balance.available)
        inventory.adjust_stock(self.uow, {"product_id": self.example.products[sku], "qty": -qty, "reason": "damaged"})
        self.acts.append(f"adjust {sku} -{qty}")

    def order_plans(self) -> None:
        if not self.db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.state == "open")).first():
            return
        for order in purchasing.create_orders_from_plans(self.uow, on=ON):
            if self.rng.random() < 0.8:
                purchasing.confirm_purchase_order(self.uow, order.id)
            self.acts.append(f"purchase order {order.number} ({order.state})")

    def receive(self) -> None:
        order = self.pick(self.db.scalars(select(PurchaseOrder).where(
            PurchaseOrder.state.in_(["confirmed", "partially_received"])).order_by(PurchaseOrder.id)))
        if order is None:
            return
        line = self.rng.choice([line for line in order.lines if line.qty_open > 0])
        qty = self.qty(line.qty_open)
        purchasing.receive_purchase_order(self.uow, order.id, [{"product_id": line.product_id, "qty": qty}])
        self.acts.append(f"receive {qty} of {self.example.sku(line.product_id)} on {order.number}")

    def cancel_purchase_order(self) -> None:
        order = self.pick(self.db.scalars(select(PurchaseOrder).where(
            PurchaseOrder.state.in_(["draft", "confirmed"])).order_by(PurchaseOrder.id)))
        if order is not None:
            purchasing.cancel_purchase_order(self.uow, order.id)
            self.acts.append(f"cancel {order.number}")

    def make(self) -> None:
        ready = [wo for wo in self.db.scalars(select(WorkOrder).where(
            WorkOrder.state.in_(["planned", "released", "in_progress"])).order_by(WorkOrder.id))
            if wo.state == "in_progress" or wo.components_reserved]
        work_order = self.pick(ready)
        if work_order is None:
            return
        if work_order.state == "planned":
            execution.release_work_order(self.uow, work_order.id)
        if work_order.state == "released":
            execution.start_work_order(self.uow, work_order.id)
        qty = self.qty(work_order.qty_open)
        execution.complete_work_order(self.uow, work_order.id, qty=qty)
        self.acts.append(f"make {qty} on {work_order.number}")

    def ship(self) -> None:
        order = self.pick(o for o in self.db.scalars(select(SalesOrder).where(
            SalesOrder.state.in_(["confirmed", "partially_shipped"])).order_by(SalesOrder.id))
            if any(line.reserved_qty > 0 for line in o.lines))
        if order is None:
            return
        shipment = shipping.create_shipment(self.uow, {"sales_order_id": order.id}, on=ON)
        shipping.ship_shipment(self.uow, shipment.id, on=ON)
        self.acts.append(f"ship {order.number}")

    def cancel_order(self) -> None:
        order = self.pick(self.db.scalars(select(SalesOrder).where(SalesOrder.state == "confirmed")
                                          .order_by(SalesOrder.id)))
        if order is not None:
            crm.cancel_order(self.uow, order.id)
            self.acts.append(f"cancel {order.number}")

    def act(self) -> None:
        acts = [(self.confirm, 3), (self.adjust_in, 3), (self.adjust_out, 1), (self.order_plans, 3),
                (self.receive, 4), (self.cancel_purchase_order, 1), (self.make, 4), (self.ship, 2),
                (self.cancel_order, 1)]
        chosen = self.rng.choices([a for a, _w in acts], weights=[w for _a, w in acts])[0]
        chosen()


@pytest.mark.parametrize("seed", [3, 17, 2026])
def test_after_any_sequence_of_acts_every_demand_is_covered_exactly_once(app, db, uow, seed):
    story = Story(db, uow, seed)
    for _attempt in range(150):  # an act with nothing to act on (no purchase order to receive) does nothing
        if len(story.acts) >= 60:
            break
        try:
            story.act()
        except DomainError as refused:  # a refusal changes nothing; say which act was refused
            pytest.fail(f"{story.acts[-3:]} then a refusal: {refused}")
        wrong = over_or_under(db)
        assert wrong == {}, (story.acts[-4:], {k: tuple(map(str, v)) for k, v in wrong.items()})

    assert len(story.acts) >= 60
    assert check_ledger(db) == []
    assert app.test_cli_runner().invoke(args=["stock", "check"]).exit_code == 0
    assert journal_check(db) == []
