"""Leads and the rules that score and assign them (their thresholds and limits: `crm.policy`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamp
from core.errors import check_transition
from core.models import Audited, User


class LeadStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"        # owned by a rep, with a follow-up deadline (until followed up)
    POOL = "pool"                # the public pool: any rep may claim it
    NURTURING = "nurturing"      # low grade: marketing keeps warming it, no owner, no deadline
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class LeadSource(StrEnum):
    API = "api"
    WEB_FORM = "web_form"
    MANUAL = "manual"
    IMPORT = "import"


class BehaviourEvent(StrEnum):
    FORM_SUBMITTED = "form_submitted"
    REPLIED = "replied"
    VISITED = "visited"


class DuplicateKind(StrEnum):
    LEAD = "lead"
    CONTACT = "contact"
    CUSTOMER = "customer"


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.ASSIGNED, LeadStatus.POOL, LeadStatus.NURTURING)


class Lead(Audited, Base):
    __tablename__ = "crm_lead"
    __table_args__ = (Index("ix_crm_lead_owner_status", "owner_id", "status"),
                      Index("ix_crm_lead_address_created", "source_address", "created_at"),
                      Index("ix_crm_lead_created", "created_at"))  # the funnel's cohort of leads

    TRANSITIONS: ClassVar[dict[LeadStatus, set[LeadStatus]]] = {
        LeadStatus.NEW: {LeadStatus.ASSIGNED, LeadStatus.POOL, LeadStatus.NURTURING, LeadStatus.DISQUALIFIED},
        LeadStatus.ASSIGNED: {LeadStatus.POOL, LeadStatus.NURTURING, LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED},
        LeadStatus.POOL: {LeadStatus.ASSIGNED, LeadStatus.DISQUALIFIED},
        LeadStatus.NURTURING: {LeadStatus.ASSIGNED, LeadStatus.POOL, LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED},
        LeadStatus.CONVERTED: set(),
        LeadStatus.DISQUALIFIED: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    company: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80))
    company_size: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # where it came from
    source: Mapped[str] = mapped_column(String(20), default=LeadSource.API.value)
    channel: Mapped[str | None] = mapped_column(String(80))
    utm_source: Mapped[str | None] = mapped_column(String(120))
    utm_medium: Mapped[str | None] = mapped_column(String(120))
    utm_campaign: Mapped[str | None] = mapped_column(String(120))
    source_address: Mapped[str | None] = mapped_column(String(64))
    # normalized keys for duplicate detection
    norm_phone: Mapped[str | None] = mapped_column(String(40), index=True)
    norm_email: Mapped[str | None] = mapped_column(String(200), index=True)
    norm_company: Mapped[str | None] = mapped_column(String(200), index=True)
    is_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_kind: Mapped[str | None] = mapped_column(String(20))
    duplicate_id: Mapped[int | None] = mapped_column(Integer)
    duplicate_on: Mapped[str | None] = mapped_column(String(20))
    # scoring
    score: Mapped[int] = mapped_column(Integer, default=0)
    grade: Mapped[str] = mapped_column(String(1), default=Grade.C.value)
    score_detail: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # assignment and follow-up
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.NEW.value, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    previous_owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    assigned_at: Mapped[datetime | None]
    assigned_by: Mapped[str | None] = mapped_column(String(40))   # rule:<id>, round_robin, claim, manual
    follow_up_due: Mapped[datetime | None] = mapped_column(index=True)
    followed_up_at: Mapped[datetime | None]
    recycled_count: Mapped[int] = mapped_column(Integer, default=0)
    # conversion
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_contact.id"))
    opportunity_id: Mapped[int | None] = mapped_column(Integer)
    converted_at: Mapped[datetime | None]
    created_at: Mapped[Timestamp]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")

    # -- transitions (state is assigned only here)
    def _move(self, target: LeadStatus) -> None:
        check_transition("lead", self.status, target, self.TRANSITIONS)
        self.status = target.value

    def assign(self, owner_id: int, *, at: datetime, due: datetime | None, by: str) -> None:
        self._move(LeadStatus.ASSIGNED)
        self.owner_id, self.assigned_at, self.assigned_by = owner_id, at, by
        self.follow_up_due, self.followed_up_at = due, None

    def to_pool(self) -> None:
        self._move(LeadStatus.POOL)
        self.previous_owner_id, self.owner_id = self.owner_id, None
        self.follow_up_due = None

    def recycle(self) -> None:
        self.to_pool()
        self.recycled_count = (self.recycled_count or 0) + 1

    def to_nurturing(self) -> None:
        self._move(LeadStatus.NURTURING)
        if self.owner_id is not None:
            self.previous_owner_id = self.owner_id
        self.owner_id, self.follow_up_due = None, None

    def convert(self, *, at: datetime, customer_id: int, contact_id: int, opportunity_id: int) -> None:
        self._move(LeadStatus.CONVERTED)
        self.customer_id, self.contact_id, self.opportunity_id = customer_id, contact_id, opportunity_id
        self.converted_at, self.follow_up_due = at, None

    def disqualify(self) -> None:
        self._move(LeadStatus.DISQUALIFIED)
        self.follow_up_due = None

    def note_follow_up(self, *, at: datetime) -> None:
        """The owner worked the lead: the deadline is met."""
        if self.followed_up_at is None:
            self.followed_up_at = at
        self.follow_up_due = None

    def is_overdue(self, now: datetime) -> bool:
        return (self.status == LeadStatus.ASSIGNED and self.followed_up_at is None and self.follow_up_due is not None
                and self.follow_up_due < now)


class ScoringRule(Audited, Base):
    """Adds `points` when the lead's `field` matches: `equals` / `contains` (text, case-insensitive),
    `at_least` (company size); field `event` fires when the lead has had that behaviour event."""

    __tablename__ = "crm_scoring_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20))     # industry, title, company_size, region, event
    operator: Mapped[str] = mapped_column(String(10), default="equals")
    value: Mapped[str] = mapped_column(String(200))
    points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AssignmentRule(Audited, Base):
    """Leads whose `field` (region or industry) equals `value` go to `user_id`; lowest priority first."""

    __tablename__ = "crm_assignment_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

