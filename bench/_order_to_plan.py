"""Shared plumbing of the order-to-plan benchmarks (not a benchmark itself: the name starts with `_`).

The worked example of issue 3, built through the services with unique SKUs per "lane":
PUMP (make, list price 5000, lead 3), HOUSING (make, lead 2), MOTOR (buy, lead 10, S1), BOLT (buy,
lead 5, S2), STEEL (buy, lead 7, S2), GASKET (buy, lead 4, S1); BOM PUMP = 1 MOTOR + 1 HOUSING + 4 BOLT,
HOUSING = 2 STEEL + 1 GASKET; stock PUMP 2, MOTOR 3, HOUSING 1, BOLT 100, STEEL 0, GASKET 10.
An order of 10 PUMP on a lane is "order 1": it reserves PUMP 2, MOTOR 3, HOUSING 1, BOLT 32, GASKET 7,
plans work orders PUMP 8 and HOUSING 7 and purchase plan lines MOTOR 5 and STEEL 14. Cancelling that order
gives its stock back, so the next order meets the same fresh stock (topping the stock up instead would
go to the order still waiting: stock in hand takes the place of its supply not started, docs/supply.md);
an order shipped in full took its stock away, and topping the lane up by what order 1 reserved puts it back.

`rounds` runs confirmations in rounds: before each round every client (untimed) tops up the stock
of its lanes and enters one draft order per lane; then all clients confirm their drafts at once
(timed); the figures count only the timed windows. `count_statements` counts the SQL statements
sent while it is open, grouped by statement and by the line of project code that sent them.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from bench import Run, Target
from core import services as core_services
from core.app import create_app
from core.config import Settings
from core.uow import UnitOfWork
from crm.orders import services as crm
from crm.orders.models import SalesOrder
from inventory import services as inventory
from inventory.models import Reservation
from production import services as production
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine

REQUESTED = date(2026, 12, 31)
CREDIT_LIMIT = Decimal("1000000000")  # a limit, so the credit check runs in full (customer row locked), never refusing
OPENING = {"PUMP": 2, "MOTOR": 3, "HOUSING": 1, "BOLT": 100, "GASKET": 10}
ORDER_1_RESERVES = {"PUMP": 2, "MOTOR": 3, "HOUSING": 1, "BOLT": 32, "GASKET": 7}
PRODUCTS = [("PUMP", "make", "5000", 3, None), ("HOUSING", "make", "0", 2, None),
            ("MOTOR", "buy", "0", 10, "S1"), ("BOLT", "buy", "0", 5, "S2"),
            ("STEEL", "buy", "0", 7, "S2"), ("GASKET", "buy", "0", 4, "S1")]
ROOT = Path(__file__).resolve().parent.parent
MIN_ROUNDS = 3  # timed rounds at least, so that one stall of the machine does not make the figure...
MAX_WINDOW = 3  # ...unless they take longer than this many times the measurement's seconds


def named(target: Target, name: str) -> str:
    """The target's URL with a PostgreSQL `application_name`, so that its sessions can be told apart
    from anything else the server runs (see `sample_lock_waits`)."""
    return f"{target.url}&application_name={name}" if target.dialect == "postgresql" else target.url


class Suite:
    """The app of one target (its events wiring and engine), and units of work without an actor."""

    def __init__(self, target: Target, *, pool_size: int = 5, name: str = "bench") -> None:
        from core.db import make_engine

        self.name = name
        self.engine = make_engine(named(target, name), pool_size=pool_size, max_overflow=4)
        settings = Settings.from_env({"DATABASE_URL": target.url, "SECRET_KEY": "bench-secret",
                                      "INSTANCE_PATH": str(target.workdir / "instance")})
        self.app = create_app(settings, engine=self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.app.extensions["db"].sessionmaker(), events=self.app.extensions["events"])

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def one_transaction(uow: UnitOfWork) -> Iterator[None]:
    """Several service calls in one transaction (set-up work, not measured)."""
    try:
        with uow.batch():
            yield
        uow.commit()
    except BaseException:
        uow.rollback()
        raise


# --------------------------------------------------------------------------- the worked example


@dataclass
class Lane:
    """One copy of the worked example's products and BOMs, with the customer whose orders use it."""

    customer_id: int
    products: dict[str, int]
    used: bool = False
    last_order: int | None = None  # the lane's last confirmed order


def suppliers(uow: UnitOfWork, tag: str) -> dict[str, int]:
    with one_transaction(uow):
        return {code: core_services.create_supplier(uow, {"code": f"{tag}{code}", "name": f"Supplier {code}"}).id
                for code in ("S1", "S2")}


