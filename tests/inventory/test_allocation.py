"""The allocation of stock that becomes available: first to the demand its supply was pegged to,
then to the other waiting demand by requested date, whatever made it available."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core import services as core_services
from crm.orders import services as crm
from inventory import services as inventory
from inventory.allocation import waiting_demand
from inventory.services import check_ledger
from purchasing import services as purchasing
from purchasing.models import PurchasePlanLine

D = Decimal


def two_waiting_orders(uow, *, later_first: bool = True):
    """VALVE (bought from S1, none in stock) ordered 5 by A (wanted 20 Dec) and 5 by B (wanted 10 Dec)."""
    supplier = core_services.create_supplier(uow, {"code": "S1", "name": "Supplier 1"})
    valve = core_services.create_product(uow, {"sku": "VALVE", "name": "Valve", "kind": "buy", "list_price": D(10),
                                               "lead_time_days": 5, "default_supplier_id": supplier.id})
    customer = core_services.create_customer(uow, {"code": "C", "name": "Customer", "credit_limit": D(100000)})
    orders = {}
    for name, requested in (("A", date(2026, 12, 20)), ("B", date(2026, 12, 10))):
        order = crm.create_order(uow, {"customer_id": customer.id, "requested_date": requested,
                                       "lines": [{"product_id": valve.id, "qty": D(5)}]})
        crm.confirm_order(uow, order.id)
        orders[name] = order
    return supplier, valve, orders


def reserved(order) -> Decimal:
    return order.lines[0].reserved_qty


def test_unpegged_stock_goes_to_the_order_wanted_first(db, uow):
    _supplier, valve, orders = two_waiting_orders(uow)
    assert [d.qty for d in waiting_demand(db, valve.id, 1)] == [D(5), D(5)]

    inventory.adjust_stock(uow, {"product_id": valve.id, "qty": D(5), "reason": "found in the yard"})

    assert (reserved(orders["B"]), reserved(orders["A"])) == (D(5), D(0))
    assert check_ledger(db) == []


def test_a_receipt_goes_first_to_the_order_it_was_bought_for_then_by_date(db, uow):
    supplier, valve, orders = two_waiting_orders(uow)
    purchasing.set_supplier_price(uow, {"supplier_id": supplier.id, "product_id": valve.id, "price": D(7),
                                        "min_qty": D(8)})
    plan_a = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.sales_order_id == orders["A"].id)).one()
    (po,) = purchasing.create_orders_from_plans(uow, [plan_a.id], on=date(2026, 12, 1))
    assert po.lines[0].qty == D(8)  # 5 for A, raised to the supplier's minimum
    purchasing.confirm_purchase_order(uow, po.id)

    purchasing.receive_purchase_order(uow, po.id, [{"product_id": valve.id, "qty": D(6)}])

    # A was pegged: it gets its 5 although B is wanted earlier; B gets what is left
    assert (reserved(orders["A"]), reserved(orders["B"])) == (D(5), D(1))

    purchasing.receive_purchase_order(uow, po.id, [{"product_id": valve.id, "qty": D(2)}])

    assert (reserved(orders["A"]), reserved(orders["B"])) == (D(5), D(3))
    assert po.state == "received"
    assert check_ledger(db) == []


def test_stock_freed_by_a_cancelled_order_goes_to_the_order_still_waiting(db, uow):
    _supplier, valve, orders = two_waiting_orders(uow)
    inventory.adjust_stock(uow, {"product_id": valve.id, "qty": D(5), "reason": "count"})
    assert (reserved(orders["B"]), reserved(orders["A"])) == (D(5), D(0))

    crm.cancel_order(uow, orders["B"].id)

    assert (reserved(orders["B"]), reserved(orders["A"])) == (D(0), D(5))
    assert check_ledger(db) == []


def test_a_receipt_within_the_tolerance_is_accepted(db, uow):
    supplier, valve, orders = two_waiting_orders(uow)
    (po,) = purchasing.create_orders_from_plans(uow, on=date(2026, 12, 1))
    purchasing.confirm_purchase_order(uow, po.id)

    purchasing.receive_purchase_order(uow, po.id, [{"product_id": valve.id, "qty": D(11)}], tolerance=D("0.1"))

    assert po.lines[0].qty_received == D(11) and po.state == "received"
    assert (reserved(orders["A"]), reserved(orders["B"])) == (D(5), D(5))
    assert inventory.balance_of(db, valve.id, 1).available == D(1)
