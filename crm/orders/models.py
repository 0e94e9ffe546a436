"""Sales orders: the document that drives everything downstream.

Service lines (a product of kind `service`: installation, commissioning) need no stock: they are never
reserved, allocated, planned, picked or moved in the stock ledger. They are delivered with the order's
goods: when the shipment that completes the goods ships, the open service lines are delivered with it
(`deliver_services`), and an order of services only is delivered by an explicit act (`mark_delivered`).
Either way the delivered quantity is the line's `shipped_qty`, so `shipment_status` counts service lines
like goods, the order becomes `shipped` (announcing `SalesOrderShipped`) and invoicing what shipped bills
them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Quantity, Timestamp
from core.errors import DomainError, InvalidTransition, check_transition
from core.events import RecordsEvents
from core.models import Audited, Customer, Product, ProductKind, Warehouse
from core.money import ZERO
from crm.events import OrderLineDemand, SalesOrderCancelled, SalesOrderConfirmed, SalesOrderShipped
from crm.totals import DocumentTotals, LineTotals


class OrderState(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DONE = "done"
    CANCELLED = "cancelled"


#: States in which an order is a commitment that is not finished yet.
OPEN_STATES = (OrderState.CONFIRMED, OrderState.PARTIALLY_SHIPPED, OrderState.SHIPPED)


class SalesOrder(RecordsEvents, DocumentTotals, Audited, Base):
    __tablename__ = "crm_sales_order"
    __table_args__ = (Index("ix_crm_sales_order_customer_state", "customer_id", "state"),)

    TRANSITIONS: ClassVar[dict[OrderState, set[OrderState]]] = {
        OrderState.DRAFT: {OrderState.CONFIRMED, OrderState.CANCELLED},
        OrderState.CONFIRMED: {OrderState.PARTIALLY_SHIPPED, OrderState.SHIPPED, OrderState.CANCELLED},
        OrderState.PARTIALLY_SHIPPED: {OrderState.SHIPPED},
        OrderState.SHIPPED: {OrderState.DONE},
        OrderState.DONE: set(),
        OrderState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"))
    # the sales rep the order counts for (the customer's owner when the order was entered)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("core_warehouse.id"))
    state: Mapped[str] = mapped_column(String(20), default=OrderState.DRAFT.value, index=True)
    order_date: Mapped[date] = mapped_column(Date)
    requested_date: Mapped[date] = mapped_column(Date)
    customer_reference: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # untaxed, tax, total: DocumentTotals
    # reported back by finance when it bills, credits and collects (0 until invoices exist):
    # invoiced_amount is net of credit notes, credited_amount what credit notes took off the order
    invoiced_amount: Mapped[Money] = mapped_column(default=ZERO)
    credited_amount: Mapped[Money] = mapped_column(default=ZERO)
    paid_amount: Mapped[Money] = mapped_column(default=ZERO)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.position", cascade="all, delete-orphan",
        lazy="selectin")

    # -- editing (draft only)
    @property
    def editable(self) -> bool:
        return self.state == OrderState.DRAFT

    def ensure_editable(self) -> None:
        if not self.editable:
            raise DomainError(f"Order {self.number} is {self.state}; only a draft can be changed.",
                              code="not_editable", details={"state": str(self.state)})

    def add_line(self, product: Product, qty: Decimal, *, unit_price: Decimal | None = None,
                 discount: Decimal = ZERO) -> SalesOrderLine:
        self.ensure_editable()
        line = SalesOrderLine(
            product_id=product.id, product=product, position=len(self.lines) + 1, qty=qty,
            unit_price=product.list_price if unit_price is None else unit_price,
            discount=discount, tax_rate=product.tax_rate, reserved_qty=ZERO, shipped_qty=ZERO)
        line.compute()
        self.lines.append(line)
        self.compute_totals()
        return line

    def clear_lines(self) -> None:
        self.ensure_editable()
        self.lines.clear()
        self.compute_totals()

    # -- transitions
    def confirm(self, *, on: date) -> None:
        if not self.lines:
            raise DomainError(f"Order {self.number} has no lines and cannot be confirmed.", code="empty_order")
        check_transition("sales order", self.state, OrderState.CONFIRMED, self.TRANSITIONS)
        self.state, self.confirmed_on = OrderState.CONFIRMED.value, on
        if self.owner_id is None and self.customer is not None:
            self.owner_id = self.customer.owner_id
        self.record(SalesOrderConfirmed(
            order_id=self.id, customer_id=self.customer_id, warehouse_id=self.warehouse_id,
            need_by=self.requested_date, total=self.total,
            lines=tuple(OrderLineDemand(line.id, line.product_id, line.qty) for line in self.lines)))

    def cancel(self, *, at: datetime) -> None:
        was_confirmed = self.state != OrderState.DRAFT
        check_transition("sales order", self.state, OrderState.CANCELLED, self.TRANSITIONS)
        self.state, self.cancelled_at = OrderState.CANCELLED.value, at
        self.record(SalesOrderCancelled(order_id=self.id, customer_id=self.customer_id,
                                        was_confirmed=was_confirmed))

    def deliver_services(self) -> list[SalesOrderLine]:
        """When the goods are all shipped, the open service lines are delivered with them (their whole
        open quantity). Returns the lines delivered now (none while goods are unshipped or when no service
        is open). A shipment calls it after recording the goods it took out (through
        `crm.orders.services.note_shipped`), `mark_delivered` after its own checks; the caller then notes
        the shipping progress."""
        if not self.goods_shipped:
            return []
        delivered = [line for line in self.service_lines if line.open_qty > 0]
        for line in delivered:
            line.shipped_qty = line.qty
        return delivered

    def mark_delivered(self, *, on: date) -> list[SalesOrderLine]:
        """The explicit "delivered" act: the open service lines of a confirmed order whose goods are all
        shipped (an order of services only has no goods) are delivered now, and the order becomes
        `shipped`. Refused (409) while goods are unshipped (`goods_not_shipped`: they leave with a shipment,
        which delivers the services with them), or when no service line is open (`nothing_to_deliver`)."""
        if self.state not in (OrderState.CONFIRMED, OrderState.PARTIALLY_SHIPPED):
            raise InvalidTransition(f"Order {self.number} is {self.state}; only a confirmed order that is not "
                                    f"shipped yet can be marked delivered.",
                                    details={"from": str(self.state), "to": OrderState.SHIPPED.value})
        if not self.goods_shipped:
            unshipped = [line.product.sku for line in self.goods_lines if line.open_qty > 0]
            raise DomainError(
                f"Order {self.number} still has goods to ship ({', '.join(unshipped)}); its services are "
                f"delivered with the shipment that completes the goods.", code="goods_not_shipped",
                details={"unshipped": unshipped})
        if not any(line.open_qty > 0 for line in self.service_lines):
            raise DomainError(f"Order {self.number} has no service line left to deliver.",
                              code="nothing_to_deliver")
        delivered = self.deliver_services()
        self.note_shipping_progress(on=on)
        return delivered

    def note_shipping_progress(self, *, on: date) -> None:
        """Shipping reported the lines' shipped quantities: the order is partially shipped or shipped
        (then it announces `SalesOrderShipped`, dated `on`)."""
        target = OrderState.SHIPPED if self.shipment_status == "shipped" else OrderState.PARTIALLY_SHIPPED
        if target != self.state:
            check_transition("sales order", self.state, target, self.TRANSITIONS)
            self.state = target.value
            if target == OrderState.SHIPPED:
                self.record(SalesOrderShipped(order_id=self.id, customer_id=self.customer_id, on=on))

    # -- goods and services
    @property
    def goods_lines(self) -> list[SalesOrderLine]:
        """The lines of stocked products: reserved, picked and shipped from the warehouse."""
        return [line for line in self.lines if not line.is_service]

    @property
    def service_lines(self) -> list[SalesOrderLine]:
        """The lines of services: no stock, delivered with the goods (or by `mark_delivered`)."""
        return [line for line in self.lines if line.is_service]

    @property
    def goods_shipped(self) -> bool:
        """Every goods line is shipped in full (true for an order of services only)."""
        return all((line.shipped_qty or ZERO) >= line.qty for line in self.goods_lines)

    @property
    def can_mark_delivered(self) -> bool:
        """Whether the explicit "delivered" act applies now (what `mark_delivered` accepts)."""
        return (self.state in (OrderState.CONFIRMED, OrderState.PARTIALLY_SHIPPED) and self.goods_shipped
                and any(line.open_qty > 0 for line in self.service_lines))

    # -- derived progress (never a written state)
    @property
    def shipment_status(self) -> str:
        shipped = sum((line.shipped_qty or ZERO for line in self.lines), ZERO)
        if shipped <= 0:
            return "none"
        return "shipped" if all((line.shipped_qty or ZERO) >= line.qty for line in self.lines) else "partial"

    @property
    def net_total(self) -> Decimal:
        """What the customer owes for the order after credit notes."""
        return self.total - (self.credited_amount or ZERO)

    @property
    def invoice_status(self) -> str:
        invoiced = self.invoiced_amount or ZERO
        if invoiced <= 0 and not (self.credited_amount or ZERO):
            return "none"
        return "invoiced" if invoiced >= self.net_total else "partial"

    @property
    def payment_status(self) -> str:
        """`paid` when what was paid covers the order net of credit notes (a fully credited order
        with nothing to pay counts as paid), `partial` when something was paid, else `unpaid`."""
        paid = self.paid_amount or ZERO
        if paid >= self.net_total and (paid > 0 or (self.credited_amount or ZERO) > 0):
            return "paid"
        return "partial" if paid > 0 else "unpaid"

    @property
    def unbilled(self) -> Decimal:
        """Gross amount committed and not yet invoiced nor credited (counts toward credit exposure)."""
        if self.state not in OPEN_STATES:
            return ZERO
        return max(self.net_total - (self.invoiced_amount or ZERO), ZERO)


class SalesOrderLine(LineTotals, Audited, Base):
    __tablename__ = "crm_sales_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("crm_sales_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("core_product.id"), index=True)
    # qty, unit_price, discount, tax_rate, untaxed, tax, total: LineTotals
    # reported back by inventory (reservations) and, later, by shipping
    reserved_qty: Mapped[Quantity] = mapped_column(default=ZERO)
    shipped_qty: Mapped[Quantity] = mapped_column(default=ZERO)

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_service(self) -> bool:
        """A service line needs no stock: it is delivered with the order's goods, never picked."""
        return self.product is not None and self.product.kind == ProductKind.SERVICE

    @property
    def to_come_qty(self) -> Decimal:
        """What is neither shipped nor reserved in stock yet: still to be made or bought (nothing for a
        service, which is neither)."""
        if self.is_service:
            return ZERO
        return max(self.qty - (self.shipped_qty or ZERO) - (self.reserved_qty or ZERO), ZERO)

    @property
    def open_qty(self) -> Decimal:
        """What is not shipped yet."""
        return max(self.qty - (self.shipped_qty or ZERO), ZERO)
