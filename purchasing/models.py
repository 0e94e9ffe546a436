"""Purchase plans: what must be bought, from whom, by when, and for which demand."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Quantity, Timestamp
from core.errors import check_transition
from core.models import Audited, Product


class PlanState(StrEnum):
    OPEN = "open"
    ORDERED = "ordered"
    CANCELLED = "cancelled"


class PurchasePlanLine(Audited, Base):
    """A planned purchase pegged to one demand: a sales order line, or a work order's component.
    `order_by` is the suggested order date: `need_by` minus the product's lead time."""

    __tablename__ = "purchasing_plan_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    TRANSITIONS: ClassVar[dict[PlanState, set[PlanState]]] = {
        PlanState.OPEN: {PlanState.ORDERED, PlanState.CANCELLED},
        PlanState.ORDERED: set(),
        PlanState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("core_supplier.id"), index=True)
    qty: Mapped[Quantity]
    need_by: Mapped[date] = mapped_column(Date)
    order_by: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default=PlanState.OPEN.value, index=True)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    sales_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order_line.id"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("production_work_order.id"), index=True)
    work_order_component_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_work_order_component.id"))
    created_at: Mapped[Timestamp]

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)

    def _move(self, target: PlanState) -> None:
        check_transition("purchase plan line", self.state, target, self.TRANSITIONS)
        self.state = target.value

    def cancel(self) -> None:
        self._move(PlanState.CANCELLED)

    def mark_ordered(self) -> None:
        self._move(PlanState.ORDERED)
