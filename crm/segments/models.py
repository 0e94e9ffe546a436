"""The latest RFM snapshot, one row per customer with orders.

The snapshot is derived data: `rfm.refresh` replaces it as a whole from the orders, so it is not an
audited business record. What a refresh changes on customers (the lifecycle stage) goes through the
ORM and is audited."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import AwareDateTime, Base, Money
from core.models import Customer


class CustomerRfm(Base):
    __tablename__ = "crm_customer_rfm"

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    last_order_date: Mapped[date] = mapped_column(Date)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary: Mapped[Money]
    paid: Mapped[Money]
    r_score: Mapped[int] = mapped_column(Integer)
    f_score: Mapped[int] = mapped_column(Integer)
    m_score: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(20), index=True)
    computed_at: Mapped[datetime] = mapped_column(AwareDateTime())

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)

    @property
    def paid_share(self) -> Decimal | None:
        return None if not self.monetary else (self.paid / self.monetary).quantize(Decimal("0.01"))
