"""The front office's policy: one row of settings that sales managers keep on the lead settings page.

The leads read their grade thresholds, per-rep limits and round-robin pointer from it, and the quotes
their discount approval threshold. Both build on it, so it sits below them: a quote never reaches into
the leads for a setting (the leads sit above the quotes, whose pages they serve)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, Rate
from core.models import Audited
from core.uow import UnitOfWork


class LeadPolicy(Audited, Base):
    """One row: grade thresholds, the per-rep limits and the round-robin pointer."""

    __tablename__ = "crm_lead_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_a_min: Mapped[int] = mapped_column(Integer, default=60)
    grade_b_min: Mapped[int] = mapped_column(Integer, default=30)
    rep_capacity: Mapped[int] = mapped_column(Integer, default=50)      # open leads a rep may hold
    claim_limit: Mapped[int] = mapped_column(Integer, default=10)       # open leads held, above which claims stop
    web_form_per_hour: Mapped[int] = mapped_column(Integer, default=5)  # captures per address per hour
    # quotes: a line discount above this fraction needs a sales manager's approval
    discount_approval_threshold: Mapped[Rate] = mapped_column(default=Decimal("0.10"))
    last_rotation_user_id: Mapped[int | None] = mapped_column(Integer)


def lead_policy(uow: UnitOfWork, *, lock: bool = False) -> LeadPolicy:
    """The one policy row, created with its defaults on first use."""
    found = uow.session.scalar(select(LeadPolicy).order_by(LeadPolicy.id).with_for_update(of=LeadPolicy)
                               if lock else select(LeadPolicy).order_by(LeadPolicy.id))
    if found is None:
        found = LeadPolicy(grade_a_min=60, grade_b_min=30, rep_capacity=50, claim_limit=10, web_form_per_hour=5,
                           discount_approval_threshold=Decimal("0.10"))
        uow.session.add(found)
        uow.session.flush()
    return found
