"""Pipelines of stages (win probability, exit rules), opportunities and activities."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, Rate, Timestamp
from core.errors import DomainError, InvalidInput, check_transition
from core.models import Audited, Customer, User


class OpportunityState(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LostReason(StrEnum):
    PRICE = "price"
    COMPETITOR = "competitor"
    NO_BUDGET = "no_budget"
    NO_DECISION = "no_decision"
    TIMING = "timing"
    OTHER = "other"


class ActivityKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    EMAIL = "email"


#: Fields an exit rule may require before a stage is left.
EXIT_FIELDS = ("amount", "budget", "decision_maker", "expected_close_date", "contact_id")


class Pipeline(Audited, Base):
    __tablename__ = "crm_pipeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    stages: Mapped[list[Stage]] = relationship(back_populates="pipeline", order_by="Stage.position",
                                               lazy="selectin")

    @property
    def active_stages(self) -> list[Stage]:
        """The stages in use, in order: the open ones, then won, then lost."""
        return [s for s in self.stages if s.active]


class Stage(Audited, Base):
    __tablename__ = "crm_stage"
    __table_args__ = (UniqueConstraint("pipeline_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("crm_pipeline.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[Rate]
    exit_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(10), default=OpportunityState.OPEN.value)  # open, won or lost
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # a retired stage keeps its history

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")


class Opportunity(Audited, Base):
    __tablename__ = "crm_opportunity"

    TRANSITIONS: ClassVar[dict[OpportunityState, set[OpportunityState]]] = {
        OpportunityState.OPEN: {OpportunityState.WON, OpportunityState.LOST},
        OpportunityState.WON: set(),
        OpportunityState.LOST: set(),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_contact.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("crm_lead.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("crm_pipeline.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("crm_stage.id"))
    state: Mapped[str] = mapped_column(String(10), default=OpportunityState.OPEN.value, index=True)
    amount: Mapped[Money | None]
    budget: Mapped[Money | None]
    decision_maker: Mapped[str | None] = mapped_column(String(200))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(String(20))
    lost_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    stalled_alerted_at: Mapped[datetime | None]   # when managers were told it stalled (once per stall)
    created_at: Mapped[Timestamp]

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User | None] = relationship(lazy="joined")
    stage: Mapped[Stage] = relationship(lazy="joined", innerjoin=True)

    @property
    def probability(self) -> Decimal:
        return self.stage.probability

    @property
    def last_touch_at(self) -> datetime:
        """The last logged activity, or the opening when nothing was logged yet."""
        return self.last_activity_at or self.created_at

    def is_stalled(self, *, now: datetime, hours: int) -> bool:
        """Open, and no activity for `hours` (a stall ends with the next logged activity)."""
        return self.state == OpportunityState.OPEN and self.last_touch_at <= now - timedelta(hours=hours)

    def missing_for_exit(self, stage: Stage) -> list[str]:
        return [name for name in stage.exit_fields if getattr(self, name, None) in (None, "")]

    def move_to(self, target: Stage, stages: list[Stage], *, at: datetime, lost_reason: str | None = None,
                lost_note: str | None = None) -> None:
        """Move to another stage of the same pipeline. Going forward (or to won) needs the exit
        rules of the current stage and of every stage passed over; going to lost needs a reason."""
        if self.state != OpportunityState.OPEN:
            raise DomainError(f"Opportunity {self.number} is {self.state}; it cannot change stage.",
                              code="opportunity_closed")
        if target.pipeline_id != self.pipeline_id:
            raise InvalidInput({"stage_id": ["This stage belongs to another pipeline."]})
        if target.id == self.stage_id:
            return
        if target.outcome == OpportunityState.LOST:
            if lost_reason not in {r.value for r in LostReason}:
                raise InvalidInput({"lost_reason": [
                    f"Give a lost reason: one of {', '.join(r.value for r in LostReason)}."]})
            check_transition("opportunity", self.state, OpportunityState.LOST, self.TRANSITIONS)
            self.state, self.lost_reason, self.lost_note = OpportunityState.LOST.value, lost_reason, lost_note
            self.closed_at = at
            self.stage_id, self.stage = target.id, target
            return
        current = self.stage
        if target.position > current.position:
            passed = [s for s in stages if current.position <= s.position < target.position
                      and s.outcome == OpportunityState.OPEN]
            missing: dict[str, list[str]] = {}
            for stage in passed:
                for name in self.missing_for_exit(stage):
                    missing.setdefault(name, []).append(f"Required before leaving the stage {stage.name}.")
            if missing:
                raise DomainError(f"Opportunity {self.number} cannot leave the stage {current.name}: "
                                  f"fill in {', '.join(missing)} first.", code="exit_rule", fields=missing)
        if target.outcome == OpportunityState.WON:
            check_transition("opportunity", self.state, OpportunityState.WON, self.TRANSITIONS)
            self.state, self.closed_at = OpportunityState.WON.value, at
        self.stage_id, self.stage = target.id, target


class OpportunityStageChange(Base):
    """One move of an opportunity into a stage (its opening included: no `from_stage_id`), appended by the
    pipeline services and never changed: the stage history the reports measure the time in each stage by."""

    __tablename__ = "crm_opportunity_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("crm_stage.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("crm_stage.id"))
    changed_at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))  # None: the system


class Activity(Audited, Base):
    """A call, visit, meeting or e-mail with a note and the next step; on a lead it is the follow-up."""

    __tablename__ = "crm_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str | None] = mapped_column(String(200))
    next_step_date: Mapped[date | None] = mapped_column(Date)
    at: Mapped[Timestamp]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("crm_lead.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer.id"), index=True)

    user: Mapped[User | None] = relationship(lazy="joined")
