"""Hot product: 16 clients reserving the same product, against pgbench on one row in the same run."""

from __future__ import annotations

import collections
import glob
import os
import re
import shutil
import subprocess
import threading
import time
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench import POSTGRES_URL, SECONDS, Figure, Target, parallel
from bench._order_to_plan import REQUESTED, Suite, customer, one_transaction, sample_lock_waits, suppliers
from core import services as core_services
from crm.orders import services as crm
from inventory import services as inventory
from inventory.models import Reservation, StockBalance
from inventory.reservations import Holder, lock_balances, reserve_available

TITLE = "Hot product"
CLIENTS = 16
DESCRIPTION = ("16 clients (threads, a connection each) reserving one unit at a time of the same product, "
               "so that every reservation queues on the same balance row, in two ways: (a) "
               "`crm.orders.services.confirm_order` of one-line orders for 1 unit of one `buy` product (a customer "
               "per client, the credit check included), the only way the suite reserves stock; (b) inventory's "
               "locking step alone, as the explosion calls it: `inventory.reservations.lock_balances` (`SELECT ... "
               "FOR UPDATE`) + `reserve_available` + commit, in a unit of work of its own. Both are compared "
               "with `pgbench` running `UPDATE ... SET qty = qty - 1 WHERE id = 1 AND qty >= 1` on a one-row "
               "table with 16 clients in the same run. Zero oversell: afterwards the balance's reserved "
               "equals the sum of the active reservations and the count of units reserved, and never exceeds "
               "on hand; and 16 clients reserving a product with 200 units on hand until it runs out "
               "must get exactly 200.")
DATABASES = ("postgresql",)
GOAL = 0.30  # of pgbench's rate
ORDERS = CLIENTS * 3 + 240  # drafts entered beforehand (warm-up + the most the window can use)
SCARCE = 200


def _pgbench_binary() -> str | None:
    return shutil.which("pgbench") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"),
                                                       reverse=True)), None)


def pgbench(target: Target, suite: Suite) -> Figure:
    name = "pgbench: one-row UPDATE qty = qty - 1 WHERE qty >= 1"
    binary = _pgbench_binary()
    if binary is None:
        return Figure(name, target.label, f"{CLIENTS} clients", 0, 0.0, "", error="pgbench not found")
    start = 1_000_000_000
    with suite.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_hot_row (id integer PRIMARY KEY, qty bigint NOT NULL)"))
        conn.execute(text("INSERT INTO bench_hot_row VALUES (1, :qty)"), {"qty": start})
    script = target.workdir / "hot_row.sql"
    script.write_text("UPDATE bench_hot_row SET qty = qty - 1 WHERE id = 1 AND qty >= 1;\n")
    url, schema_url = make_url(POSTGRES_URL), make_url(target.url)
    env = dict(os.environ, PGOPTIONS=schema_url.query["options"])  # search_path of the benchmark's schema
    logs = target.workdir / "pgbench-log"
    logs.mkdir()
    answer = subprocess.run(
        [binary, "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(max(1, round(SECONDS))), "-f", str(script),
         "-l", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
         url.database or "test"],
        cwd=logs, env=env, capture_output=True, text=True, timeout=60)
    if answer.returncode != 0:
        return Figure(name, target.label, f"{CLIENTS} clients", 0, 0.0, "", error=answer.stderr.strip()[-300:])
    done = int(re.search(r"number of transactions actually processed: (\d+)", answer.stdout)[1])
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", answer.stdout)[1])
    latencies = [int(line.split()[2]) / 1000 for path in logs.iterdir() for line in path.read_text().splitlines()]
    with suite.engine.connect() as conn:
        left = conn.execute(text("SELECT qty FROM bench_hot_row WHERE id = 1")).scalar_one()
    note = f"{done} updates, the row went down by {start - left}" + ("" if start - left == done else " (MISMATCH)")
    return Figure(name, target.label, f"{CLIENTS} clients", done, done / tps, "updates/s", latencies, note=note)


def _hot_product(suite: Suite, supplier_id: int, sku: str, on_hand: int) -> int:
    uow = suite.uow()
    with one_transaction(uow):
        product = core_services.create_product(uow, {
            "sku": sku, "name": "Hot product", "kind": "buy", "list_price": Decimal(10), "lead_time_days": 5,
            "tax_rate": Decimal("0.13"), "default_supplier_id": supplier_id})
        inventory.adjust_stock(uow, {"product_id": product.id, "qty": Decimal(on_hand), "reason": "opening stock"})
    uow.session.close()
    return product.id


