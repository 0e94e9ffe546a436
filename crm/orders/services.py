"""Sales order services: the only code that changes sales orders.

The acting user is `uow.actor` (None for system acts). Sales users work on the
orders of their own customers (data scope through the customer's owner). The input is the
output of `crm.orders.schemas` (one to 500 lines, quantities and prices in shape), as the API
and the order form load it; here the customer, warehouse and products are checked against the
database.

Service lines (installation, commissioning) need no stock: inventory never reserves, picks or moves
them. They are delivered with the order's goods: `note_shipped` delivers the open service lines when the
shipment it records completes the goods, and an order of services only is delivered by the explicit act
`mark_delivered` (sales in their data scope, and admin: resource `sales_order_delivery`). Either way the
order becomes `shipped` and announces `SalesOrderShipped`, as a shipment of goods does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core import clock
from core.db import utcnow
from core.errors import Forbidden, InvalidInput
from core.models import Customer, Product, Warehouse
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.orders.models import SalesOrder, SalesOrderLine

RESOURCE = "sales_order"
#: Who may mark an order's services delivered (the explicit act; shipments deliver them with the goods).
DELIVERY_RESOURCE = "sales_order_delivery"


def _authorize(uow: UnitOfWork, action: str, order: SalesOrder | None = None) -> None:
    uow.authorize(action, RESOURCE, order)


def get_order(uow: UnitOfWork, order_id: int, *, for_update: bool = False) -> SalesOrder:
    order = uow.get(SalesOrder, order_id, "sales order", for_update=for_update)  # not the joined customer
    _authorize(uow, "read", order)
    return order


def _customer_for_order(uow: UnitOfWork, customer_id: Any) -> Customer:
    customer = uow.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None or not uow.in_scope("read", "customer", customer):
        raise InvalidInput({"customer_id": [f"No customer with id {customer_id}."]})
    if not uow.in_scope("update", "customer", customer):
        raise Forbidden("You may only enter orders for your own customers.")
    if not customer.active:
        raise InvalidInput({"customer_id": ["This customer is inactive."]})
    return customer


def _warehouse(uow: UnitOfWork, warehouse_id: int | None) -> Warehouse:
    if warehouse_id is None:
        found = uow.session.scalar(select(Warehouse).where(Warehouse.is_default.is_(True)).order_by(Warehouse.id))
        if found is None:
            raise InvalidInput({"warehouse_id": ["There is no default warehouse; name one."]})
        return found
    found = uow.session.get(Warehouse, warehouse_id)
    if found is None:
        raise InvalidInput({"warehouse_id": [f"No warehouse with id {warehouse_id}."]})
    return found


def _set_lines(uow: UnitOfWork, order: SalesOrder, lines: list[dict]) -> None:
    wanted = {line["product_id"] for line in lines}
    products = {p.id: p for p in uow.session.scalars(select(Product).where(Product.id.in_(wanted)))}
    errors: dict[str, dict[str, list[str]]] = {}
    for index, line in enumerate(lines):
        product = products.get(line["product_id"])
        if product is None:
            errors[str(index)] = {"product_id": [f"No product with id {line['product_id']}."]}
        elif not product.active:
            errors[str(index)] = {"product_id": [f"Product {product.sku} is inactive."]}
    if errors:
        raise InvalidInput({"lines": errors})
    order.clear_lines()
    for line in lines:
        order.add_line(products[line["product_id"]], line["qty"], unit_price=line.get("unit_price"),
                       discount=line.get("discount") or Decimal(0))


def create_order(uow: UnitOfWork, data: dict, *, on: date | None = None) -> SalesOrder:
    """A draft order with its lines; it gets its number `SO-YYYY-NNNNN` now."""
    _authorize(uow, "create")
    on = on or clock.today()
    customer = _customer_for_order(uow, data.get("customer_id"))
    warehouse = _warehouse(uow, data.get("warehouse_id"))
    order = SalesOrder(
        customer_id=customer.id, customer=customer, warehouse_id=warehouse.id, order_date=on,
        requested_date=data.get("requested_date") or on, customer_reference=data.get("customer_reference"),
        note=data.get("note"), currency=customer.currency, state="draft", owner_id=customer.owner_id,
        created_by_id=uow.actor_id)
    _set_lines(uow, order, data["lines"])
    order.number = next_number(uow.session, "SO", on=on)
    uow.session.add(order)
    uow.commit()
    return order


def update_order(uow: UnitOfWork, order_id: int, data: dict) -> SalesOrder:
    """Change a draft: header fields, and the lines when `lines` is given (replacing them all)."""
    order = get_order(uow, order_id, for_update=True)
    _authorize(uow, "update", order)
    order.ensure_editable()
    if "customer_id" in data and data["customer_id"] != order.customer_id:
        customer = _customer_for_order(uow, data["customer_id"])
        order.customer_id, order.customer, order.owner_id = customer.id, customer, customer.owner_id
    if "warehouse_id" in data:
        order.warehouse_id = _warehouse(uow, data["warehouse_id"]).id
    for key in ("requested_date", "customer_reference", "note"):
        if key in data:
            setattr(order, key, data[key] if key != "requested_date" else data[key] or order.order_date)
    if "lines" in data:
        _set_lines(uow, order, data["lines"])
    uow.commit()
    return order


def confirm_order(uow: UnitOfWork, order_id: int, *, on: date | None = None) -> SalesOrder:
    """Sign the order. In the same transaction the handlers check credit (finance),
    reserve stock and plan work orders and purchases (production, purchasing):
    all of it happens, or none of it."""
    order = get_order(uow, order_id, for_update=True)
    _authorize(uow, "update", order)
    order.confirm(on=on or clock.today())
    uow.commit()
    return order


def cancel_order(uow: UnitOfWork, order_id: int) -> SalesOrder:
    """Cancel a draft or confirmed order; handlers release its reservations and
    cancel its plans and not-yet-started work orders in the same transaction."""
    order = get_order(uow, order_id, for_update=True)
    _authorize(uow, "update", order)
    order.cancel(at=utcnow())
    uow.commit()
    return order


def mark_delivered(uow: UnitOfWork, order_id: int, *, on: date | None = None) -> SalesOrder:
    """The explicit "delivered" act (on `on`, today by default) for an order whose goods are all shipped,
    above all an order of services only, which no shipment ever carries: its open service lines are
    delivered, the order becomes `shipped` and announces `SalesOrderShipped` (so on-delivery installments
    are invoiced in this transaction, and invoicing what shipped bills the services). Refused (409) while
    goods are unshipped (`goods_not_shipped`), when no service is left to deliver (`nothing_to_deliver`) or
    when the order is not confirmed (`invalid_transition`)."""
    order = get_order(uow, order_id, for_update=True)
    uow.authorize("update", DELIVERY_RESOURCE, order)
    order.mark_delivered(on=on or clock.today())
    uow.commit()
    return order


# --------------------------------------------------------------------------- reported back by downstream modules


def note_lines_reserved(uow: UnitOfWork, changes: dict[int, Decimal]) -> None:
    """Inventory reports reserved quantity per order line (positive: reserved, negative: released).
    No commit: it runs inside the caller's transaction."""
    if not changes:
        return
    for line_id, delta in changes.items():
        line = uow.session.get(SalesOrderLine, line_id)  # usually already in the identity map
        if line is not None:
            line.reserved_qty += delta


