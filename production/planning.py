"""The explosion of a confirmed order (MRP): reserve what is in stock, make the
shortfall of `make` products with work orders whose components are exploded in
turn, and announce the shortfall of `buy` products for purchasing to plan.

Why production drives it: the stock locks must be taken in one stable order
for the whole tree, or two confirmations that meet a shared component at
different levels could deadlock. Only production knows the tree, so it loads
all BOM levels in one query, locks every balance the tree can touch in one
`SELECT ... FOR UPDATE ORDER BY product_id`, and then walks the tree level by
level (breadth first), asking inventory to reserve at each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core import clock
from core.models import Product, ProductKind
from core.money import round_qty
from core.numbering import next_numbers
from core.uow import UnitOfWork
from crm.events import SalesOrderConfirmed
from inventory.reservations import Holder, lock_balances, reserve_available
from production.events import MaterialShortagesFound, PurchaseNeed
from production.models import WorkOrder, WorkOrderComponent
from production.services import BomNode, bom_tree


@dataclass
class _Demand:
    product_id: int
    qty: Decimal
    need_by: date
    sales_order_line_id: int | None = None
    work_order: WorkOrder | None = None
    component: WorkOrderComponent | None = None


def explode_order(uow: UnitOfWork, event: SalesOrderConfirmed, *, today: date | None = None) -> list[WorkOrder]:
    session = uow.session
    today = today or clock.today()
    line_products = [line.product_id for line in event.lines]
    tree = bom_tree(session, line_products)
    ids = set(line_products) | {c for node in tree.values() for c, _q in node.components}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    stocked = [pid for pid, p in products.items() if p.kind != ProductKind.SERVICE]
    balances = lock_balances(uow, event.warehouse_id, stocked)

    level = [_Demand(line.product_id, line.qty, event.need_by, sales_order_line_id=line.line_id)
             for line in event.lines]
    needs: list[PurchaseNeed] = []
    created: list[WorkOrder] = []
    while level:
        new_orders: list[WorkOrder] = []
        for demand in level:
            product = products[demand.product_id]
            if product.kind == ProductKind.SERVICE:
                continue
            holder = Holder(
                sales_order_id=event.order_id, sales_order_line_id=demand.sales_order_line_id,
                work_order_id=demand.work_order.id if demand.work_order else None,
                work_order_component_id=demand.component.id if demand.component else None)
            reserved = reserve_available(uow, balances, product_id=product.id,
                                         warehouse_id=event.warehouse_id, qty=demand.qty, holder=holder)
            if demand.component is not None:
                demand.component.qty_reserved = reserved
            shortfall = demand.qty - reserved
            if shortfall <= 0:
                continue
            if product.kind == ProductKind.MAKE:
                new_orders.append(_work_order(event, demand, product, shortfall, tree.get(product.id)))
            else:
                needs.append(PurchaseNeed(
                    product_id=product.id, warehouse_id=event.warehouse_id, qty=shortfall, need_by=demand.need_by,
                    sales_order_id=event.order_id, sales_order_line_id=demand.sales_order_line_id,
                    work_order_id=holder.work_order_id, work_order_component_id=holder.work_order_component_id))
        if not new_orders:
            break
        for work_order, number in zip(new_orders, next_numbers(session, "WO", on=today, count=len(new_orders)),
                                      strict=True):
            work_order.number = number
        session.add_all(new_orders)
        session.flush()  # ids for the next level's reservations and pegging
        created.extend(new_orders)
        level = [_Demand(c.product_id, c.qty_required, wo.start_date, work_order=wo, component=c)
                 for wo in new_orders for c in wo.components]
    if needs:
        uow.publish(MaterialShortagesFound(sales_order_id=event.order_id, needs=tuple(needs)))
    return created


def _work_order(event: SalesOrderConfirmed, demand: _Demand, product: Product, qty: Decimal,
                node: BomNode | None) -> WorkOrder:
    due = demand.need_by
    work_order = WorkOrder(
        product_id=product.id, product=product, warehouse_id=event.warehouse_id, qty=qty, state="planned",
        due_date=due, start_date=due - timedelta(days=product.lead_time_days or 0),
        bom_id=node.bom_id if node else None, sales_order_id=event.order_id,
        sales_order_line_id=demand.sales_order_line_id,
        parent_work_order_id=demand.work_order.id if demand.work_order else None)
    if node is not None:
        work_order.components = [
            WorkOrderComponent(product_id=component_id, qty_required=round_qty(qty * per / node.output_qty))
            for component_id, per in node.components]
    return work_order
