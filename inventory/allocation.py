"""One routine allocates stock that becomes available, whatever made it available: a goods
receipt, a work order's completion, a cancellation that frees a lock, a positive adjustment.

It reserves first for the demand the supply was pegged to (passed in as plain holders, in
order), then for every other waiting demand in requested-date order. Waiting demand is what
confirmed sales order lines and work order components still lack (neither reserved nor
shipped/issued); a service line is never waiting demand (a service needs no stock: it is delivered
with the order's goods). Inventory knows sales order lines itself; work order components live
downstream, in production, which adds a *demand source* for them to the app registry's
`demand_sources` in its `init_app` (inventory cannot import production).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Product, ProductKind
from core.money import ZERO
from core.registry import registry_of
from core.uow import UnitOfWork
from crm.orders.models import OPEN_STATES, SalesOrder, SalesOrderLine
from inventory.events import StockAllocated
from inventory.reservations import Holder, lock_balances, reserve_available


@dataclass(frozen=True)
class WaitingDemand:
    """A demand that lacks `qty` of a product, needed by `need_by`."""

    holder: Holder
    qty: Decimal
    need_by: date
    # the loaded row, kept referenced while allocating so that reporting back to it finds it in
    # the session instead of querying (and flushing) once per line
    record: object | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Allocation:
    holder: Holder
    qty: Decimal


#: (session, product_id, warehouse_id) -> the waiting demand of one product in one warehouse: what a
#: downstream module that holds demand (production: work order components) adds to `demand_sources`
DemandSource = Callable[[Session, int, int], Iterable[WaitingDemand]]


def holder_key(holder: Holder) -> tuple[str, int | None]:
    """Which demand a holder stands for: a work order component, or a sales order line."""
    if holder.work_order_component_id is not None:
        return ("component", holder.work_order_component_id)
    return ("line", holder.sales_order_line_id)


def sales_order_demand(session: Session, product_id: int, warehouse_id: int) -> list[WaitingDemand]:
    """Lines of open orders that still lack stock: ordered minus reserved minus shipped (none for a
    service, which is never reserved: a stray balance row of it gives no service line stock)."""
    product = session.get(Product, product_id)
    if product is not None and product.kind == ProductKind.SERVICE:
        return []
    rows = session.execute(
        select(SalesOrderLine, SalesOrder.requested_date)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrderLine.product_id == product_id, SalesOrder.warehouse_id == warehouse_id,
               SalesOrder.state.in_([s.value for s in OPEN_STATES]),
               SalesOrderLine.qty > SalesOrderLine.reserved_qty + SalesOrderLine.shipped_qty)
        .execution_options(populate_existing=True))  # read after the balance lock: what others committed
    return [WaitingDemand(Holder(sales_order_id=line.order_id, sales_order_line_id=line.id),
                          line.qty - line.reserved_qty - line.shipped_qty, requested, record=line)
            for line, requested in rows]


def waiting_demand(session: Session, product_id: int, warehouse_id: int) -> list[WaitingDemand]:
    """Every waiting demand for a product in a warehouse, in requested-date order."""
    found = sales_order_demand(session, product_id, warehouse_id)
    for source in registry_of(session).demand_sources.values():
        found.extend(source(session, product_id, warehouse_id))
    return sorted(found, key=lambda d: (d.need_by, holder_key(d.holder)[0] != "line", holder_key(d.holder)[1]))


def allocate(uow: UnitOfWork, *, product_id: int, warehouse_id: int,
             pegged: Sequence[Holder] = ()) -> list[Allocation]:
    """Reserve what is available of a product: first for the pegged demand (in the order given),
    then for the other waiting demand by requested date. Returns what was reserved for whom.
    Runs inside the caller's transaction (no commit)."""
    balances = lock_balances(uow, warehouse_id, [product_id])
    balance = balances.get(product_id)
    if balance is None or balance.available <= 0:
        return []
    demands = waiting_demand(uow.session, product_id, warehouse_id)
    by_key = {holder_key(d.holder): d for d in demands}
    first: list[WaitingDemand] = []
    for holder in pegged:
        demand = by_key.pop(holder_key(holder), None)
        if demand is not None:
            first.append(demand)
    rest = [d for d in demands if holder_key(d.holder) in by_key]
    allocations: list[Allocation] = []
    for demand in first + rest:
        if balance.available <= 0:
            break
        taken = reserve_available(uow, balances, product_id=product_id, warehouse_id=warehouse_id,
                                  qty=demand.qty, holder=demand.holder)
        if taken > ZERO:
            allocations.append(Allocation(demand.holder, taken))
    components = tuple(a.holder.work_order_component_id for a in allocations
                       if a.holder.work_order_component_id is not None)
    if components:
        uow.publish(StockAllocated(product_id=product_id, warehouse_id=warehouse_id,
                                   work_order_component_ids=components))
    return allocations


def allocate_freed(uow: UnitOfWork, freed: Iterable[tuple[int, int]]) -> list[Allocation]:
    """Allocate the stock that released locks made available: (product id, warehouse id) pairs,
    taken in product order (the order the balances were locked in)."""
    done: list[Allocation] = []
    for product_id, warehouse_id in sorted(set(freed), key=lambda pw: (pw[1], pw[0])):
        done.extend(allocate(uow, product_id=product_id, warehouse_id=warehouse_id))
    return done