def note_shipped(uow: UnitOfWork, order_id: int, shipped: dict[int, Decimal], *,
                 on: date | None = None) -> SalesOrder:
    """Inventory reports what a shipment took out per order line (on `on`, today by default): the lines'
    `shipped_qty` grow; when the goods are then all shipped, the open service lines are delivered with
    this shipment; and the order moves to `partially_shipped` or `shipped` (announcing
    `SalesOrderShipped`). No commit: it runs inside the caller's transaction."""
    order = uow.get(SalesOrder, order_id, "sales order")
    lines = {line.id: line for line in order.lines}
    for line_id, qty in shipped.items():
        line = lines.get(line_id)
        if line is None:
            raise InvalidInput({"lines": [f"Line {line_id} is not a line of order {order.number}."]})
        if line.is_service:
            raise InvalidInput({"lines": [f"Line {line_id} of order {order.number} is a service; services are "
                                          f"delivered with the goods, never shipped."]})
        line.shipped_qty = (line.shipped_qty or Decimal(0)) + qty
    order.deliver_services()
    order.note_shipping_progress(on=on or clock.today())
    return order


def note_invoiced(uow: UnitOfWork, order_id: int, amount: Decimal) -> SalesOrder:
    """Finance reports a posted invoice (gross; negative for a credit): the order's `invoiced_amount`
    grows, so that part leaves the unbilled exposure. No commit: it runs inside the caller's transaction."""
    order = uow.get(SalesOrder, order_id, "sales order")
    order.invoiced_amount = (order.invoiced_amount or Decimal(0)) + amount
    return order


def note_credited(uow: UnitOfWork, order_id: int, amount: Decimal) -> SalesOrder:
    """Finance reports a posted credit note (gross) on one of the order's invoices: the order's
    `invoiced_amount` falls and its `credited_amount` grows by it, so the unbilled exposure
    (total - credited - invoiced) stays as it was and `payment_status` compares the paid amount with
    the order net of credits. No commit: it runs inside the caller's transaction."""
    order = uow.get(SalesOrder, order_id, "sales order")
    order.invoiced_amount = (order.invoiced_amount or Decimal(0)) - amount
    order.credited_amount = (order.credited_amount or Decimal(0)) + amount
    return order


def note_paid(uow: UnitOfWork, order_id: int, amount: Decimal) -> SalesOrder:
    """Finance reports money applied to the order's invoices (negative when an allocation is undone):
    `paid_amount` and so `payment_status` follow. No commit: it runs inside the caller's transaction."""
    order = uow.get(SalesOrder, order_id, "sales order")
    order.paid_amount = (order.paid_amount or Decimal(0)) + amount
    return order