def customer(uow: UnitOfWork, code: str, *, credit_limit: Decimal = CREDIT_LIMIT) -> int:
    found = core_services.create_customer(uow, {"code": code, "name": f"Water Works {code}",
                                                "credit_limit": credit_limit})
    return found.id


def build_lanes(uow: UnitOfWork, tag: str, count: int, *, customer_id: int, supplier_ids: dict[str, int]) -> list[Lane]:
    """`count` copies of the worked example (products, BOMs, opening stock), in one transaction."""
    lanes = []
    with one_transaction(uow):
        for n in range(count):
            products = {}
            for sku, kind, price, lead, supplier in PRODUCTS:
                products[sku] = core_services.create_product(uow, {
                    "sku": f"{tag}{n}-{sku}", "name": sku.title(), "kind": kind, "list_price": Decimal(price),
                    "lead_time_days": lead, "tax_rate": Decimal("0.13"),
                    "default_supplier_id": supplier_ids[supplier] if supplier else None}).id
            production.create_bom(uow, {"product_id": products["HOUSING"], "lines": [
                {"component_id": products["STEEL"], "qty": Decimal(2)},
                {"component_id": products["GASKET"], "qty": Decimal(1)}]})
            production.create_bom(uow, {"product_id": products["PUMP"], "lines": [
                {"component_id": products["MOTOR"], "qty": Decimal(1)},
                {"component_id": products["HOUSING"], "qty": Decimal(1)},
                {"component_id": products["BOLT"], "qty": Decimal(4)}]})
            for sku, qty in OPENING.items():
                inventory.adjust_stock(uow, {"product_id": products[sku], "qty": Decimal(qty),
                                             "reason": "opening stock"})
            lanes.append(Lane(customer_id, products))
    return lanes


def prepare_round(uow: UnitOfWork, lanes: list[Lane]) -> list[int]:
    """Give each lane back the stock that its last order took, and enter one order of 10 PUMP per lane:
    an order still waiting for its supply is cancelled (its stock is free again), one shipped is
    replaced by topping the stock up by what order 1 reserved."""
    drafts = []
    with one_transaction(uow):
        for lane in lanes:
            if lane.used:  # its last order was confirmed (a round that was not run leaves it unused)
                last = uow.session.get(SalesOrder, lane.last_order) if lane.last_order is not None else None
                if last is not None and last.state == "confirmed":
                    crm.cancel_order(uow, last.id)
                else:
                    for sku, qty in ORDER_1_RESERVES.items():
                        inventory.adjust_stock(uow, {"product_id": lane.products[sku], "qty": Decimal(qty),
                                                     "reason": "benchmark: fresh stock for the next round"})
                lane.used = False
            drafts.append(pump_order(uow, lane, 10))
    uow.session.close()
    return drafts


def pump_order(uow: UnitOfWork, lane: Lane, qty: int) -> int:
    return crm.create_order(uow, {"customer_id": lane.customer_id, "requested_date": REQUESTED,
                                  "lines": [{"product_id": lane.products["PUMP"], "qty": Decimal(qty)}]}).id


def check_like_order_1(uow: UnitOfWork, order_ids: list[int]) -> str:
    """Did every confirmed order come out exactly as order 1? And does the ledger agree with the balances?
    (An order cancelled to give its stock back to the next round still shows what its confirmation
    reserved, released since, and its cancelled work orders and plan lines.)"""
    session = uow.session
    ids = sorted(set(order_ids))
    reserved = dict(session.execute(
        select(Reservation.sales_order_id, func.sum(Reservation.qty)).where(
            Reservation.sales_order_id.in_(ids), Reservation.state.in_(["active", "released"]))
        .group_by(Reservation.sales_order_id)).all())
    wos = dict(session.execute(select(WorkOrder.sales_order_id, func.count()).where(
        WorkOrder.sales_order_id.in_(ids)).group_by(WorkOrder.sales_order_id)).all())
    plans = dict(session.execute(select(PurchasePlanLine.sales_order_id, func.sum(PurchasePlanLine.qty)).where(
        PurchasePlanLine.sales_order_id.in_(ids)).group_by(PurchasePlanLine.sales_order_id)).all())
    expected = Decimal(sum(ORDER_1_RESERVES.values()))
    wrong = [i for i in ids
             if Decimal(reserved.get(i) or 0) != expected or wos.get(i) != 2 or Decimal(plans.get(i) or 0) != 19]
    mismatches = inventory.check_ledger(session)
    session.close()
    verdict = ("each like order 1 (reserved 45 units, 2 work orders, 19 units planned)" if not wrong
               else f"{len(wrong)} of {len(ids)} NOT like order 1 (first: order {wrong[0]})")
    return f"{len(ids)} orders {verdict}; " + ("ledger agrees" if not mismatches else f"LEDGER: {mismatches[0]}")


