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


@dataclass(frozen=True)
class SalesOrderShipped(Event):
    """The order's last open quantity is delivered: every goods line is fully shipped and every service line
    delivered (with the shipment that completed the goods, or by the order's explicit "delivered" act)."""

    order_id: int
    customer_id: int
    on: date


@dataclass(frozen=True)
class OwnerHandedOver(Event):
    """A leaving rep's customers, open leads and open opportunities moved to another rep."""

    from_user_id: int
    to_user_id: int
    customer_ids: tuple[int, ...]


@dataclass(frozen=True)
class CustomersMerged(Event):
    """Every document of `drop_id` now belongs to `keep_id`; downstream modules re-point theirs."""

    keep_id: int
    drop_id: int
