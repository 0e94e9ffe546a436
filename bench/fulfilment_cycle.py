"""The whole order-to-shipment cycle through the service layer, for orders shaped like order 1."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from bench import SECONDS, Figure, Target, clients_label
from bench._order_to_plan import (
    Lane,
    Suite,
    build_lanes,
    count_statements,
    customer,
    one_transaction,
    prepare_round,
    rounds,
    sample_lock_waits,
    suppliers,
)
from core.uow import UnitOfWork
from crm.orders import services as crm
from crm.orders.models import SalesOrder
from inventory import shipping
from inventory.models import Reservation
from inventory.services import check_ledger
from production import execution
from production.models import WorkOrder
from purchasing import services as purchasing
from purchasing.models import PlanState, PurchaseOrder, PurchasePlanLine

TITLE = "Order-to-shipment cycle (service layer)"
DESCRIPTION = ("The whole fulfilment of orders shaped like order 1 of the worked example (10 PUMP), each step a "
               "service call in a transaction and session of its own, as a request has: "
               "`crm.orders.services.confirm_order`; `purchasing.services.create_orders_from_plans` for the order's plan "
               "lines (MOTOR 5 to S1, STEEL 14 to S2: two purchase orders); `confirm_purchase_order` and "
               "`receive_purchase_order` of each in full (the receipts allocated to the pegged work order "
               "components); `production.execution` release, start and complete of the HOUSING work order (7, "
               "reserved for the PUMP work order) and then of the PUMP work order (8, reserved for the order "
               "line); `inventory.shipping.create_shipment` and `ship_shipment` of all 10 - 14 transactions "
               "per order. 1 and 4 parallel clients (threads), each with its own customer and copies of the "
               "example's products; run in rounds as the confirmation benchmark is (before each round, untimed, "
               "the stock order 1 consumes is put back and one draft per copy is entered; only the cycles are "
               "timed). Afterwards every order is checked to be shipped in full with nothing left reserved or "
               "planned for it, and the ledger to agree with the balances. Also: the SQL statements of one "
               "cycle, by step.")
DATABASES = ("postgresql",)
LANES_PER_CLIENT = 2
CLIENTS = (1, 4)
MAX_ORDERS = 400
ON = date(2026, 12, 1)
PRICES = {"MOTOR": ("S1", "800"), "STEEL": ("S2", "50")}
STEPS = ("confirm order", "purchase orders from plans", "confirm purchase orders", "receive purchase orders",
         "release, start, complete HOUSING", "release, start, complete PUMP", "create and ship shipment")


def cycle(make_uow: Callable[[], UnitOfWork], order_id: int, *,
          step: Callable[[str], None] = lambda _name: None) -> None:
    """Carry one confirmed-to-be draft order through to its shipment; every call in a fresh session."""

    def call(service, *args, **kwargs):
        uow = make_uow()
        try:
            return service(uow, *args, **kwargs)
        finally:
            uow.session.close()

    def read(statement):
        uow = make_uow()
        try:
            return list(uow.session.execute(statement))
        finally:
            uow.session.close()

    step(STEPS[0])
    call(crm.confirm_order, order_id)
    step(STEPS[1])
    plan_ids = [plan_id for (plan_id,) in read(select(PurchasePlanLine.id).where(
        PurchasePlanLine.sales_order_id == order_id, PurchasePlanLine.state == PlanState.OPEN))]
    orders = [(order.id, [{"product_id": line.product_id, "qty": line.qty} for line in order.lines])
              for order in call(purchasing.create_orders_from_plans, plan_ids, on=ON)]
    step(STEPS[2])
    for po_id, _lines in orders:
        call(purchasing.confirm_purchase_order, po_id)
    step(STEPS[3])
    for po_id, lines in orders:
        call(purchasing.receive_purchase_order, po_id, lines)
    step(STEPS[4])
    work_orders = read(select(WorkOrder.id, WorkOrder.qty, WorkOrder.parent_work_order_id)
                       .where(WorkOrder.sales_order_id == order_id))
    child_first = sorted(work_orders, key=lambda wo: wo.parent_work_order_id is None)
    for index, (wo_id, qty, _parent) in enumerate(child_first):
        if index:
            step(STEPS[5])
        call(execution.release_work_order, wo_id)
        call(execution.start_work_order, wo_id)
        call(execution.complete_work_order, wo_id, qty=qty)
    step(STEPS[6])
    shipment_id = call(shipping.create_shipment, {"sales_order_id": order_id}, on=ON).id
    call(shipping.ship_shipment, shipment_id, on=ON)


def check_shipped(uow: UnitOfWork, order_ids: list[int]) -> str:
    """Is every order shipped in full, with nothing reserved or planned left for it? Does the ledger agree?"""
    session = uow.session
    ids = sorted(set(order_ids))
    orders = {o.id: o for o in session.scalars(select(SalesOrder).where(SalesOrder.id.in_(ids)))}
    locked = dict(session.execute(select(Reservation.sales_order_id, func.count()).where(
        Reservation.sales_order_id.in_(ids), Reservation.state == "active").group_by(Reservation.sales_order_id)).all())
    open_plans = dict(session.execute(select(PurchasePlanLine.sales_order_id, func.count()).where(
        PurchasePlanLine.sales_order_id.in_(ids), PurchasePlanLine.state == PlanState.OPEN)
        .group_by(PurchasePlanLine.sales_order_id)).all())
    unfinished = dict(session.execute(select(WorkOrder.sales_order_id, func.count()).where(
        WorkOrder.sales_order_id.in_(ids), WorkOrder.state != "done").group_by(WorkOrder.sales_order_id)).all())
    wrong = [i for i in ids if i not in orders or orders[i].state != "shipped"
             or orders[i].shipment_status != "shipped" or locked.get(i) or open_plans.get(i) or unfinished.get(i)
             or [line.shipped_qty for line in orders[i].lines] != [Decimal(10)]]
    received = session.scalar(select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.state != "received"))
    mismatches = check_ledger(session)
    session.close()
    verdict = ("each shipped in full (10 PUMP), no lock, open plan or open work order left" if not wrong
               else f"{len(wrong)} of {len(ids)} NOT shipped in full (first: order {wrong[0]})")
    verdict += "" if not received else f"; {received} purchase orders NOT received"
    return f"{len(ids)} orders {verdict}; " + ("ledger agrees" if not mismatches else f"LEDGER: {mismatches[0]}")


def set_prices(uow: UnitOfWork, lanes: list[Lane], supplier_ids: dict[str, int]) -> None:
    with one_transaction(uow):
        for lane in lanes:
            for sku, (supplier, price) in PRICES.items():
                purchasing.set_supplier_price(uow, {"supplier_id": supplier_ids[supplier],
                                                    "product_id": lane.products[sku], "price": Decimal(price)})


def run(target: Target) -> list[Figure]:
    suite = Suite(target, pool_size=10, name=f"bench-{__name__.rsplit('.', 1)[-1]}")
    try:
        setup = suite.uow()
        supplier_ids = suppliers(setup, "FC")
        lanes = []
        for client in range(max(CLIENTS)):
            customer_id = customer(setup, f"FC-CUST{client}")
            mine = build_lanes(setup, f"FC{client}L", LANES_PER_CLIENT, customer_id=customer_id,
                               supplier_ids=supplier_ids)
            set_prices(setup, mine, supplier_ids)
            lanes.append(mine)
        setup.session.close()

        def make_cycle():
            return lambda order_id: cycle(suite.uow, order_id)

        figures = []
        for clients in CLIENTS:
            with sample_lock_waits(suite.engine, suite.name) as waits:
                found = rounds(lanes[:clients], make_uow=suite.uow, make_confirm=make_cycle, seconds=SECONDS,
                               max_orders=MAX_ORDERS)
            figures.append(Figure(
                TITLE, target.label, clients_label(clients), found.run.count, found.run.seconds, "orders/s",
                found.run.latencies_ms,
                note=f"{found.timed_rounds}; latency = one order's whole cycle (14 transactions); "
                     f"{check_shipped(suite.uow(), found.order_ids)}; {waits.summary()}"))

        # the statements of one cycle, by step (each step's statements counted on their own)
        drafts = prepare_round(suite.uow(), lanes[0])
        per_step: dict[str, int] = dict.fromkeys(STEPS, 0)
        current = {"name": STEPS[0], "before": 0}
        with count_statements(suite.engine, origins=False) as counted:
            def step(name: str) -> None:
                per_step[current["name"]] += counted.total - current["before"]
                current.update(name=name, before=counted.total)

            began = time.perf_counter()
            for order_id in drafts:
                cycle(suite.uow, order_id, step=step)
                step(STEPS[0])
            took = (time.perf_counter() - began) / len(drafts) * 1000
        for lane in lanes[0]:
            lane.used = True
        check = check_shipped(suite.uow(), drafts)
        per = counted.total / len(drafts)
        rows = ["| statements | step |", "| ---: | --- |"]
        rows += [f"| {n / len(drafts):g} | {name} |" for name, n in per_step.items()]
        figures.append(Figure(
            "SQL statements per order-to-shipment cycle (order 1)", target.label, "sequential", len(drafts), 0.0,
            "", value=f"{per:g} statements",
            note=f"average over {len(drafts)} cycles, BEGIN/COMMIT not counted ({counted.commits / len(drafts):g} "
                 f"commits, {counted.flushes / len(drafts):g} ORM flushes each); {took:.0f} ms per cycle, "
                 f"{counted.driver_seconds / len(drafts) * 1000:.0f} ms of it inside `cursor.execute`; {check}",
            detail=("Statements per cycle of an order like order 1, by step (the reads that find the order's "
                    "plan lines and work orders count with the step that uses them).\n\n" + "\n".join(rows)
                    + "\n\nTime inside `cursor.execute` per cycle, by statement.\n\n"
                    + counted.time_table(len(drafts)))))
        return figures
    finally:
        suite.close()
