"""After-sales tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamp
from core.errors import DomainError, InvalidInput, check_transition
from core.models import Audited, Customer, Product, User


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


#: How long after it is raised (or after its priority changes, counted from when it was raised) a
#: ticket must be resolved. Calendar time, not working hours: customers wait on weekends too.
SLA: dict[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=4),
    TicketPriority.HIGH: timedelta(days=1),
    TicketPriority.NORMAL: timedelta(days=3),
    TicketPriority.LOW: timedelta(days=5),
}

#: States in which the SLA clock runs.
ACTIVE_STATES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


def sla_due(priority: TicketPriority | str, raised_at: datetime) -> datetime:
    return raised_at + SLA[TicketPriority(priority)]


class Ticket(Audited, Base):
    __tablename__ = "crm_ticket"

    TRANSITIONS: ClassVar[dict[TicketStatus, set[TicketStatus]]] = {
        TicketStatus.OPEN: {TicketStatus.IN_PROGRESS, TicketStatus.CANCELLED},
        TicketStatus.IN_PROGRESS: {TicketStatus.RESOLVED, TicketStatus.CANCELLED},
        TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.IN_PROGRESS},
        TicketStatus.CLOSED: set(),
        TicketStatus.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("crm_sales_order.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("core_product.id"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default=TicketPriority.NORMAL.value)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN.value, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    due_at: Mapped[Timestamp]
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    product: Mapped[Product | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")

    def is_overdue(self, now: datetime) -> bool:
        return self.status in ACTIVE_STATES and self.due_at < now

    def set_priority(self, priority: TicketPriority | str) -> None:
        """A new priority moves the due time, still counted from when the ticket was raised."""
        self.priority = TicketPriority(priority).value
        self.due_at = sla_due(self.priority, self.created_at)

    def _move(self, target: TicketStatus) -> None:
        check_transition("ticket", TicketStatus(self.status), target, self.TRANSITIONS)
        self.status = target.value

    def start(self) -> None:
        self._move(TicketStatus.IN_PROGRESS)

    def resolve(self, resolution: str | None, *, at: datetime) -> None:
        if not (resolution or "").strip():
            raise InvalidInput({"resolution": ["Say how the ticket was resolved."]})
        self._move(TicketStatus.RESOLVED)
        self.resolution, self.resolved_at = resolution.strip(), at

    def close(self, *, at: datetime) -> None:
        self._move(TicketStatus.CLOSED)
        self.closed_at = at

    def cancel(self) -> None:
        self._move(TicketStatus.CANCELLED)

    def reopen(self) -> None:
        """Back to work on a resolved ticket; the resolution is kept until it is resolved again."""
        if self.status != TicketStatus.RESOLVED:
            check_transition("ticket", TicketStatus(self.status), TicketStatus.IN_PROGRESS, {})
        self._move(TicketStatus.IN_PROGRESS)
        self.resolved_at = None
        self.satisfaction = None

    def rate(self, score: int) -> None:
        if self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise DomainError(f"Ticket {self.number} is {self.status}; the customer rates a resolved or closed "
                              "ticket.", code="not_resolved")
        if not 1 <= score <= 5:
            raise InvalidInput({"satisfaction": ["The score is from 1 to 5."]})
        self.satisfaction = score
