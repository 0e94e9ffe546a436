"""What the crm module announces. Frozen, past tense, ids and values only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.events import Event


@dataclass(frozen=True)
class OrderLineDemand:
    """One confirmed order line as downstream planning needs it."""

    line_id: int
    product_id: int
    qty: Decimal


@dataclass(frozen=True)
class SalesOrderConfirmed(Event):
    order_id: int
    customer_id: int
    warehouse_id: int
    need_by: date
    total: Decimal
    lines: tuple[OrderLineDemand, ...]


@dataclass(frozen=True)
class SalesOrderCancelled(Event):
    order_id: int
    customer_id: int
    was_confirmed: bool