# --------------------------------------------------------------------------- rounds


@dataclass
class Rounds:
    run: Run
    order_ids: list[int] = field(default_factory=list)
    rounds: int = 0

    @property
    def timed_rounds(self) -> str:
        return f"{self.rounds} timed round{'s' if self.rounds != 1 else ''}"


def rounds(lanes: list[list[Lane]], *, make_uow: Callable[[], UnitOfWork],
           make_confirm: Callable[[], Callable[[int], None]], seconds: float, max_orders: int) -> Rounds:
    """One thread per client (`lanes[i]` are client i's lanes). Round 0 is a warm-up. A round's window
    runs from the moment all clients start confirming to the moment the last one is done; the rate is
    the orders confirmed in the timed windows over the sum of those windows. Rounds go on until the
    windows add up to `seconds` and there were `MIN_ROUNDS` of them (or `MAX_WINDOW` times `seconds`)."""
    clients = len(lanes)
    start, finish = threading.Barrier(clients + 1), threading.Barrier(clients + 1)
    state = {"stop": False}
    lock = threading.Lock()
    latencies: list[float] = []
    confirmed: list[int] = []
    errors: list[BaseException] = []

    def client(mine: list[Lane]) -> None:
        try:
            uow, confirm = make_uow(), make_confirm()
            first = True
            while True:
                drafts = prepare_round(uow, mine)
                start.wait()
                if state["stop"]:
                    return
                timed = []
                for lane, order_id in zip(mine, drafts, strict=True):
                    began = time.perf_counter()
                    confirm(order_id)
                    timed.append((time.perf_counter() - began) * 1000)
                    lane.used, lane.last_order = True, order_id
                with lock:
                    confirmed.extend(drafts)
                    if not first:
                        latencies.extend(timed)
                first = False
                finish.wait()
        except BaseException as exc:  # noqa: BLE001 - raised in the caller below
            errors.append(exc)
            start.abort()
            finish.abort()

    threads = [threading.Thread(target=client, args=(mine,), daemon=True) for mine in lanes]
    for thread in threads:
        thread.start()
    window, done, per_round = 0.0, 0, sum(len(mine) for mine in lanes)
    count = -1  # round 0 warms up
    try:
        while True:
            enough = window >= seconds and count >= MIN_ROUNDS or window >= MAX_WINDOW * seconds
            state["stop"] = count >= 0 and (enough or done + per_round > max_orders)
            start.wait()
            if state["stop"]:
                break
            began = time.perf_counter()
            finish.wait()
            if count >= 0:
                window += time.perf_counter() - began
                done += per_round
            count += 1
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return Rounds(Run(len(latencies), window, latencies), confirmed, count)


# --------------------------------------------------------------------------- counting statements


def _label(sql: str, many: bool) -> str:
    s = " ".join(sql.split())
    rows = (" (multi-row)" if " FROM (VALUES " in s or re.search(r"VALUES \(.*?\), \(", s)
            else " (executemany)" if many else "")
    if m := re.match(r"INSERT INTO (\w+)", s):
        upsert = " ON CONFLICT DO UPDATE" if "DO UPDATE" in s else " ON CONFLICT DO NOTHING" if "DO NOTHING" in s else ""
        return f"INSERT INTO {m[1]}{upsert}{rows}"
    if m := re.match(r"UPDATE (\w+) SET (.*?) WHERE", s):
        columns = ", ".join(c.split("=")[0].strip() for c in m[2].split(", "))
        return " ".join(("UPDATE", m[1], "SET", columns)) + rows
    if m := re.match(r"DELETE FROM (\w+)", s):
        return " ".join(("DELETE FROM", m[1]))
    if s.startswith("WITH RECURSIVE"):
        return "WITH RECURSIVE bom_tree … (BOM tree)"
    if m := re.search(r" FROM (\w+)", s):
        what = "sum(…)" if "sum(" in s else "count(…)" if "count(" in s else "…"
        where = re.search(r" WHERE (\w+\.\w+) (=|IN)", s)
        by = f" WHERE {where[1].split('.', 1)[1]} {where[2]}" if where else ""
        return " ".join(("SELECT", what, "FROM", m[1])) + by + (" FOR UPDATE" if "FOR UPDATE" in s else "")
    return s[:60]


def _origin() -> str:
    """The innermost line of project code (not the library, not the bench) that sent the statement."""
    flush = ""
    for frame in reversed(traceback.extract_stack()):
        name = frame.filename
        if "sqlalchemy/orm/session.py" in name and frame.name in ("_autoflush", "_flush") and flush != " (autoflush)":
            flush = " (autoflush)" if frame.name == "_autoflush" else " (flush)"
        if name.startswith(str(ROOT)) and "/.venv/" not in name and "/bench/" not in name:
            return f"`{Path(name).relative_to(ROOT)}:{frame.lineno}` {frame.name}{flush}"
    return "?"


