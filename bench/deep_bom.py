"""Explosion of one order over a deep BOM: 5 levels below the ordered product, 200 distinct components."""

from __future__ import annotations

import itertools
from decimal import Decimal

from bench import SECONDS, Figure, Target, measure
from bench._order_to_plan import REQUESTED, Suite, count_statements, customer, one_transaction, suppliers
from core import services as core_services
from crm.orders import services as crm
from inventory import services as inventory
from production import services as production

TITLE = "Deep BOM explosion"
FANOUT = 2  # make components per make product, levels 1 to 4: 2 + 4 + 8 + 16 = 30
MAKE_LEVELS = 4
LEAVES = 170  # buy components at level 5, shared out over the 16 products of level 4: 200 components in all
DESCRIPTION = ("`crm.orders.services.confirm_order` of one order for 1 unit of a product whose BOM tree has 5 levels "
               f"and 200 distinct components: levels 1-4 are `make` products ({FANOUT} per parent: 2, 4, 8, 16), "
               f"level 5 holds {LEAVES} `buy` products (10 or 11 under each level-4 product), 2 of each per "
               "parent. No make product has stock, so every confirmation plans 31 work orders (one per make "
               "product, the ordered one included); every other leaf has ample stock and is reserved (85 "
               "reservations), the rest are short and get purchase plan lines (85): every confirmation does "
               "the same work. One client, each confirmation in a session of its own; also the SQL statements "
               "one such confirmation sends.")
DATABASES = ("sqlite", "postgresql")
GOAL_MS = 50.0
DRAFTS = 40


def build_tree(uow, supplier_id: int) -> int:
    """The products, BOMs and stock of the deep tree, in one transaction; returns the root product's id."""
    codes = itertools.count(1)

    def product(kind: str) -> int:
        return core_services.create_product(uow, {
            "sku": f"DEEP-{next(codes):04d}", "name": f"Deep {kind}", "kind": kind, "list_price": Decimal(100),
            "lead_time_days": 1, "tax_rate": Decimal("0.13"),
            "default_supplier_id": supplier_id if kind == "buy" else None}).id

    with one_transaction(uow):
        root = product("make")
        levels = [[root]]
        for _ in range(MAKE_LEVELS):
            levels.append([product("make") for _parent in levels[-1] for _ in range(FANOUT)])
        leaves = [product("buy") for _ in range(LEAVES)]
        children = {parent: levels[depth + 1][i * FANOUT:(i + 1) * FANOUT]
                    for depth in range(MAKE_LEVELS) for i, parent in enumerate(levels[depth])}
        bottom = levels[-1]
        for parent in bottom:
            children[parent] = leaves[bottom.index(parent)::len(bottom)]
        for parent, below in reversed(children.items()):  # bottom-up, as a production engineer enters them
            production.create_bom(uow, {"product_id": parent, "lines": [
                {"component_id": component, "qty": Decimal(2)} for component in below]})
        for leaf in leaves[::2]:
            inventory.adjust_stock(uow, {"product_id": leaf, "qty": Decimal(10_000_000), "reason": "opening stock"})
    return root


def run(target: Target) -> list[Figure]:
    suite = Suite(target, name="bench-deep-bom")
    try:
        uow = suite.uow()
        supplier_id = suppliers(uow, "DEEP")["S1"]
        customer_id = customer(uow, "DEEP-CUST")
        root = build_tree(uow, supplier_id)
        with one_transaction(uow):
            drafts = [crm.create_order(uow, {"customer_id": customer_id, "requested_date": REQUESTED,
                                             "lines": [{"product_id": root, "qty": Decimal(1)}]}).id
                      for _ in range(DRAFTS)]
        uow.session.close()
        queue = iter(drafts)

        def confirm() -> None:
            confirming = suite.uow()
            try:
                crm.confirm_order(confirming, next(queue))
            finally:
                confirming.session.close()

        with count_statements(suite.engine) as counted:
            confirm()  # the first confirmation is the warm-up, and its statements are counted
        with count_statements(suite.engine, origins=False) as timed:
            run_ = measure(confirm, seconds=SECONDS, max_calls=DRAFTS - 2, warmup=0)
        mean = sum(run_.latencies_ms) / len(run_.latencies_ms)
        figure = Figure(TITLE, target.label, "1 client", run_.count, run_.seconds, "confirmations/s",
                        run_.latencies_ms, goal=f"≤ {GOAL_MS:g} ms per confirmation", met=mean <= GOAL_MS,
                        note=f"{mean:.0f} ms per confirmation on average, "
                             f"{timed.driver_seconds / run_.count * 1000:.0f} ms of it inside `cursor.execute` "
                             "(round trips and the server's work), the rest in Python")
        statements = Figure(
            "SQL statements per deep-BOM confirmation", target.label, "sequential", 1, 0.0, "",
            value=f"{counted.total} statements",
            note=f"one confirmation: 31 work orders, 85 reservations, 85 purchase plan lines; "
                 f"{counted.flushes} ORM flushes",
            detail=("Statements of one confirmation over the deep BOM, grouped by statement and by the line "
                    "of project code that sent it (`(flush)`: written by a session flush there; "
                    "`(autoflush)`: flushed before a query there).\n\n" + counted.table(1)
                    + "\n\nTime spent inside `cursor.execute` per confirmation, by statement (the measured "
                    "confirmations): the round trip, the server's work and the driver's own (psycopg parses "
                    "long multi-row statements in Python).\n\n" + timed.time_table(run_.count)))
        return [figure, statements]
    finally:
        suite.close()
