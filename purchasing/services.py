"""Purchasing services: the only code that changes supplier prices, purchase plans and purchase orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.forms import load_input
from core.models import Product, ProductKind, Supplier
from core.money import ZERO
from core.numbering import next_numbers
from core.uow import UnitOfWork
from inventory import services as inventory
from inventory.allocation import allocate, lock_for_allocation
from inventory.models import MoveKind
from production.events import PurchaseNeed
from purchasing.models import (
    PlanState,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderState,
    PurchasePlanLine,
    SupplierPrice,
)
from purchasing.schemas import ReceivePurchaseOrderSchema
from purchasing.supply import receive_into_plans


def plan_purchases(uow: UnitOfWork, needs: Iterable[PurchaseNeed]) -> list[PurchasePlanLine]:
    """One open plan line per need, from the product's default supplier, to be ordered
    the lead time (the default supplier's, else the product's) before it is needed. A product without a default supplier cannot be
    planned, and the whole act that raised the need is refused."""
    needs = list(needs)
    session = uow.session
    wanted = {need.product_id for need in needs}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))} if wanted else {}
    missing = sorted(p.sku for p in products.values() if p.default_supplier_id is None)
    if missing:
        raise DomainError(f"No default supplier for {', '.join(missing)}: the shortage cannot be planned.",
                          code="no_default_supplier", details={"products": missing})
    prices = prices_for(session, {(p.default_supplier_id, p.id) for p in products.values()})
    plans = []
    for need in needs:
        product = products[need.product_id]
        days = lead_time(product, prices.get((product.default_supplier_id, product.id)))
        plans.append(PurchasePlanLine(
            product_id=product.id, product=product, warehouse_id=need.warehouse_id,
            supplier_id=product.default_supplier_id, qty=need.qty, need_by=need.need_by,
            order_by=need.need_by - timedelta(days=days), state=PlanState.OPEN.value,
            sales_order_id=need.sales_order_id, sales_order_line_id=need.sales_order_line_id,
            work_order_id=need.work_order_id, work_order_component_id=need.work_order_component_id))
    session.add_all(plans)
    return plans


def cancel_plans(uow: UnitOfWork, *, sales_order_id: int | None = None,
                 work_order_ids: Iterable[int] = ()) -> list[PurchasePlanLine]:
    """Cancel the open plan lines of an order's lines, or of some work orders."""
    stmt = select(PurchasePlanLine).where(PurchasePlanLine.state == PlanState.OPEN)
    ids = sorted(set(work_order_ids))
    if sales_order_id is not None:
        stmt = stmt.where(PurchasePlanLine.sales_order_id == sales_order_id,
                          PurchasePlanLine.work_order_id.is_(None))
    elif ids:
        stmt = stmt.where(PurchasePlanLine.work_order_id.in_(ids))
    else:
        return []
    plans = list(uow.session.scalars(stmt))
    for plan in plans:
        plan.cancel()
    return plans


# --------------------------------------------------------------------------- supplier prices


def _authorize(uow: UnitOfWork, action: str, resource: str) -> None:
    uow.authorize(action, resource)


def set_supplier_price(uow: UnitOfWork, data: dict) -> SupplierPrice:
    """Create or change a supplier's price for a product (one row per supplier and product)."""
    _authorize(uow, "update", "supplier_price")
    session = uow.session
    errors: dict[str, list[str]] = {}
    supplier = session.get(Supplier, data.get("supplier_id"))
    if supplier is None:
        errors["supplier_id"] = [f"No supplier with id {data.get('supplier_id')}."]
    product = session.get(Product, data.get("product_id"))
    if product is None:
        errors["product_id"] = [f"No product with id {data.get('product_id')}."]
    elif product.kind != ProductKind.BUY:
        errors["product_id"] = [f"{product.sku} is not a bought product."]
    if errors:
        raise InvalidInput(errors)
    found = session.scalar(select(SupplierPrice).where(SupplierPrice.supplier_id == supplier.id,
                                                       SupplierPrice.product_id == product.id))
    if found is None:
        found = SupplierPrice(supplier_id=supplier.id, supplier=supplier, product_id=product.id, product=product)
        session.add(found)
    found.price = data["price"]
    found.currency = data.get("currency") or "CNY"
    found.min_qty = data.get("min_qty") or ZERO
    found.lead_time_days = data.get("lead_time_days")
    uow.commit()
    return found


