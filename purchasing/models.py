"""Supplier prices, purchase plans (what must be bought, from whom, by when, and for which demand)
and purchase orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Quantity, Timestamp, UnitPrice
from core.errors import InvalidTransition, check_transition
from core.models import Audited, Product, Supplier
from core.money import ZERO, round_money


class SupplierPrice(Audited, Base):
    """What a supplier charges for a product, the least it sells, and how long it takes
    (overriding the product's lead time when set)."""

    __tablename__ = "purchasing_supplier_price"
    __table_args__ = (
        UniqueConstraint("supplier_id", "product_id", name="uq_purchasing_supplier_price_supplier_product"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("min_qty >= 0", name="min_qty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("core_supplier.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    price: Mapped[UnitPrice]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    min_qty: Mapped[Quantity] = mapped_column(default=ZERO)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[Timestamp]

    supplier: Mapped[Supplier] = relationship(lazy="joined", innerjoin=True)
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


class PlanState(StrEnum):
    OPEN = "open"
    ORDERED = "ordered"
    CANCELLED = "cancelled"


class PurchasePlanLine(Audited, Base):
    """A planned purchase pegged to one demand: a sales order line, or a work order's component.
    `order_by` is the suggested order date: `need_by` minus the product's lead time.

    Until it is received it is supply to come for its demand (`purchasing.supply`): an open line in
    full (and it gives way to stock in hand: it shrinks or is cancelled), an ordered line for what its
    purchase order line has not yet brought in for it (`qty_received`: receipts go to the live plan
    lines of an order line in need-by order)."""

    __tablename__ = "purchasing_plan_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    TRANSITIONS: ClassVar[dict[PlanState, set[PlanState]]] = {
        PlanState.OPEN: {PlanState.ORDERED, PlanState.CANCELLED},
        PlanState.ORDERED: {PlanState.OPEN},  # its purchase order was cancelled
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
    # the purchase order line that buys it (set when ordered)
    purchase_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchasing_order_line.id"), index=True)
    # what that line's receipts brought in for this plan's demand
    qty_received: Mapped[Quantity] = mapped_column(default=ZERO)
    created_at: Mapped[Timestamp]

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)

    def _move(self, target: PlanState) -> None:
        check_transition("purchase plan line", self.state, target, self.TRANSITIONS)
        self.state = target.value

    def cancel(self) -> None:
        self._move(PlanState.CANCELLED)

    def mark_ordered(self, line_id: int | None = None) -> None:
        self._move(PlanState.ORDERED)
        self.purchase_order_line_id = line_id

    def reopen(self) -> None:
        """Its purchase order was cancelled: the need is open again."""
        self._move(PlanState.OPEN)
        self.purchase_order_line_id = None


class PurchaseOrderState(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class PurchaseOrder(Audited, Base):
    __tablename__ = "purchasing_order"

    TRANSITIONS: ClassVar[dict[PurchaseOrderState, set[PurchaseOrderState]]] = {
        PurchaseOrderState.DRAFT: {PurchaseOrderState.CONFIRMED, PurchaseOrderState.CANCELLED},
        PurchaseOrderState.CONFIRMED: {PurchaseOrderState.PARTIALLY_RECEIVED, PurchaseOrderState.RECEIVED,
                                       PurchaseOrderState.CANCELLED},
        PurchaseOrderState.PARTIALLY_RECEIVED: {PurchaseOrderState.RECEIVED},
        PurchaseOrderState.RECEIVED: set(),
        PurchaseOrderState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("core_supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    state: Mapped[str] = mapped_column(String(20), default=PurchaseOrderState.DRAFT.value, index=True)
    order_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total: Mapped[Money] = mapped_column(default=ZERO)
    created_at: Mapped[Timestamp]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    supplier: Mapped[Supplier] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.position", cascade="all, delete-orphan",
        lazy="selectin")

    def _move(self, target: PurchaseOrderState) -> None:
        check_transition("purchase order", self.state, target, self.TRANSITIONS)
        self.state = target.value

    def compute_total(self) -> None:
        self.total = sum((round_money(line.qty * line.unit_price) for line in self.lines), ZERO)

    def confirm(self, *, at: datetime) -> None:
        self._move(PurchaseOrderState.CONFIRMED)
        self.confirmed_at = at

    def cancel(self, *, at: datetime) -> None:
        self._move(PurchaseOrderState.CANCELLED)
        self.cancelled_at = at

    def note_received(self) -> None:
        """A receipt was booked against its lines: partially received, or received in full."""
        if self.state not in (PurchaseOrderState.CONFIRMED, PurchaseOrderState.PARTIALLY_RECEIVED):
            raise InvalidTransition(f"Purchase order {self.number} is {self.state}; only a confirmed order "
                                    f"can be received.", details={"from": str(self.state), "to": "received"})
        done = all(line.qty_received >= line.qty for line in self.lines)
        target = PurchaseOrderState.RECEIVED if done else PurchaseOrderState.PARTIALLY_RECEIVED
        if target != self.state:
            self._move(target)


class PurchaseOrderLine(Audited, Base):
    __tablename__ = "purchasing_order_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchasing_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    qty: Mapped[Quantity]
    qty_received: Mapped[Quantity] = mapped_column(default=ZERO)
    unit_price: Mapped[UnitPrice]
    expected_date: Mapped[date] = mapped_column(Date)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)

    @property
    def qty_open(self) -> Decimal:
        return max(self.qty - (self.qty_received or ZERO), ZERO)

    @property
    def amount(self) -> Decimal:
        return round_money(self.qty * self.unit_price)
