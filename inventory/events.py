"""What the inventory module announces. Frozen, past tense, ids and values only."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class StockAllocated(Event):
    """Stock that became available was reserved for waiting work order components
    (production keeps each component's reserved quantity)."""

    product_id: int
    warehouse_id: int
    work_order_component_ids: tuple[int, ...]