def prices_for(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], SupplierPrice]:
    """The price rows of (supplier id, product id) pairs, in one query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = session.scalars(select(SupplierPrice).where(
        SupplierPrice.product_id.in_({p for _s, p in pairs}), SupplierPrice.supplier_id.in_({s for s, _p in pairs})))
    return {(r.supplier_id, r.product_id): r for r in rows if (r.supplier_id, r.product_id) in pairs}


def lead_time(product: Product, price: SupplierPrice | None) -> int:
    """The supplier's lead time when its price list names one, else the product's."""
    if price is not None and price.lead_time_days is not None:
        return price.lead_time_days
    return product.lead_time_days or 0


# --------------------------------------------------------------------------- purchase orders


def get_purchase_order(uow: UnitOfWork, order_id: int, *, for_update: bool = False) -> PurchaseOrder:
    _authorize(uow, "read", "purchase_order")
    return uow.get(PurchaseOrder, order_id, "purchase order", for_update=for_update)


def create_orders_from_plans(uow: UnitOfWork, plan_ids: Iterable[int] | None = None, *,
                             on: date | None = None) -> list[PurchaseOrder]:
    """Draft purchase orders from open plan lines (the ones named, or all open): one order per
    supplier and warehouse, one line per product with the plans' quantities summed and raised to
    the supplier's minimum, at the supplier's price (the product's standard cost without one),
    expected after the supplier's lead time. Each plan line remembers the order line that buys it."""
    _authorize(uow, "create", "purchase_order")
    session, on = uow.session, on or clock.today()
    stmt = (select(PurchasePlanLine).where(PurchasePlanLine.state == PlanState.OPEN)
            .order_by(PurchasePlanLine.id).with_for_update(of=PurchasePlanLine.__table__))
    if plan_ids is not None:
        ids = sorted(set(plan_ids))
        plans = list(session.scalars(stmt.where(PurchasePlanLine.id.in_(ids))))
        missing = sorted(set(ids) - {p.id for p in plans})
        if missing:
            raise InvalidInput({"plan_ids": [f"Not an open purchase plan line: {', '.join(map(str, missing))}."]})
    else:
        plans = list(session.scalars(stmt))
    if not plans:
        raise DomainError("There are no open purchase plan lines to order.", code="nothing_to_order")
    groups: dict[tuple[int, int], dict[int, list[PurchasePlanLine]]] = defaultdict(lambda: defaultdict(list))
    for plan in plans:
        groups[(plan.supplier_id, plan.warehouse_id)][plan.product_id].append(plan)
    prices = prices_for(session, {(p.supplier_id, p.product_id) for p in plans})
    numbers = next_numbers(session, "PO", on=on, count=len(groups))
    orders = []
    for ((supplier_id, warehouse_id), by_product), number in zip(sorted(groups.items()), numbers, strict=True):
        order = PurchaseOrder(number=number, supplier_id=supplier_id, warehouse_id=warehouse_id,
                              state=PurchaseOrderState.DRAFT.value, order_date=on)
        for position, (product_id, product_plans) in enumerate(sorted(by_product.items()), start=1):
            product = product_plans[0].product
            price = prices.get((supplier_id, product_id))
            minimum = price.min_qty if price is not None else (product.min_order_qty or ZERO)
            qty = max(sum((p.qty for p in product_plans), ZERO), minimum)
            order.lines.append(PurchaseOrderLine(
                position=position, product_id=product_id, product=product, qty=qty,
                unit_price=price.price if price is not None else product.standard_cost,
                expected_date=on + timedelta(days=lead_time(product, price))))
        order.compute_total()
        session.add(order)
        orders.append(order)
    session.flush()
    for order in orders:
        lines = {line.product_id: line.id for line in order.lines}
        for plan in groups[(order.supplier_id, order.warehouse_id)].values():
            for p in plan:
                p.mark_ordered(lines[p.product_id])
    uow.commit()
    return orders


def confirm_purchase_order(uow: UnitOfWork, order_id: int) -> PurchaseOrder:
    """Send the order to the supplier: a draft becomes confirmed."""
    _authorize(uow, "update", "purchase_order")
    order = get_purchase_order(uow, order_id, for_update=True)
    order.confirm(at=utcnow())
    uow.commit()
    return order


def cancel_purchase_order(uow: UnitOfWork, order_id: int) -> PurchaseOrder:
    """Cancel a draft or confirmed order (nothing received yet): its plan lines are open again, and so
    give way to stock in hand like any open plan line: free stock of their products is allocated."""
    _authorize(uow, "update", "purchase_order")
    order = get_purchase_order(uow, order_id, for_update=True)
    order.cancel(at=utcnow())
    line_ids = [line.id for line in order.lines]
    reopened = set()
    for plan in uow.session.scalars(select(PurchasePlanLine).where(
            PurchasePlanLine.purchase_order_line_id.in_(line_ids), PurchasePlanLine.state == PlanState.ORDERED)):
        plan.reopen()
        reopened.add(plan.product_id)
    if reopened:
        lock_for_allocation(uow, order.warehouse_id, reopened)
        for product_id in sorted(reopened):
            allocate(uow, product_id=product_id, warehouse_id=order.warehouse_id)
    uow.commit()
    return order


def receive_purchase_order(uow: UnitOfWork, order_id: int, lines: list[dict], *,
                           tolerance: Decimal = ZERO) -> PurchaseOrder:
    """Book a goods receipt against a confirmed order: `lines` of {product_id, qty}, partial
    receipts allowed. Each is a stock move in at the order's price; the stock is then allocated,
    first to the demand the order line's plans are pegged to (what the receipt brings in for each of
    them, `purchasing.supply.receive_into_plans`), then to other waiting demand.
    Receiving more than ordered is refused (409 `over_receipt`) unless within `tolerance`
    (a fraction of the ordered quantity, the `RECEIPT_TOLERANCE` setting).

    `lines` go through `ReceivePurchaseOrderSchema` here as well as in the page and the API: a
    quantity that is not positive would take stock out of the ledger as a "receipt", so no caller
    may skip the schema's rule; what needs the order (its products, what is still open) is checked
    below."""
    _authorize(uow, "create", "goods_receipt")
    order = get_purchase_order(uow, order_id, for_update=True)
    if order.state not in (PurchaseOrderState.CONFIRMED, PurchaseOrderState.PARTIALLY_RECEIVED):
        order.note_received()  # refuses: only a confirmed order can be received
    lines = load_input(ReceivePurchaseOrderSchema, {"lines": lines})["lines"]
    by_product = {line.product_id: line for line in order.lines}
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    errors: dict[str, dict[str, list[str]]] = {}
    over: dict[str, dict[str, list[str]]] = {}
    for index, item in enumerate(lines):
        line = by_product.get(item.get("product_id"))
        if line is None:
            errors[str(index)] = {"product_id": [f"Product {item.get('product_id')} is not on {order.number}."]}
            continue
        wanted[line.product_id] += item["qty"]
        ceiling = line.qty * (Decimal(1) + (tolerance or ZERO))
        if line.qty_received + wanted[line.product_id] > ceiling:
            over[str(index)] = {"qty": [
                f"{line.qty_received} of {line.qty} {line.product.sku} already received; at most "
                f"{max(ceiling - line.qty_received, ZERO)} more can be."]}
    if errors:
        raise InvalidInput({"lines": errors})
    if over:
        raise DomainError(f"More than ordered on {order.number} (tolerance {tolerance:%}); nothing was received.",
                          code="over_receipt", fields={"lines": over})
    lock_for_allocation(uow, order.warehouse_id, wanted)  # every balance the allocations may touch, in order
    for product_id in sorted(wanted):
        line, qty = by_product[product_id], wanted[product_id]
        inventory.post_move(uow, product_id=product_id, warehouse_id=order.warehouse_id, qty=qty,
                            kind=MoveKind.RECEIPT, reference=order.number, unit_cost=line.unit_price)
        line.qty_received += qty
        pegged = receive_into_plans(uow.session, line, qty)
        allocate(uow, product_id=product_id, warehouse_id=order.warehouse_id, pegged=pegged)
    order.note_received()
    uow.commit()
    return order
