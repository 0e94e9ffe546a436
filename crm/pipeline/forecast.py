"""The weighted forecast: each open opportunity's expected amount times its stage's win probability,
summed by expected close month or by rep, in the caller's data scope (a rep: own opportunities; a
sales manager: the team's; management and admin: all). Decimal throughout; each opportunity's
weighted amount is rounded to the cent before it is summed, so rows add up to the total."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from core.errors import InvalidInput
from core.money import ZERO, round_money
from core.uow import UnitOfWork
from crm.pipeline.models import Opportunity, OpportunityState

GROUPS = ("month", "rep")


@dataclass
class ForecastRow:
    key: str | int | None  # "2026-12", a user id, or None (no close date / no owner)
    label: str
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    opportunity_ids: list[int] = field(default_factory=list)

    def add(self, opportunity: Opportunity) -> None:
        amount = opportunity.amount or ZERO
        self.count += 1
        self.amount += amount
        self.weighted += round_money(amount * opportunity.probability)
        self.opportunity_ids.append(opportunity.id)


@dataclass
class Forecast:
    group: str
    rows: list[ForecastRow]
    totals: ForecastRow


def weighted_forecast(uow: UnitOfWork, *, group: str = "month") -> Forecast:
    """Open opportunities grouped by expected close month (`YYYY-MM`, those without a date last) or by
    owner (by name, the unowned last). An opportunity without an amount counts with 0."""
    if group not in GROUPS:
        raise InvalidInput({"group": [f"One of {', '.join(GROUPS)}."]})
    uow.authorize("read", "opportunity")
    stmt = select(Opportunity).where(Opportunity.state == OpportunityState.OPEN.value).order_by(Opportunity.id)
    stmt = uow.scoped("opportunity", stmt)
    rows: dict[str | int | None, ForecastRow] = {}
    totals = ForecastRow(key=None, label="")
    for opportunity in uow.session.scalars(stmt).unique():
        if group == "month":
            close = opportunity.expected_close_date
            key: str | int | None = close.strftime("%Y-%m") if close else None
            label = key or ""
        else:
            key = opportunity.owner_id
            label = opportunity.owner.display_name if opportunity.owner else ""
        rows.setdefault(key, ForecastRow(key=key, label=label)).add(opportunity)
        totals.add(opportunity)
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.label if group == "rep" else (r.key or "")))
    return Forecast(group=group, rows=ordered, totals=totals)
