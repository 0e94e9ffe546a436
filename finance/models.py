"""Credit control records (invoices, payments and the journal arrive with their issues)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, Money, Timestamp
from core.models import Audited


class CreditApproval(Audited, Base):
    """Finance's approval of one sales order over the customer's credit limit, with a reason.
    It lets that order (and only it, up to `approved_total`) through the credit check."""

    __tablename__ = "finance_credit_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("crm_sales_order.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    approved_total: Mapped[Money]
    reason: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    approved_at: Mapped[Timestamp]
    used_at: Mapped[datetime | None]
