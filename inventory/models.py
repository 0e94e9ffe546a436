"""The stock ledger, balances and reservations (stock locks).

`StockMove` is append-only: a correction is a new move. `StockBalance` holds
`on_hand` (the sum of the moves) and `reserved` (the sum of active
reservations) per product and warehouse, maintained in the same transaction as
the moves and reservations; `services.check_ledger` proves they agree.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Quantity, Timestamp
from core.errors import check_transition
from core.models import AppendOnly, Audited, Product
from core.money import ZERO


class MoveKind(StrEnum):
    ADJUSTMENT = "adjustment"
    RECEIPT = "receipt"
    ISSUE = "issue"
    PRODUCTION = "production"
    SHIPMENT = "shipment"
    RETURN = "return"  # goods a customer sent back (finance's credit note for a return)


class StockMove(AppendOnly, Base):
    """One signed change of on-hand stock. Never updated, never deleted."""

    __tablename__ = "inventory_stock_move"
    __table_args__ = (
        Index("ix_inventory_stock_move_product_warehouse", "product_id", "warehouse_id"),
        Index("ix_inventory_stock_move_kind_created", "kind", "created_at"),  # slow movers: last issue
        CheckConstraint("qty <> 0", name="qty_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    qty: Mapped[Quantity]
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(60))
    # the value of one unit moved: purchase price on receipt, rolled-up component cost on completion,
    # the running average cost on the way out, the product's standard cost as the fallback
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]


class StockBalance(Base):
    """On hand and reserved per product and warehouse; `available` never goes below zero."""

    __tablename__ = "inventory_stock_balance"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("on_hand >= reserved", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"), index=True)
    on_hand: Mapped[Quantity] = mapped_column(default=ZERO)
    reserved: Mapped[Quantity] = mapped_column(default=ZERO)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class ReservationState(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CONSUMED = "consumed"


class Reservation(Base):
    """A lock on stock held by a demand: a sales order line, or a work order's component.

    The work order columns are plain ids: production sits downstream of
    inventory, so inventory's tables do not reference production's."""

    __tablename__ = "inventory_reservation"
    __table_args__ = (
        Index("ix_inventory_reservation_product_state", "product_id", "state"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    TRANSITIONS: ClassVar[dict[ReservationState, set[ReservationState]]] = {
        ReservationState.ACTIVE: {ReservationState.RELEASED, ReservationState.CONSUMED},
        ReservationState.RELEASED: set(),
        ReservationState.CONSUMED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    qty: Mapped[Quantity]
    state: Mapped[str] = mapped_column(String(20), default=ReservationState.ACTIVE.value)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    sales_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order_line.id"), index=True)
    work_order_id: Mapped[int | None] = mapped_column(index=True)
    work_order_component_id: Mapped[int | None]
    created_at: Mapped[Timestamp]
    released_at: Mapped[datetime | None]

    def release(self, *, at: datetime) -> None:
        check_transition("reservation", self.state, ReservationState.RELEASED, self.TRANSITIONS)
        self.state, self.released_at = ReservationState.RELEASED.value, at

    def consume(self, *, at: datetime) -> None:
        """The locked stock left the warehouse (issued to production or shipped)."""
        check_transition("reservation", self.state, ReservationState.CONSUMED, self.TRANSITIONS)
        self.state, self.released_at = ReservationState.CONSUMED.value, at

    @property
    def holder(self) -> str:
        if self.work_order_id is not None:
            return "work_order"
        return "sales_order_line" if self.sales_order_line_id is not None else "none"


class ShipmentState(StrEnum):
    DRAFT = "draft"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class Shipment(Audited, Base):
    """A pick list of a sales order's reserved stock; shipping it moves the stock out.
    A shipment that leaves part of the order behind creates a backorder (a draft shipment
    of the rest, `backorder_of_id` pointing back)."""

    __tablename__ = "inventory_shipment"

    TRANSITIONS: ClassVar[dict[ShipmentState, set[ShipmentState]]] = {
        ShipmentState.DRAFT: {ShipmentState.SHIPPED, ShipmentState.CANCELLED},
        ShipmentState.SHIPPED: set(),
        ShipmentState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    state: Mapped[str] = mapped_column(String(20), default=ShipmentState.DRAFT.value, index=True)
    backorder_of_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_shipment.id"))
    created_at: Mapped[Timestamp]
    shipped_at: Mapped[datetime | None]

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.position", cascade="all, delete-orphan", lazy="selectin")

    def _move(self, target: ShipmentState) -> None:
        check_transition("shipment", self.state, target, self.TRANSITIONS)
        self.state = target.value

    def ship(self, *, at: datetime) -> None:
        self._move(ShipmentState.SHIPPED)
        self.shipped_at = at

    def cancel(self) -> None:
        self._move(ShipmentState.CANCELLED)


class ShipmentLine(Base):
    __tablename__ = "inventory_shipment_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("inventory_shipment.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sales_order_line_id: Mapped[int] = mapped_column(ForeignKey("crm_sales_order_line.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"))
    qty: Mapped[Quantity]

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
