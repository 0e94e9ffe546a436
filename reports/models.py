"""The aggregates the management reports read, kept beside the documents.

`SalesEntry` is the sales fact ledger: one row per document line and measure, written in the act's own
transaction by the report handlers (an order confirmed or cancelled, a shipment shipped, an invoice or
credit note posted, a payment allocated or undone). Each row carries the dimensions as they were at the
act (the customer's source, tier and region, the order's rep and team, the product's line), so that what
a report shows for a past month does not move when a customer changes tier later. Rows are never updated
except to mark them rolled up into the cubes.

`SalesCubeDay` and `SalesCubeMonth` sum the entries per day (or month) and dimension values. A worker
rolls the entries up (`reports.cube.roll_up`); an answer adds the few entries not rolled up yet, so every
answer is exact for what was committed when it was read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, Money, Timestamp

ZERO = Decimal("0")


class Measure(StrEnum):
    BOOKED = "booked"
    SHIPPED = "shipped"
    COST = "cost"
    INVOICED = "invoiced"
    COLLECTED = "collected"


class SalesEntry(Base):
    """One document line's contribution to one measure, dated by the measure's own date."""

    __tablename__ = "reports_sales_entry"
    __table_args__ = (
        Index("ix_reports_sales_entry_measure_day", "measure", "day"),
        # the few entries not rolled up yet, whatever the planner's statistics say of the others
        Index("ix_reports_sales_entry_pending", "id", postgresql_where=text("cubed = false"),
              sqlite_where=text("cubed = 0")),
        Index("ix_reports_sales_entry_order", "order_id", "measure"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(20))  # sales_order, shipment, invoice, credit_note, payment
    document_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40))
    line_id: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("core_product.id"))
    source: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(10))
    region: Mapped[str | None] = mapped_column(String(80))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(80))
    product_line: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Money]
    # order counts (booked only): +1 on one line per order (`orders`) and on one line per order and product
    # line (`orders_in_line`), -1 when a confirmed order is cancelled; sums of them count distinct orders
    orders: Mapped[int] = mapped_column(Integer, default=0)
    orders_in_line: Mapped[int] = mapped_column(Integer, default=0)
    cubed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[Timestamp]


class _CubeCells:
    """The dimension values and the summed measures of one cube cell."""

    source: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(10))
    region: Mapped[str] = mapped_column(String(80))  # "" when the customer has none (a key column)
    rep_id: Mapped[int] = mapped_column(Integer)  # 0 when the order has no rep
    team: Mapped[str] = mapped_column(String(80))  # "" when the rep has no team
    product_line: Mapped[str] = mapped_column(String(40))  # "" when the product has none
    booked: Mapped[Money] = mapped_column(default=ZERO)
    shipped: Mapped[Money] = mapped_column(default=ZERO)
    cost: Mapped[Money] = mapped_column(default=ZERO)
    invoiced: Mapped[Money] = mapped_column(default=ZERO)
    collected: Mapped[Money] = mapped_column(default=ZERO)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    orders_in_line: Mapped[int] = mapped_column(Integer, default=0)


CELL_KEY = ("source", "tier", "region", "rep_id", "team", "product_line")


class SalesCubeDay(_CubeCells, Base):
    __tablename__ = "reports_sales_cube_day"
    __table_args__ = (UniqueConstraint("day", *CELL_KEY, name="uq_reports_sales_cube_day_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)


class SalesCubeMonth(_CubeCells, Base):
    __tablename__ = "reports_sales_cube_month"
    __table_args__ = (UniqueConstraint("month", *CELL_KEY, name="uq_reports_sales_cube_month_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
