"""Order confirmation through the service layer: orders shaped like order 1 of the worked example."""

from __future__ import annotations

import time

from bench import SECONDS, Figure, Target, clients_label
from bench._order_to_plan import (
    Suite,
    build_lanes,
    check_like_order_1,
    count_statements,
    customer,
    prepare_round,
    rounds,
    sample_lock_waits,
    suppliers,
)
from crm.orders import services as crm

TITLE = "Order confirmation (service layer)"
DESCRIPTION = ("`crm.orders.services.confirm_order` on orders shaped like order 1 of the worked example (10 PUMP over "
               "the two-level PUMP/HOUSING BOM: credit check with the customer row locked, 5 reservations, "
               "2 work orders, 2 purchase plan lines, audit, one commit), each in a session of its own as a "
               "request has; 1 and 4 parallel clients (threads), each with its own customer and copies of the "
               "example's products. Runs in rounds: before each round, untimed, each copy's last order is "
               "cancelled (its stock is free again: topping the stock up would go to that order, whose work "
               "orders and plan lines have not started) and one draft per copy is entered, so every order meets "
               "exactly order 1's stock; only the confirmations are timed. Afterwards every order is checked to "
               "have come out as order 1 (what it reserved, released since if it was cancelled) and the ledger "
               "to agree with the balances. Also: the SQL statements one "
               "confirmation sends (counted with a `before_cursor_execute` listener, grouped by statement "
               "and by the line of code that sent it).")
DATABASES = ("postgresql",)
LANES_PER_CLIENT = 6
GOALS = {1: 100, 4: 250}  # orders/s
STATEMENT_GOAL = 40
MAX_ORDERS = 2_000


def run(target: Target) -> list[Figure]:
    suite = Suite(target, pool_size=10, name=f"bench-{__name__.rsplit('.', 1)[-1]}")
    try:
        setup = suite.uow()
        supplier_ids = suppliers(setup, "OC")
        lanes = []
        for client in range(max(GOALS)):
            customer_id = customer(setup, f"OC-CUST{client}")
            lanes.append(build_lanes(setup, f"OC{client}L", LANES_PER_CLIENT, customer_id=customer_id,
                                     supplier_ids=supplier_ids))
        setup.session.close()

        def make_confirm():
            def confirm(order_id: int) -> None:
                uow = suite.uow()
                try:
                    crm.confirm_order(uow, order_id)
                finally:
                    uow.session.close()
            return confirm

        figures = []
        for clients, goal in GOALS.items():
            with sample_lock_waits(suite.engine, suite.name) as waits:
                found = rounds(lanes[:clients], make_uow=suite.uow, make_confirm=make_confirm, seconds=SECONDS,
                               max_orders=MAX_ORDERS)
            figure = Figure(TITLE, target.label, clients_label(clients), found.run.count, found.run.seconds, "orders/s",
                            found.run.latencies_ms, goal=f"≥ {goal} orders/s",
                            note=f"{found.timed_rounds}; {check_like_order_1(suite.uow(), found.order_ids)}; "
                                 f"{waits.summary()}")
            figure.met = figure.rate >= goal
            figures.append(figure)

        # statements of one confirmation, each in a fresh session (as a request has); then, without
        # walking the stack for each statement, how much of a confirmation is spent in the driver
        drafts = prepare_round(suite.uow(), lanes[0])
        counting, timing = drafts[:len(drafts) // 2], drafts[len(drafts) // 2:]
        with count_statements(suite.engine) as counted:
            for order_id in counting:
                uow = suite.uow()
                crm.confirm_order(uow, order_id)
                uow.session.close()
        with count_statements(suite.engine, origins=False) as timed:
            began = time.perf_counter()
            for order_id in timing:
                uow = suite.uow()
                crm.confirm_order(uow, order_id)
                uow.session.close()
            took = (time.perf_counter() - began) / len(timing) * 1000
        per = counted.total / len(counting)
        figures.append(Figure(
            "SQL statements per confirmation (order 1)", target.label, "sequential", len(counting), 0.0, "",
            value=f"{per:g} statements", goal=f"≤ {STATEMENT_GOAL}", met=per <= STATEMENT_GOAL,
            note=f"average over {len(counting)} confirmations like order 1, plus BEGIN and COMMIT "
                 f"({counted.commits / len(counting):g} commit and {counted.flushes / len(counting):g} ORM flushes "
                 f"each); {len(timing)} more took {took:.0f} ms "
                 f"each, {timed.driver_seconds / len(timing) * 1000:.0f} ms of it inside `cursor.execute` "
                 "(round trips and the server's work), the rest in Python",
            detail=("Statements per confirmation of an order like order 1, grouped by statement and by the "
                    "line of project code that sent it (`(flush)`: written by a session flush there; "
                    "`(autoflush)`: flushed before a query there).\n\n" + counted.table(len(counting))
                    + "\n\nTime spent inside `cursor.execute` per confirmation, by statement (the "
                    f"{len(timing)} timed confirmations).\n\n" + timed.time_table(len(timing)))))
        return figures
    finally:
        suite.close()
