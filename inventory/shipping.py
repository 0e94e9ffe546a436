"""Shipments: a pick list of what is reserved for a sales order; shipping moves that stock out,
consumes its locks, reports the shipped quantities to the order (crm) and leaves a backorder
(a draft shipment of the rest) when the order is not complete.

Service lines (installation, commissioning) need no stock, so they are never on a pick list, a
backorder or a stock move: the order delivers them with the shipment that completes its goods (crm's
`note_shipped`), and an order of services only is delivered on the order itself (`mark_delivered`).
A pick list made before this rule may still hold a service line: shipping it skips that line, and a
pick list of services only is refused (drop it; the order delivers its services)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core import clock
from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.money import ZERO
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.orders import services as crm_services
from crm.orders.models import OPEN_STATES, SalesOrder, SalesOrderLine
from inventory.events import ShipmentShipped, ShippedLine
from inventory.models import MoveKind, Shipment, ShipmentLine, ShipmentState
from inventory.services import consume_reserved

RESOURCE = "shipment"


def _authorize(uow: UnitOfWork, action: str) -> None:
    uow.authorize(action, RESOURCE)


def get_shipment(uow: UnitOfWork, shipment_id: int, *, for_update: bool = False) -> Shipment:
    _authorize(uow, "read")
    return uow.get(Shipment, shipment_id, "shipment", for_update=for_update)


def _open_order(uow: UnitOfWork, order_id) -> SalesOrder:
    order = uow.session.get(SalesOrder, order_id, with_for_update={"of": SalesOrder.__table__},
                            populate_existing=True) if order_id is not None else None
    if order is None:
        raise InvalidInput({"sales_order_id": [f"No sales order with id {order_id}."]})
    if order.state not in [s.value for s in OPEN_STATES] or order.shipment_status == "shipped":
        raise DomainError(f"Order {order.number} is {order.state}; there is nothing to ship.",
                          code="order_not_shippable", details={"state": str(order.state)})
    return order


def _line_for(order: SalesOrder, wanted: dict) -> SalesOrderLine | None:
    if wanted.get("sales_order_line_id") is not None:
        return next((line for line in order.lines if line.id == wanted["sales_order_line_id"]), None)
    return next((line for line in order.lines if line.product_id == wanted.get("product_id")), None)


def create_shipment(uow: UnitOfWork, data: dict, *, on: date | None = None) -> Shipment:
    """A draft shipment (pick list) of a sales order: the `lines` given ({sales_order_line_id or
    product_id, qty}), or everything reserved for the order. A line may not ask for more than is
    reserved for it (422 naming the line)."""
    _authorize(uow, "create")
    order = _open_order(uow, data.get("sales_order_id"))
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    if data.get("lines"):
        errors: dict[str, dict[str, list[str]]] = {}
        for index, item in enumerate(data["lines"]):
            line = _line_for(order, item)
            if line is None:
                errors[str(index)] = {"product_id": [f"Order {order.number} has no such line."]}
                continue
            if line.is_service:
                errors[str(index)] = {"product_id": [f"{line.product.sku} is a service: it is not picked but "
                                                     f"delivered with the order's goods."]}
                continue
            wanted[line.id] += item["qty"]
            if wanted[line.id] > line.reserved_qty:
                errors[str(index)] = {"qty": [f"Only {line.reserved_qty} of {line.product.sku} is reserved "
                                              f"for this order."]}
        if errors:
            raise InvalidInput({"lines": errors}, message="A shipment can only take what is reserved.")
    else:
        for line in order.lines:
            if line.reserved_qty > 0:
                wanted[line.id] = line.reserved_qty
        if not wanted:
            if order.goods_shipped:  # services only, or services left after all the goods shipped
                raise DomainError(f"Order {order.number} has no goods left to pick, only services, which are "
                                  f"not picked: mark it delivered on the order.", code="nothing_reserved")
            raise DomainError(f"Nothing is reserved for order {order.number} yet.", code="nothing_reserved")
    shipment = _new_shipment(uow, order, wanted, on=on)
    uow.commit()
    return shipment


def _new_shipment(uow: UnitOfWork, order: SalesOrder, quantities: dict[int, Decimal], *, on: date | None,
                  backorder_of: Shipment | None = None) -> Shipment:
    lines = {line.id: line for line in order.lines}
    shipment = Shipment(sales_order_id=order.id, warehouse_id=order.warehouse_id, state=ShipmentState.DRAFT.value,
                        number=next_number(uow.session, "SH", on=on or clock.today()),
                        backorder_of_id=backorder_of.id if backorder_of else None)
    shipment.lines = [ShipmentLine(position=index + 1, sales_order_line_id=line_id,
                                   product_id=lines[line_id].product_id, product=lines[line_id].product, qty=qty)
                      for index, (line_id, qty) in enumerate(sorted(quantities.items(),
                                                                    key=lambda kv: lines[kv[0]].position))
                      if qty > 0]
    uow.session.add(shipment)
    return shipment


def ship_shipment(uow: UnitOfWork, shipment_id: int, *, on: date | None = None) -> Shipment:
    """Ship a draft: its reserved stock leaves the warehouse (moves out, locks consumed), the order
    learns the shipped quantities (and, when this completes its goods, delivers its services with them),
    and the goods the order still lacks become a backorder. A line with more than is reserved for it
    refuses the whole shipment (409 `not_reserved`)."""
    _authorize(uow, "update")
    shipment = get_shipment(uow, shipment_id, for_update=True)
    if shipment.state != ShipmentState.DRAFT:
        shipment.ship(at=utcnow())  # raises the illegal transition
    order = uow.session.get(SalesOrder, shipment.sales_order_id, with_for_update={"of": SalesOrder.__table__},
                            populate_existing=True)
    lines = {line.id: line for line in order.lines}
    goods = [item for item in shipment.lines if not lines[item.sales_order_line_id].is_service]
    if not goods:
        raise DomainError(f"Shipment {shipment.number} holds only services, which are never picked: drop it; "
                          f"order {order.number} delivers its services with its goods, or on the order when "
                          f"the goods are shipped.", code="nothing_to_ship")
    short = {}
    for item in goods:
        line = lines[item.sales_order_line_id]
        if item.qty > line.reserved_qty:
            short[str(item.position - 1)] = {"qty": [
                f"{item.qty} of {line.product.sku} to ship but only {line.reserved_qty} is reserved."]}
    if short:
        raise DomainError("The shipment holds more than is reserved; nothing was shipped.", code="not_reserved",
                          fields={"lines": short})
    shipped: dict[int, Decimal] = defaultdict(Decimal)
    moved: list[ShippedLine] = []
    for item in sorted(goods, key=lambda i: i.product_id):
        move = consume_reserved(uow, product_id=item.product_id, warehouse_id=shipment.warehouse_id, qty=item.qty,
                                kind=MoveKind.SHIPMENT, sales_order_line_id=item.sales_order_line_id,
                                reference=shipment.number)
        shipped[item.sales_order_line_id] += item.qty
        moved.append(ShippedLine(item.sales_order_line_id, item.product_id, item.qty, move.unit_cost or ZERO))
    shipment.ship(at=utcnow())
    on = on or clock.today()
    crm_services.note_shipped(uow, order.id, dict(shipped), on=on)
    uow.publish(ShipmentShipped(shipment_id=shipment.id, number=shipment.number, sales_order_id=order.id,
                                shipped_on=on, lines=tuple(moved)))
    _backorder(uow, order, shipment, on=on)
    uow.commit()
    return shipment


def _backorder(uow: UnitOfWork, order: SalesOrder, shipped: Shipment, *, on: date | None) -> Shipment | None:
    """A draft shipment of the goods the order still lacks beyond its other open shipments (its
    services are delivered with the goods, never backordered)."""
    pending: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, qty in uow.session.execute(
            select(ShipmentLine.sales_order_line_id, ShipmentLine.qty).join(Shipment)
            .where(Shipment.sales_order_id == order.id, Shipment.state == ShipmentState.DRAFT,
                   Shipment.id != shipped.id)):
        pending[line_id] += qty
    rest = {line.id: line.open_qty - pending[line.id] for line in order.goods_lines}
    if all(qty <= ZERO for qty in rest.values()):
        return None
    return _new_shipment(uow, order, rest, on=on, backorder_of=shipped)


def cancel_shipment(uow: UnitOfWork, shipment_id: int) -> Shipment:
    """Drop a draft pick list; nothing moves and the stock stays reserved for the order."""
    _authorize(uow, "update")
    shipment = get_shipment(uow, shipment_id, for_update=True)
    shipment.cancel()
    uow.commit()
    return shipment
