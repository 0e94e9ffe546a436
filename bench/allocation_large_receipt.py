"""Allocation of one large arrival of stock against 10,000 waiting demand lines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import event, func, insert, select

from bench import Figure, Target
from bench._order_to_plan import Suite, count_statements, customer, one_transaction
from core import services as core_services
from core.db import utcnow
from crm.orders.models import SalesOrder, SalesOrderLine
from inventory import services as inventory
from inventory.models import Reservation, StockBalance
from production.models import WorkOrder, WorkOrderComponent

TITLE = "Allocation of one large receipt"
ORDERS, LINES_PER_ORDER, WORK_ORDERS = 2_000, 4, 2_000  # 8,000 order lines + 2,000 components = 10,000
DEMAND = ORDERS * LINES_PER_ORDER + WORK_ORDERS
BUDGET = 10.0  # seconds the 10,000-line allocation may take before it is stopped (and rolled back)
DESCRIPTION = (f"One positive stock adjustment (`inventory.services.adjust_stock`, which hands the new stock to "
               f"`inventory.allocation.allocate` as a goods receipt does) of exactly what {DEMAND:,} waiting "
               f"demand lines of one product lack: {ORDERS * LINES_PER_ORDER:,} lines of {ORDERS:,} confirmed "
               f"sales orders ({LINES_PER_ORDER} lines each, 1 to 5 units) and the components of {WORK_ORDERS:,} "
               "planned work orders (1 to 5 units), with requested and start dates spread over a year. The "
               "waiting demand is written untimed with bulk Core inserts; the one transaction that receives "
               "the stock, reserves it for every line in requested-date order (a reservation per line, the "
               "order lines' reserved quantities, the components' reserved quantities through "
               f"`StockAllocated`) and commits is timed, once, within a budget of {BUDGET:g} s: past it the "
               "transaction is stopped (an exception from a statement listener) and rolled back, and the figure "
               "says how far it got. Then the same, complete, against 1,000 lines (800 order lines of 200 "
               "orders, 200 components), with the SQL statements it sent and, on 10 lines, where they come "
               "from. After a complete allocation every line and component is checked to hold exactly what "
               "it lacked and the ledger to agree with the balances.")
DATABASES = ("sqlite", "postgresql")
SMALL_ORDERS, SMALL_WORK_ORDERS = 200, 200  # 1,000 lines
TINY_ORDERS, TINY_WORK_ORDERS = 2, 2  # 10 lines, with the statements' origins
START = date(2027, 1, 1)


def _qty(i: int) -> Decimal:
    return Decimal(i % 5 + 1)


def waiting_demand(suite: Suite, tag: str, customer_id: int, product_id: int, assembly_id: int, warehouse_id: int,
                   *, orders: int, work_orders: int) -> Decimal:
    """Confirmed orders and planned work orders that lack the product, inserted in bulk; what they lack."""
    now, uow = utcnow(), suite.uow()
    session = uow.session
    orders = session.execute(insert(SalesOrder.__table__).returning(SalesOrder.id, sort_by_parameter_order=True), [
        {"number": f"B{tag}-{n:06d}", "customer_id": customer_id, "warehouse_id": warehouse_id,
         "state": "confirmed", "order_date": START, "requested_date": START + timedelta(days=n * 7919 % 365),
         "currency": "CNY", "created_at": now, "confirmed_on": START} for n in range(orders)]).scalars().all()
    lines = [{"order_id": order_id, "position": position, "product_id": product_id,
              "qty": _qty(n * LINES_PER_ORDER + position), "unit_price": Decimal(10), "tax_rate": Decimal("0.13"),
              "reserved_qty": Decimal(0), "shipped_qty": Decimal(0)}
             for n, order_id in enumerate(orders) for position in range(1, LINES_PER_ORDER + 1)]
    session.execute(insert(SalesOrderLine.__table__), lines)
    work_orders = session.execute(insert(WorkOrder.__table__).returning(WorkOrder.id, sort_by_parameter_order=True), [
        {"number": f"B{tag}-WO-{n:06d}", "product_id": assembly_id, "warehouse_id": warehouse_id, "qty": Decimal(1),
         "state": "planned", "due_date": START + timedelta(days=n * 104729 % 365 + 1),
         "start_date": START + timedelta(days=n * 104729 % 365), "created_at": now}
        for n in range(work_orders)]).scalars().all()
    components = [{"work_order_id": wo_id, "product_id": product_id, "qty_required": _qty(n + 2),
                   "qty_reserved": Decimal(0), "qty_issued": Decimal(0)} for n, wo_id in enumerate(work_orders)]
    session.execute(insert(WorkOrderComponent.__table__), components)
    session.commit()
    session.close()
    return sum((line["qty"] for line in lines), Decimal(0)) + sum((c["qty_required"] for c in components), Decimal(0))


def check_covered(suite: Suite, product_id: int, lacked: Decimal, demand: int) -> str:
    session = suite.uow().session
    short_lines = session.scalar(select(func.count()).select_from(SalesOrderLine).where(
        SalesOrderLine.product_id == product_id, SalesOrderLine.reserved_qty != SalesOrderLine.qty))
    short_components = session.scalar(select(func.count()).select_from(WorkOrderComponent).where(
        WorkOrderComponent.product_id == product_id, WorkOrderComponent.qty_reserved != WorkOrderComponent.qty_required))
    held = session.execute(select(func.count(), func.sum(Reservation.qty)).where(
        Reservation.product_id == product_id, Reservation.state == "active")).one()
    balance = session.scalar(select(StockBalance).where(StockBalance.product_id == product_id))
    mismatches = inventory.check_ledger(session)
    session.close()
    problems = []
    if short_lines or short_components:
        problems.append(f"{short_lines} order lines and {short_components} components NOT covered")
    if held[0] != demand or Decimal(held[1] or 0) != lacked:
        problems.append(f"{held[0]} reservations of {held[1]} (expected {demand} of {lacked})")
    if balance is None or balance.on_hand != lacked or balance.reserved != lacked:
        problems.append(f"balance {balance and (balance.on_hand, balance.reserved)} (expected {lacked} both)")
    verdict = "; ".join(problems) or f"every line and component holds what it lacked ({demand:,} reservations)"
    return verdict + "; " + ("ledger agrees" if not mismatches else f"LEDGER: {mismatches[0]}")


def check_untouched(suite: Suite, product_id: int) -> str:
    """After a rollback: no stock, no reservation, no reserved quantity left behind?"""
    session = suite.uow().session
    left = [session.scalar(select(func.count()).select_from(Reservation).where(Reservation.product_id == product_id)),
            session.scalar(select(func.count()).select_from(SalesOrderLine).where(
                SalesOrderLine.product_id == product_id, SalesOrderLine.reserved_qty != 0)),
            session.scalar(select(func.count()).select_from(WorkOrderComponent).where(
                WorkOrderComponent.product_id == product_id, WorkOrderComponent.qty_reserved != 0)),
            session.scalar(select(func.count()).select_from(StockBalance).where(
                StockBalance.product_id == product_id, StockBalance.on_hand != 0))]
    mismatches = inventory.check_ledger(session)
    session.close()
    verdict = "nothing left behind" if not any(left) else f"LEFT BEHIND (reservations, lines, components, balances): {left}"
    return verdict + "; " + ("ledger agrees" if not mismatches else f"LEDGER: {mismatches[0]}")


class OutOfTime(Exception):
    """Raised from a statement listener when a measurement has used up its budget (its transaction rolls back)."""


@contextmanager
def deadline(engine, seconds: float) -> Iterator[None]:
    stop = time.perf_counter() + seconds

    def check(*_args) -> None:
        if time.perf_counter() > stop:
            raise OutOfTime(f"more than {seconds:g} s")

    event.listen(engine, "before_cursor_execute", check)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", check)


@dataclass
class Lane:
    """A product of its own with its waiting demand."""

    product_id: int
    lacked: Decimal
    demand: int
    prepared: float  # seconds the bulk inserts took


def lane(suite: Suite, tag: str, customer_id: int, warehouse_id: int, *, orders: int, work_orders: int) -> Lane:
    setup = suite.uow()
    with one_transaction(setup):
        product_id, assembly_id = (core_services.create_product(setup, {
            "sku": f"{tag}-{sku}", "name": sku.title(), "kind": kind, "list_price": Decimal(10), "lead_time_days": 5,
            "tax_rate": Decimal("0.13")}).id for sku, kind in (("PART", "buy"), ("ASSY", "make")))
    setup.session.close()
    began = time.perf_counter()
    lacked = waiting_demand(suite, tag, customer_id, product_id, assembly_id, warehouse_id, orders=orders,
                            work_orders=work_orders)
    return Lane(product_id, lacked, orders * LINES_PER_ORDER + work_orders, time.perf_counter() - began)


def receive(suite: Suite, lane: Lane) -> None:
    uow = suite.uow()
    try:
        inventory.adjust_stock(uow, {"product_id": lane.product_id, "qty": lane.lacked,
                                     "reason": "benchmark: one large receipt"})
    finally:
        uow.session.close()


def _reserved_rows(counted) -> int:
    return sum(n for (label, _origin), n in counted.by_statement.items() if label.startswith("INSERT INTO inventory_res"))


def run(target: Target) -> list[Figure]:
    suite = Suite(target, name=f"bench-{__name__.rsplit('.', 1)[-1]}")
    try:
        setup = suite.uow()
        with one_transaction(setup):
            customer_id = customer(setup, "ALLOC-CUST")
            warehouse_id = inventory.default_warehouse_id(setup.session)
        setup.session.close()
        figures = []

        # 10,000 lines, within a time budget: past it the transaction is stopped and rolled back
        big = lane(suite, "ALLOC", customer_id, warehouse_id, orders=ORDERS, work_orders=WORK_ORDERS)
        with count_statements(suite.engine, origins=False) as counted, deadline(suite.engine, BUDGET):
            began = time.perf_counter()
            try:
                receive(suite, big)
                stopped = None
            except Exception as exc:  # noqa: BLE001 - the budget's exception, maybe wrapped by SQLAlchemy
                if not isinstance(exc, OutOfTime) and not isinstance(getattr(exc, "orig", None), OutOfTime):
                    raise
                stopped = exc
            took = time.perf_counter() - began
        done = _reserved_rows(counted)
        if stopped is None:
            value, outcome = f"{took:.2f} s", check_covered(suite, big.product_id, big.lacked, big.demand)
        else:
            pace = took / done if done else float("inf")
            value = f"> {BUDGET:g} s"
            outcome = (f"STOPPED after {BUDGET:g} s and rolled back: {done:,} of {big.demand:,} lines reserved by then "
                       f"({pace * 1000:.1f} ms a line: about {pace * big.demand:.0f} s for all {big.demand:,}); "
                       + check_untouched(suite, big.product_id))
        figures.append(Figure(
            f"{TITLE} against {big.demand:,} waiting lines", target.label, "1 transaction", done, took, "lines/s",
            value=value, note=f"{big.lacked:,} units; {counted.total:,} statements ({counted.flushes:,} ORM flushes)"
                              f", {counted.driver_seconds:.1f} s of the time inside `cursor.execute`; {outcome}; "
                              f"set-up (bulk inserts, untimed) {big.prepared:.1f} s"))

        # a complete allocation against fewer lines: its time, its statements, and that it is right
        small = lane(suite, "ALLOCS", customer_id, warehouse_id, orders=SMALL_ORDERS, work_orders=SMALL_WORK_ORDERS)
        with count_statements(suite.engine, origins=False) as counted:
            began = time.perf_counter()
            receive(suite, small)
            took = time.perf_counter() - began
        rows = ["| statements | statement |", "| ---: | --- |"]
        rows += [f"| {n:,} | `{label}` |" for (label, _origin), n in counted.by_statement.most_common()]
        # where they come from, on a few lines (walking the stack for every statement is slow)
        tiny = lane(suite, "ALLOCT", customer_id, warehouse_id, orders=TINY_ORDERS, work_orders=TINY_WORK_ORDERS)
        with count_statements(suite.engine) as traced:
            receive(suite, tiny)
        figures.append(Figure(
            f"{TITLE} against {small.demand:,} waiting lines", target.label, "1 transaction", small.demand, took,
            "lines/s", latencies_ms=[took * 1000], value=f"{took:.2f} s",
            note=f"{small.lacked:,} units; {counted.total:,} statements ({counted.total / small.demand:.1f} a line; "
                 f"{counted.flushes:,} ORM flushes), {counted.driver_seconds:.2f} s of it inside `cursor.execute`; "
                 f"{check_covered(suite, small.product_id, small.lacked, small.demand)}",
            detail=(f"Statements sent by the one transaction that adjusts the stock of a product {small.demand:,} "
                    f"lines wait for ({SMALL_ORDERS * LINES_PER_ORDER:,} sales order lines, {SMALL_WORK_ORDERS:,} "
                    "work order components) and allocates it (an `executemany` of N rows counts N), most "
                    "frequent first.\n\n" + "\n".join(rows)
                    + "\n\nTime inside `cursor.execute`, by statement.\n\n" + counted.time_table(1)
                    + f"\n\nWhere they come from: the same for {tiny.demand} lines ({TINY_ORDERS * LINES_PER_ORDER} "
                    f"order lines, {TINY_WORK_ORDERS} components), by statement and line of project code "
                    "(`(autoflush)`: flushed before a query there).\n\n" + traced.table(1))))
        return figures
    finally:
        suite.close()
