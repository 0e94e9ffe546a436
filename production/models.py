"""Bills of materials and work orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Quantity, Timestamp
from core.errors import check_transition
from core.models import Audited, Product
from core.money import ZERO


class Bom(Audited, Base):
    """How to make `output_qty` of a product. One active BOM per product."""

    __tablename__ = "production_bom"
    __table_args__ = (
        Index("uq_production_bom_active_product", "product_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
        CheckConstraint("output_qty > 0", name="output_qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    output_qty: Mapped[Quantity] = mapped_column(default=Decimal(1))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[Timestamp]

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[BomLine]] = relationship(back_populates="bom", order_by="BomLine.position",
                                                cascade="all, delete-orphan", lazy="selectin")


class BomLine(Audited, Base):
    __tablename__ = "production_bom_line"
    __table_args__ = (
        UniqueConstraint("bom_id", "component_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bom_id: Mapped[int] = mapped_column(ForeignKey("production_bom.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    component_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    qty: Mapped[Quantity]

    bom: Mapped[Bom] = relationship(back_populates="lines")
    component: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


class WorkOrderState(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


#: Work orders that have not started: cancelling their demand cancels them.
NOT_STARTED = (WorkOrderState.PLANNED, WorkOrderState.RELEASED)


class WorkOrder(Audited, Base):
    """Make `qty` of a product by `due_date`, pegged to the demand it serves:
    a sales order line, or the parent work order that needs it as a component."""

    __tablename__ = "production_work_order"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    TRANSITIONS: ClassVar[dict[WorkOrderState, set[WorkOrderState]]] = {
        WorkOrderState.PLANNED: {WorkOrderState.RELEASED, WorkOrderState.CANCELLED},
        WorkOrderState.RELEASED: {WorkOrderState.IN_PROGRESS, WorkOrderState.CANCELLED},
        WorkOrderState.IN_PROGRESS: {WorkOrderState.DONE},
        WorkOrderState.DONE: set(),
        WorkOrderState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    bom_id: Mapped[int | None] = mapped_column(ForeignKey("production_bom.id"))
    qty: Mapped[Quantity]
    qty_done: Mapped[Quantity] = mapped_column(default=ZERO)
    state: Mapped[str] = mapped_column(String(20), default=WorkOrderState.PLANNED.value, index=True)
    due_date: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    sales_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order_line.id"), index=True)
    parent_work_order_id: Mapped[int | None] = mapped_column(ForeignKey("production_work_order.id"), index=True)
    # the value of the components issued to it (work in progress), rolled up into the finished goods
    material_cost: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=ZERO)
    # why it was released although not every component was reserved (a manager's override)
    release_override: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[Timestamp]

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
    components: Mapped[list[WorkOrderComponent]] = relationship(
        back_populates="work_order", order_by="WorkOrderComponent.id", cascade="all, delete-orphan",
        lazy="selectin")

    def _move(self, target: WorkOrderState) -> None:
        check_transition("work order", self.state, target, self.TRANSITIONS)
        self.state = target.value

    def release(self) -> None:
        self._move(WorkOrderState.RELEASED)

    def start(self) -> None:
        self._move(WorkOrderState.IN_PROGRESS)

    def complete(self) -> None:
        self._move(WorkOrderState.DONE)

    @property
    def qty_open(self) -> Decimal:
        """What is still to be completed."""
        return self.qty - (self.qty_done or ZERO)

    @property
    def components_reserved(self) -> bool:
        return all(c.shortfall <= 0 for c in self.components)

    def cancel(self) -> None:
        self._move(WorkOrderState.CANCELLED)

    @property
    def started(self) -> bool:
        return self.state not in NOT_STARTED


class WorkOrderComponent(Base):
    """What a work order needs of one component, and how that need is covered:
    `qty_reserved` from stock; the rest by a child work order or a purchase plan line."""

    __tablename__ = "production_work_order_component"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("production_work_order.id", ondelete="CASCADE"),
                                               index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"))
    qty_required: Mapped[Quantity]
    qty_reserved: Mapped[Quantity] = mapped_column(default=ZERO)
    qty_issued: Mapped[Quantity] = mapped_column(default=ZERO)

    work_order: Mapped[WorkOrder] = relationship(back_populates="components")

    @property
    def shortfall(self) -> Decimal:
        """What is needed and neither reserved nor issued yet."""
        return max(self.qty_required - (self.qty_reserved or ZERO) - (self.qty_issued or ZERO), ZERO)
