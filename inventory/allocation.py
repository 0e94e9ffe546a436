"""One routine allocates stock that becomes available, whatever made it available: a goods
receipt, a work order's completion, a cancellation that frees a lock, a positive adjustment.

It reserves first for the demand the supply was pegged to (passed in as plain holders, in
order), then for every other waiting demand in requested-date order. Waiting demand is what
confirmed sales order lines and work order components still lack (neither reserved nor
shipped/issued); a service line is never waiting demand (a service needs no stock: it is delivered
with the order's goods). Inventory knows sales order lines itself; work order components live
downstream, in production, which adds a *demand source* for them to the app registry's
`demand_sources` in its `init_app` (inventory cannot import production).

Supply is never counted twice (`docs/supply.md`). A demand may already be covered by supply still to
come that is pegged to it: a work order not finished, a purchase plan line, the part of a purchase
order line not yet received. Production and purchasing report that supply through the registry's
`supply_sources`. A demand's *open shortfall* is what it still needs less what it holds (reserved)
less that pegged supply; stock that becomes available goes to open shortfall first (pegged demand
first, then by requested date). Only when stock is left after that does it go to demand covered by
supply that has not started (a planned or released work order, a plan line not yet on a purchase
order): stock in hand beats supply to come, so that supply shrinks, or is cancelled, by as much as
the stock reserved instead (`PeggedSupply.give_up`). A started work order and a plan line on a
purchase order (draft or sent) are never shrunk: their demand gets no more stock, which stays free
for other demand. A shrunk work order needs fewer components: `settle_cover` brings each
component's cover down to its new need (its supply still adjustable first, then its reservations,
whose stock is allocated again), and a work order never shrinks below what its started children
and ordered purchases already bring in (`PeggedSupply.floor`). So after every act, for every
demand, reserved + pegged supply to come = what it still needs, never more.

Locks: giving up a work order gives back its components' stock, so allocating one product may touch
the balances of the products below it. `lock_for_allocation` locks all of them at once, in product
order, and callers that are about to put stock in (a receipt, an adjustment, a completion, a
release) take it before their first balance lock.
"""

from __future__ import annotations

from collections import defaultdict
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
from inventory.models import StockBalance
from inventory.reservations import Holder, held_by, lock_balances, release_held, reserve_available


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

#: which demand a holder stands for: ("line", sales order line id) or ("component", component id)
DemandKey = tuple[str, int | None]


@dataclass(frozen=True)
class PeggedSupply:
    """Supply still to come for one demand, as the module that holds it reports it: a work order not
    finished, a purchase plan line, the part of a purchase order line not yet received.

    `adjustable` is how much of it may still be given up for stock in hand (nothing once a work order
    has started or a plan line is on a purchase order); `give_up(uow, qty)` shrinks or cancels it by at
    most `qty` and returns what it gave up, which may be less: a work order does not shrink below what
    its started children and ordered purchases bring in. `floor(session)` is that least quantity
    (without one: `qty - adjustable`). Among one demand's supply, the lowest `rank` is given up first."""

    demand: DemandKey
    qty: Decimal
    adjustable: Decimal = ZERO
    rank: tuple = ()
    give_up: Callable[[UnitOfWork, Decimal], Decimal] | None = field(default=None, compare=False, repr=False)
    floor: Callable[[Session], Decimal] | None = field(default=None, compare=False, repr=False)

    def least(self, session: Session) -> Decimal:
        """The least this supply can come down to: what is committed under it."""
        if self.adjustable <= 0:
            return self.qty
        return self.floor(session) if self.floor is not None else self.qty - self.adjustable


@dataclass(frozen=True)
class SupplySource:
    """What a module that holds supply to come adds to the registry's `supply_sources`:
    `supply(session, product_id, warehouse_id)` lists that product's supply pegged to demand, and
    `reaches(session, warehouse_id, product_ids)` names the products whose stock giving up that supply
    may give back (the components of the work orders that would shrink), to be locked beforehand."""

    supply: Callable[[Session, int, int], Iterable[PeggedSupply]]
    reaches: Callable[[Session, int, set[int]], set[int]] | None = None

    def describe(self) -> str:
        def name(function: Callable) -> str:
            return f"{function.__module__}.{function.__qualname__}"

        return name(self.supply) + (f" (reaches: {name(self.reaches)})" if self.reaches else "")


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


def pegged_supply(session: Session, product_id: int, warehouse_id: int) -> dict[DemandKey, list[PeggedSupply]]:
    """The supply still to come of a product in a warehouse, by the demand it is pegged to."""
    found: dict[DemandKey, list[PeggedSupply]] = defaultdict(list)
    for source in registry_of(session).supply_sources.values():
        for supply in source.supply(session, product_id, warehouse_id):
            if supply.qty > 0:
                found[supply.demand].append(supply)
    return found


def open_shortfall(demand: WaitingDemand, supply: Iterable[PeggedSupply]) -> Decimal:
    """What a demand lacks beyond its pegged supply to come: the part no one is making or buying."""
    return max(demand.qty - sum((s.qty for s in supply), ZERO), ZERO)


