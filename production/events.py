"""What the production module announces. Frozen, past tense, ids and values only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.events import Event


@dataclass(frozen=True)
class PurchaseNeed:
    """A shortfall of a bought product, pegged to the demand it serves."""

    product_id: int
    warehouse_id: int
    qty: Decimal
    need_by: date
    sales_order_id: int | None
    sales_order_line_id: int | None = None
    work_order_id: int | None = None
    work_order_component_id: int | None = None


@dataclass(frozen=True)
class MaterialShortagesFound(Event):
    """The explosion of an order found bought products it could not cover from stock."""

    sales_order_id: int | None
    needs: tuple[PurchaseNeed, ...]


@dataclass(frozen=True)
class WorkOrdersCancelled(Event):
    work_order_ids: tuple[int, ...]
