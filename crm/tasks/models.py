"""Tasks: a follow-up someone owes by a due time, with an optional earlier reminder."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamp
from core.errors import check_transition
from core.models import Audited, Customer, User


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskSource(StrEnum):
    """Where a task came from. Jobs that create tasks name themselves here."""

    MANUAL = "manual"
    ACTIVITY_NEXT_STEP = "activity_next_step"
    DORMANT_CUSTOMER = "dormant_customer"
    STALLED_DEAL = "stalled_deal"
    LEAD_FOLLOW_UP = "lead_follow_up"
    TICKET = "ticket"


class Task(Audited, Base):
    __tablename__ = "crm_task"
    __table_args__ = (Index("ix_crm_task_owner_state_due", "owner_id", "state", "due_at"),
                      Index("ix_crm_task_state_reminded", "state", "reminded_at"))

    TRANSITIONS: ClassVar[dict[TaskState, set[TaskState]]] = {
        TaskState.OPEN: {TaskState.DONE, TaskState.CANCELLED},
        TaskState.DONE: set(),
        TaskState.CANCELLED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer.id"), index=True)
    # the lead and the opportunity a task is about belong to modules above the tasks, which give what a task
    # needs of them through the app's registry (`task_subjects`, `crm.tasks.services.TaskSubject`)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("crm_lead.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    # the activity whose next step this task is (one task per activity)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_activity.id"), unique=True)
    state: Mapped[str] = mapped_column(String(10), default=TaskState.OPEN.value)
    source: Mapped[str] = mapped_column(String(30), default=TaskSource.MANUAL.value)
    # when the reminder went out; cleared by a reschedule, so the new time reminds again
    reminded_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    customer: Mapped[Customer | None] = relationship(lazy="joined")

    @property
    def reminder_time(self) -> datetime:
        """When the owner is reminded: the reminder time, else the due time."""
        return self.remind_at or self.due_at

    def is_overdue(self, now: datetime) -> bool:
        return self.state == TaskState.OPEN and self.due_at < now

    def _move(self, target: TaskState) -> None:
        check_transition("task", TaskState(self.state), target, self.TRANSITIONS)
        self.state = target.value

    def complete(self, *, at: datetime) -> None:
        self._move(TaskState.DONE)
        self.completed_at = at

    def cancel(self, *, at: datetime) -> None:
        self._move(TaskState.CANCELLED)
        self.cancelled_at = at

    def reschedule(self, due_at: datetime, remind_at: datetime | None) -> None:
        """A new due time (and reminder) for an open task; the reminder goes out again at the new time."""
        if self.state != TaskState.OPEN:
            check_transition("task", TaskState(self.state), TaskState.OPEN, self.TRANSITIONS)
        self.due_at, self.remind_at, self.reminded_at = due_at, remind_at, None

    def mark_reminded(self, *, at: datetime) -> None:
        self.reminded_at = at
