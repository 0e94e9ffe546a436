"""Parallel confirmations on PostgreSQL: 16 clients, each with its own connection, confirm
orders that compete for the same scarce products (at different BOM levels: some orders sell
the housing and the motor that other orders need as pump components).

Afterwards: reserved never exceeds on hand, balances equal the ledger, every unit of demand is
either reserved or covered by exactly one work order or plan line, the credit limit held under
the race, and no client saw anything but a credit refusal."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.orders import services as crm
from crm.orders.models import SalesOrder
from inventory import services as inventory
from inventory.models import Reservation, StockBalance
from inventory.services import check_ledger
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine
from tests.flows.test_supply_counted_once import over_or_under
from tests.flows.worked_example import build_worked_example
from tests.parallel import Clients, parallel_database, run_at_once

pytestmark = pytest.mark.postgres

CLIENTS = 16
ORDERS_PER_CLIENT = 3
D = Decimal


def _orders(uow, example, tight_customer_id) -> list[int]:
    p = example.products
    shapes = [
        [("PUMP", 2)],
        [("HOUSING", 1), ("PUMP", 1)],           # HOUSING at level 0 here, at level 1 in pumps
        [("MOTOR", 2), ("BOLT", 10), ("PUMP", 1)],
        [("GASKET", 3), ("HOUSING", 2)],
    ]
    ids = []
    for n in range(CLIENTS * ORDERS_PER_CLIENT):
        customer = tight_customer_id if n % 4 == 1 else example.customer_id
        lines = [{"product_id": p[sku], "qty": D(qty)} for sku, qty in shapes[n % len(shapes)]]
        ids.append(crm.create_order(uow, {"customer_id": customer, "requested_date": None, "lines": lines}).id)
    return ids


def test_parallel_confirmations_never_oversell_nor_deadlock(tmp_path):
    with parallel_database(tmp_path, CLIENTS, spare=4) as database:
        with database.session() as session:
            uow = database.uow(session)
            example = build_worked_example(uow, credit_limit=D(0), stock={
                "PUMP": 5, "MOTOR": 7, "HOUSING": 4, "BOLT": 120, "GASKET": 15})
            from core import services as core_services
            tight = core_services.create_customer(uow, {"code": "TIGHT", "name": "Tight credit",
                                                        "credit_limit": D("40000")}).id
            order_ids = _orders(uow, example, tight)

        clients = Clients(database, expected=frozenset({"credit_limit_exceeded"}))
        outcomes: dict[int, str] = {}

        def client(index: int) -> None:
            for order_id in order_ids[index::CLIENTS]:
                outcomes[order_id] = clients.attempt(
                    f"order {order_id}", lambda uow, o=order_id: crm.confirm_order(uow, o), done="confirmed")

        run_at_once(CLIENTS, client)
        assert clients.unexpected == []
        assert len(outcomes) == len(order_ids)

        with database.session() as session:
            _assert_consistent(session, example, tight, outcomes)


def _assert_consistent(session, example, tight, outcomes) -> None:
    balances = list(session.scalars(select(StockBalance)))
    assert all(D(0) <= b.reserved <= b.on_hand for b in balances)
    assert check_ledger(session) == []
    by_product = {b.product_id: b for b in balances}
    for sku in ("PUMP", "MOTOR", "HOUSING", "GASKET"):  # demanded far beyond stock: all of it is locked
        balance = by_product[example.products[sku]]
        assert balance.reserved == balance.on_hand, sku

    orders = {o.id: o for o in session.scalars(select(SalesOrder))}
    confirmed = [o for o in orders.values() if o.state == "confirmed"]
    refused = [oid for oid, result in outcomes.items() if result == "credit_limit_exceeded"]
    assert {o.id for o in confirmed} == {oid for oid, r in outcomes.items() if r == "confirmed"}
    assert refused, "the tight customer should have been refused at least once"
    assert sum(o.total for o in confirmed if o.customer_id == tight) <= D("40000")

    active = list(session.scalars(select(Reservation).where(Reservation.state == "active")))
    work_orders = list(session.scalars(select(WorkOrder)))
    plans = list(session.scalars(select(PurchasePlanLine)))
    for order_id in refused:
        assert orders[order_id].state == "draft"
        assert not [r for r in active if r.sales_order_id == order_id]
        assert not [w for w in work_orders if w.sales_order_id == order_id]
        assert not [p for p in plans if p.sales_order_id == order_id]

    line_reserved = defaultdict(D)
    component_reserved = defaultdict(D)
    for r in active:
        if r.work_order_component_id is not None:
            component_reserved[r.work_order_component_id] += r.qty
        else:
            line_reserved[r.sales_order_line_id] += r.qty
    for order in confirmed:
        for line in order.lines:
            made = [w for w in work_orders if w.sales_order_line_id == line.id and w.parent_work_order_id is None]
            bought = [p for p in plans if p.sales_order_line_id == line.id and p.work_order_id is None]
            assert len(made) + len(bought) <= 1
            covered = sum((x.qty for x in made + bought), D(0))
            assert line_reserved[line.id] + covered == line.qty, (order.number, line.product_id)
            assert line.reserved_qty == line_reserved[line.id]
            assert (covered > 0) == bool(made or bought)
    for work_order in work_orders:
        for component in work_order.components:
            made = [w for w in work_orders if w.parent_work_order_id == work_order.id
                    and w.product_id == component.product_id]
            bought = [p for p in plans if p.work_order_component_id == component.id]
            assert len(made) + len(bought) <= 1
            covered = sum((x.qty for x in made + bought), D(0))
            assert component_reserved[component.id] == component.qty_reserved
            assert component.qty_reserved + covered == component.qty_required, work_order.number


def test_stock_found_while_orders_confirm_never_deadlocks_nor_counts_supply_twice(tmp_path):
    """While some clients confirm pump and housing orders, others put stock in (adjustments of every product
    of the BOM, so the allocations shrink the work orders of orders confirmed before, at both levels, and
    give their components' stock back): the balances an allocation may touch are locked up front in product
    order, so no client deadlocks, and afterwards every demand is covered exactly once (reserved + supply
    to come = what it still needs)."""
    with parallel_database(tmp_path, CLIENTS, spare=4) as database:
        with database.session() as session:
            uow = database.uow(session)
            example = build_worked_example(uow, credit_limit=D(0), stock={
                "PUMP": 3, "MOTOR": 4, "HOUSING": 2, "BOLT": 60, "GASKET": 8})
            p = example.products

            def order(lines) -> int:
                return crm.create_order(uow, {"customer_id": example.customer_id, "requested_date": None, "lines": [
                    {"product_id": p[sku], "qty": D(qty)} for sku, qty in lines]}).id

            earlier = [order([("PUMP", 3)]) for _ in range(CLIENTS // 2)]
            for order_id in earlier:
                crm.confirm_order(uow, order_id)
            drafts = [order([("PUMP", 2)] if n % 2 else [("HOUSING", 2), ("PUMP", 1)]) for n in range(CLIENTS * 2)]

        clients = Clients(database)

        def client(index: int) -> None:
            rng = random.Random(index)
            if index % 2 == 0:
                for order_id in drafts[index::CLIENTS] + drafts[index + 1::CLIENTS]:
                    clients.attempt(f"confirm {order_id}", lambda uow, o=order_id: crm.confirm_order(uow, o),
                                    done="confirmed")
                return
            for _step in range(4):
                sku = rng.choice(sorted(p))
                qty = D(rng.randint(1, 4))
                clients.attempt(f"adjust {sku} +{qty}", lambda uow, s=sku, q=qty: inventory.adjust_stock(
                    uow, {"product_id": p[s], "qty": q, "reason": "found"}))

        run_at_once(CLIENTS, client)
        assert clients.unexpected == []
        assert clients.outcomes.count("error") == 0

        with database.session() as session:
            assert over_or_under(session) == {}
            assert check_ledger(session) == []
            assert all(D(0) <= b.reserved <= b.on_hand for b in session.scalars(select(StockBalance)))