def _oversell(suite: Suite, product_id: int, units: int) -> str:
    """Reserved on the balance = sum of the active reservations = units handed out, and ≤ on hand."""
    with suite.engine.connect() as conn:
        balance = conn.execute(select(StockBalance.on_hand, StockBalance.reserved)
                               .where(StockBalance.product_id == product_id)).one()
        locked = conn.execute(select(func.coalesce(func.sum(Reservation.qty), 0))
                              .where(Reservation.product_id == product_id, Reservation.state == "active")).scalar_one()
    fine = balance.reserved == locked == units and balance.reserved <= balance.on_hand
    return (f"{'zero oversell' if fine else 'OVERSOLD OR LOST'}: reserved {_qty(balance.reserved)} = "
            f"reservations {_qty(locked)} = units {units}, on hand {_qty(balance.on_hand)}")


def _qty(value) -> str:
    return f"{Decimal(value).normalize():f}"


def _reserve_one(suite: Suite, warehouse_id: int, product_id: int):
    uow = suite.uow()

    def call() -> Decimal:
        balances = lock_balances(uow, warehouse_id, [product_id])
        got = reserve_available(uow, balances, product_id=product_id, warehouse_id=warehouse_id,
                                qty=Decimal(1), holder=Holder())
        uow.commit()
        return got
    return call


def primitive(target: Target, suite: Suite, supplier_id: int, warehouse_id: int) -> Figure:
    product_id = _hot_product(suite, supplier_id, "HOT-LOCK", 1_000_000)
    with sample_lock_waits(suite.engine, suite.name) as waits:
        run_ = parallel(lambda: _reserve_one(suite, warehouse_id, product_id), clients=CLIENTS)
    units = int(sum(run_.results))
    note = f"{waits.summary()}; {_oversell(suite, product_id, units)}"

    # scarce: 200 on hand, 16 clients reserve until it is gone (bounded in attempts and time)
    scarce_id = _hot_product(suite, supplier_id, "HOT-SCARCE", SCARCE)
    got: list[Decimal] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 30

    def drain() -> None:
        call = _reserve_one(suite, warehouse_id, scarce_id)
        for _ in range(SCARCE + 10):
            unit = call()
            with lock:
                got.append(unit)
            if unit == 0 or time.monotonic() > deadline:
                return

    threads = [threading.Thread(target=drain, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    scarce = int(sum(got))
    note += (f"; scarce: {CLIENTS} clients drained {SCARCE} on hand, got exactly {scarce}, "
             f"{_oversell(suite, scarce_id, scarce)}")
    return Figure("Hot product: lock_balances + reserve_available + commit", target.label, f"{CLIENTS} clients",
                  units, run_.seconds, "reservations/s", run_.latencies_ms, note=note)


def confirmations(target: Target, suite: Suite, supplier_id: int) -> Figure:
    product_id = _hot_product(suite, supplier_id, "HOT-ORDER", 1_000_000)
    uow = suite.uow()
    customers = [customer(uow, f"HOT-CUST{n}") for n in range(CLIENTS)]
    with one_transaction(uow):  # interleaved by customer: the orders in flight at once are different customers'
        drafts = collections.deque(
            crm.create_order(uow, {"customer_id": customers[n % CLIENTS], "requested_date": REQUESTED,
                                   "lines": [{"product_id": product_id, "qty": Decimal(1)}]}).id
            for n in range(ORDERS))
    uow.session.close()

    def make_call():
        def call() -> int:
            order_id = drafts.popleft()
            confirming = suite.uow()
            try:
                crm.confirm_order(confirming, order_id)
            finally:
                confirming.session.close()
            return 1
        return call

    with sample_lock_waits(suite.engine, suite.name) as waits:
        run_ = parallel(make_call, clients=CLIENTS, max_calls=ORDERS - 3 * CLIENTS)
    units = sum(run_.results)
    note = f"{waits.summary()}; {_oversell(suite, product_id, units)}"
    if not drafts:
        note += "; ran out of draft orders before the time was up"
    return Figure("Hot product: confirm_order of 1 unit", target.label, f"{CLIENTS} clients", run_.count,
                  run_.seconds, "reservations/s", run_.latencies_ms, note=note)


def run(target: Target) -> list[Figure]:
    suite = Suite(target, pool_size=CLIENTS + 2, name="bench-hot-product")
    try:
        supplier_id = suppliers(suite.uow(), "HOT")["S1"]
        with suite.engine.connect() as conn:
            warehouse_id = conn.execute(text("SELECT id FROM core_warehouse WHERE is_default ORDER BY id")).scalar()
        base = pgbench(target, suite)
        figures = [base, confirmations(target, suite, supplier_id), primitive(target, suite, supplier_id, warehouse_id)]
        for figure in figures[1:]:
            if base.error or figure.error:
                continue
            ratio = figure.rate / base.rate if base.rate else 0.0
            figure.goal = f"≥ {GOAL:.0%} of pgbench"
            figure.met = ratio >= GOAL
            figure.note = f"{ratio:.1%} of pgbench's {base.rate:,.0f} updates/s; {figure.note}"
        return figures
    finally:
        suite.close()