@dataclass
class Statements:
    by_statement: Counter = field(default_factory=Counter)  # (label, origin) -> count
    commits: int = 0
    flushes: int = 0  # ORM session flushes (each runs the unit of work and the audit hooks)
    driver_seconds: float = 0.0  # spent inside cursor.execute (round trip and the server's work)
    seconds_by_statement: Counter = field(default_factory=Counter)  # label -> seconds inside cursor.execute

    @property
    def total(self) -> int:
        return sum(self.by_statement.values())

    def table(self, per: int) -> str:
        rows = ["| statements | statement | sent from |", "| ---: | --- | --- |"]
        for (label, origin), n in self.by_statement.items():  # in the order they were first sent
            rows.append(f"| {n / per:g} | `{label}` | {origin} |")
        return "\n".join(rows)

    def time_table(self, per: int) -> str:
        rows = ["| ms | statement |", "| ---: | --- |"]
        for label, seconds in self.seconds_by_statement.most_common():
            rows.append(f"| {seconds / per * 1000:.1f} | `{label}` |")
        return "\n".join(rows)


@contextmanager
def count_statements(engine, *, origins: bool = True) -> Iterator[Statements]:
    """Count statements (with `origins`, also where they come from: slow, it walks the stack)."""
    found = Statements()
    began: list[tuple[str, float]] = []

    def on_execute(_conn, _cursor, statement, params, _context, executemany):
        # an executemany of N parameter sets is N statements for the server (psycopg pipelines them)
        sets = (len(params) if executemany and isinstance(params, list | tuple) and params
                and isinstance(params[0], dict | list | tuple) else 1)
        label = _label(statement, executemany)
        found.by_statement[(label, _origin() if origins else "")] += sets
        began.append((label, time.perf_counter()))

    def on_executed(*_args):
        if began:
            label, at = began.pop()
            found.driver_seconds += time.perf_counter() - at
            found.seconds_by_statement[label] += time.perf_counter() - at

    def on_commit(_conn):
        found.commits += 1

    def on_flush(session, _context):
        if session.get_bind() is engine:
            found.flushes += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "after_cursor_execute", on_executed)
    event.listen(engine, "commit", on_commit)
    event.listen(Session, "after_flush", on_flush)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "after_cursor_execute", on_executed)
        event.remove(engine, "commit", on_commit)
        event.remove(Session, "after_flush", on_flush)


# --------------------------------------------------------------------------- who waits for which lock


@dataclass
class Waits:
    samples: int = 0  # active backends seen, summed over the samples
    waiting: Counter = field(default_factory=Counter)  # statement waiting for a lock -> times seen
    events: Counter = field(default_factory=Counter)  # "Lock:transactionid", "IO:WALSync", "CPU" -> times seen

    def summary(self) -> str:
        if not self.samples:
            return "no active backend sampled"
        locked = sum(self.waiting.values())
        share = f"{locked / self.samples:.0%} of active backend samples waiting for a lock"
        if locked:
            share += " (" + ", ".join(f"`{label}` {n / locked:.0%}" for label, n in self.waiting.most_common(3)) + ")"
        others = [(event, n) for event, n in self.events.most_common() if not event.startswith("Lock")][:2]
        return share + "".join(f", {event} {n / self.samples:.0%}" for event, n in others)


@contextmanager
def sample_lock_waits(engine, application_name: str, *, every: float = 0.01) -> Iterator[Waits]:
    """Every `every` seconds, look at this benchmark's sessions in `pg_stat_activity` (by
    `application_name`) and count the active ones, what they wait for, and, by statement, those
    waiting for a lock."""
    found = Waits()
    if engine.dialect.name != "postgresql":
        yield found
        return
    stop = threading.Event()
    query = text("SELECT wait_event_type, wait_event, query FROM pg_stat_activity "
                 "WHERE application_name = :name AND state = 'active' AND pid <> pg_backend_pid()")

    def sample() -> None:
        with engine.connect() as conn:
            while not stop.wait(every):
                for wait_type, wait_event, sql in conn.execute(query, {"name": application_name}):
                    found.samples += 1
                    found.events[f"{wait_type}:{wait_event}" if wait_type else "running (CPU)"] += 1
                    if wait_type == "Lock":
                        found.waiting[_label(sql or "", False)] += 1
                conn.rollback()

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        stop.set()
        thread.join(timeout=10)
