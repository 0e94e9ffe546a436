"""The small company the report tests build through the real services: two product lines, stocked
products, confirmed orders and their shipments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core import services as core_services
from core.models import ProductLine
from core.uow import UnitOfWork
from crm.orders import services as orders
from crm.orders.models import SalesOrder
from inventory import services as inventory
from inventory import shipping


def product_lines(db) -> None:
    """PUMPS (泵) and VALVES (阀门)."""
    db.add_all([ProductLine(code="PUMPS", name="Pumps", name_zh="泵"),
                ProductLine(code="VALVES", name="Valves", name_zh="阀门")])
    db.flush()


def stocked_product(uow: UnitOfWork, sku: str, line: str | None, price: str, cost: str, stock: int = 100) -> int:
    """A bought product of `line` with `stock` on hand at its standard cost, named after its SKU without the
    test's prefix ("OP-PUMP": "Pump"); its id."""
    product = core_services.create_product(uow, {"sku": sku, "name": sku.rsplit("-", 1)[-1].title(), "kind": "buy",
                                                 "list_price": Decimal(price), "standard_cost": Decimal(cost)})
    product.product_line = line
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": Decimal(stock), "reason": "opening stock"})
    return product.id


def order(uow: UnitOfWork, customer_id: int, on: date, lines: dict[int, int], *, requested: date | None = None,
          confirm: bool = True) -> SalesOrder:
    """An order of `lines` ({product id: qty}) entered on `on`, confirmed the same day unless told not to."""
    made = orders.create_order(uow, {"customer_id": customer_id, "requested_date": requested, "lines": [
        {"product_id": product_id, "qty": Decimal(qty)} for product_id, qty in lines.items()]}, on=on)
    return orders.confirm_order(uow, made.id, on=on) if confirm else made


def ship(uow: UnitOfWork, sales_order: SalesOrder, on: date, lines: dict[int, int] | None = None):
    """Ship what is reserved for the order (or `lines`: {product id: qty}) on `on`."""
    data: dict = {"sales_order_id": sales_order.id}
    if lines:
        data["lines"] = [{"product_id": product_id, "qty": Decimal(qty)} for product_id, qty in lines.items()]
    shipment = shipping.create_shipment(uow, data, on=on)
    shipping.ship_shipment(uow, shipment.id, on=on)
    return shipment