def lock_for_allocation(uow: UnitOfWork, warehouse_id: int, product_ids: Iterable[int]) -> dict[int, StockBalance]:
    """Lock, in one statement and in product order, the balances of these products and of every product
    whose stock allocating them may give back: stock that reaches demand covered by a work order not yet
    started shrinks that work order, whose components' reservations go back to stock, and so on down the
    BOM (what the supply sources' `reaches` name). Callers that put stock in take this before their first
    balance lock, so that locks are always taken in one stable order."""
    wanted = set(product_ids)
    frontier = set(wanted)
    sources = [s for s in registry_of(uow.session).supply_sources.values() if s.reaches is not None]
    while frontier and sources:
        reached: set[int] = set()
        for source in sources:
            reached |= source.reaches(uow.session, warehouse_id, frontier)
        frontier = reached - wanted
        wanted |= frontier
    return lock_balances(uow, warehouse_id, wanted)


def allocate(uow: UnitOfWork, *, product_id: int, warehouse_id: int,
             pegged: Sequence[Holder] = ()) -> list[Allocation]:
    """Reserve what is available of a product. First for open shortfall (what demand lacks beyond its
    pegged supply to come): the pegged demand in the order given, then the other waiting demand by
    requested date. Then, if stock is left, for demand covered by supply that has not started, in the
    same order: that supply gives up as much as is reserved instead. Returns what was reserved for whom.
    Runs inside the caller's transaction (no commit)."""
    balances = lock_for_allocation(uow, warehouse_id, [product_id])
    balance = balances.get(product_id)
    if balance is None or balance.available <= 0:
        return []
    session = uow.session
    demands = waiting_demand(session, product_id, warehouse_id)
    by_key = {holder_key(d.holder): d for d in demands}
    first: list[WaitingDemand] = []
    for holder in pegged:
        demand = by_key.pop(holder_key(holder), None)
        if demand is not None:
            first.append(demand)
    ordered = first + [d for d in demands if holder_key(d.holder) in by_key]
    supply = pegged_supply(session, product_id, warehouse_id)
    taken: dict[DemandKey, Decimal] = defaultdict(Decimal)

    def reserve(demand: WaitingDemand, qty: Decimal) -> Decimal:
        got = reserve_available(uow, balances, product_id=product_id, warehouse_id=warehouse_id, qty=qty,
                                holder=demand.holder)
        taken[holder_key(demand.holder)] += got
        return got

    for demand in ordered:  # open shortfall first
        if balance.available <= 0:
            break
        reserve(demand, open_shortfall(demand, supply.get(holder_key(demand.holder), ())))
    for demand in ordered:  # then stock in hand instead of supply that has not started
        if balance.available <= 0:
            break
        key = holder_key(demand.holder)
        for adjustable in sorted((s for s in supply.get(key, ()) if s.adjustable > 0 and s.give_up is not None),
                                 key=lambda s: s.rank):
            want = min(balance.available, adjustable.adjustable, demand.qty - taken[key])
            if want <= 0:
                break
            given = adjustable.give_up(uow, want)
            if given > 0:
                reserve(demand, given)
    allocations = [Allocation(d.holder, taken[holder_key(d.holder)]) for d in ordered
                   if taken.get(holder_key(d.holder), ZERO) > 0]
    components = tuple(a.holder.work_order_component_id for a in allocations
                       if a.holder.work_order_component_id is not None)
    if components:
        uow.publish(StockAllocated(product_id=product_id, warehouse_id=warehouse_id,
                                   work_order_component_ids=components))
    return allocations


def settle_cover(uow: UnitOfWork, holder: Holder, *, product_id: int, warehouse_id: int, need: Decimal) -> Decimal:
    """A demand now needs only `need` (what it still has to take out of stock), as a work order's component
    does when the work order shrinks: what covers it beyond that goes. Its supply still adjustable goes
    first (stock in hand beats supply to come), then its reservations, newest first; the stock they free
    is allocated to other waiting demand. Returns the cover left beyond `need` (supply already committed:
    callers keep a work order above its floor so that there is none)."""
    session = uow.session
    balances = lock_for_allocation(uow, warehouse_id, [product_id])
    supply = pegged_supply(session, product_id, warehouse_id).get(holder_key(holder), [])
    held = sum((r.qty for r in held_by(uow, holder, product_id=product_id, warehouse_id=warehouse_id)), ZERO)
    excess = held + sum((s.qty for s in supply), ZERO) - max(need, ZERO)
    for adjustable in sorted((s for s in supply if s.adjustable > 0 and s.give_up is not None),
                             key=lambda s: s.rank):
        if excess <= 0:
            break
        excess -= adjustable.give_up(uow, min(excess, adjustable.adjustable))
    if excess > 0 and held > 0:
        released = release_held(uow, balances, holder=holder, product_id=product_id, warehouse_id=warehouse_id,
                                qty=min(excess, held))
        excess -= released
        if released > 0:
            allocate(uow, product_id=product_id, warehouse_id=warehouse_id)
    return max(excess, ZERO)


def allocate_freed(uow: UnitOfWork, freed: Iterable[tuple[int, int]]) -> list[Allocation]:
    """Allocate the stock that released locks made available: (product id, warehouse id) pairs,
    taken in product order (the order the balances were locked in)."""
    done: list[Allocation] = []
    for product_id, warehouse_id in sorted(set(freed), key=lambda pw: (pw[1], pw[0])):
        done.extend(allocate(uow, product_id=product_id, warehouse_id=warehouse_id))
    return done
