"""What the inventory module announces. Frozen, past tense, ids and values only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.events import Event


@dataclass(frozen=True)
class StockMoved(Event):
    """Move `move_id` was appended to the stock ledger: `qty` (signed: > 0 in, < 0 out) of the product in
    the warehouse at `unit_cost` each, of `kind` (a `MoveKind` value) with its reason and reference.
    Every move announces itself, whichever module posted it (finance's journal books its value)."""

    move_id: int
    product_id: int
    warehouse_id: int
    qty: Decimal
    unit_cost: Decimal | None
    kind: str
    reason: str | None
    reference: str | None
    moved_at: datetime


@dataclass(frozen=True)
class StockAllocated(Event):
    """Stock that became available was reserved for waiting work order components
    (production keeps each component's reserved quantity)."""

    product_id: int
    warehouse_id: int
    work_order_component_ids: tuple[int, ...]


@dataclass(frozen=True)
class ShippedLine:
    """What one shipment line took out: `qty` of the order line's product at `unit_cost` each."""

    sales_order_line_id: int
    product_id: int
    qty: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class ShipmentShipped(Event):
    """Shipment `shipment_id` of order `sales_order_id` left the warehouse on `shipped_on` (a day)."""

    shipment_id: int
    number: str
    sales_order_id: int
    shipped_on: date
    lines: tuple[ShippedLine, ...]

