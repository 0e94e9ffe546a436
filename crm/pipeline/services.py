"""Opportunity and activity services: the only code that changes them.

The default pipeline is created on first use: qualification → needs analysis → quote →
negotiation → won / lost, with win probabilities, and the exit rule that budget and decision
maker are known before an opportunity leaves needs analysis for the quote stage. Every move into a stage
(the opening included) is appended to the opportunity's stage history (`OpportunityStageChange`), which
the reports read for the time spent in each stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.db import utcnow
from core.errors import Forbidden, InvalidInput
from core.forms import load_input
from core.models import Contact, Customer
from core.numbering import next_number
from core.queries import Page, paginate
from core.uow import UnitOfWork
from crm.pipeline.models import Activity, Opportunity, OpportunityStageChange, Pipeline, Stage
from crm.pipeline.schemas import LogActivitySchema
from crm.tasks.services import follow_up_activity

RESOURCE = "opportunity"
DEFAULT_PIPELINE = "Default"
DEFAULT_STAGES = (
    # code, name, probability, exit fields, outcome
    ("qualification", "Qualification", "0.10", [], "open"),
    ("needs_analysis", "Needs analysis", "0.25", ["budget", "decision_maker"], "open"),
    ("quote", "Quote", "0.50", ["amount"], "open"),
    ("negotiation", "Negotiation", "0.75", [], "open"),
    ("won", "Won", "1.00", [], "won"),
    ("lost", "Lost", "0.00", [], "lost"),
)
DEFAULT_STAGE_NAMES = {code: name for code, name, *_ in DEFAULT_STAGES}
EDITABLE = ("name", "amount", "budget", "decision_maker", "expected_close_date", "contact_id")


@dataclass(frozen=True)
class ActivityTarget:
    """A record of a module above the pipeline that activities are logged on: the lead. A lead converts
    into an opportunity, so `crm.leads` imports the pipeline and not the other way round; it gives the
    activity services what they need of a lead through the app's registry (`activity_targets`, filled
    by its `init_app`).

    `field` names the record's id in the activity's input (`lead_id`). `read(uow, id)` gives the record
    as the caller may read it (NotFound or Forbidden otherwise). `work(uow, id, at)` locks it, checks that
    the caller may change it, notes that it was worked at `at` (inside the caller's transaction, no
    commit) and gives it back: the activity takes its `id`, `customer_id` and `owner_id`."""

    field: str
    read: Callable[[UnitOfWork, int], Any]
    work: Callable[[UnitOfWork, int, datetime], Any]

    def describe(self) -> str:
        return f"{self.field}: {self.work.__module__}.{self.work.__qualname__}"


def _authorize(uow: UnitOfWork, action: str, record=None) -> None:
    uow.authorize(action, RESOURCE, record)


def default_pipeline(uow: UnitOfWork) -> Pipeline:
    found = uow.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)).order_by(Pipeline.id))
    if found is not None:
        return found
    pipeline = Pipeline(name=DEFAULT_PIPELINE, code="default", is_default=True)
    for position, (code, name, probability, exits, outcome) in enumerate(DEFAULT_STAGES, start=1):
        pipeline.stages.append(Stage(code=code, name=name, position=position, probability=Decimal(probability),
                                     exit_fields=list(exits), outcome=outcome))
    uow.session.add(pipeline)
    uow.session.flush()
    return pipeline


def get_opportunity(uow: UnitOfWork, opportunity_id: int, *, for_update: bool = False) -> Opportunity:
    found = uow.get(Opportunity, opportunity_id, "opportunity", for_update=for_update)
    _authorize(uow, "read", found)
    return found


def create_opportunity(uow: UnitOfWork, data: dict[str, Any], *, now: datetime | None = None) -> Opportunity:
    """An open opportunity in the first stage of the chosen pipeline (`pipeline_id`, else the default
    one), owned by its customer's owner. `data` is `CreateOpportunitySchema`'s (a name) or a conversion's;
    here the customer, contact and pipeline are checked against the database."""
    _authorize(uow, "create")
    now = now or utcnow()
    customer = uow.session.get(Customer, data.get("customer_id")) if data.get("customer_id") else None
    if customer is None or not uow.in_scope("read", "customer", customer):
        raise InvalidInput({"customer_id": [f"No customer with id {data.get('customer_id')}."]})
    if not uow.in_scope("update", "customer", customer):
        raise Forbidden("You may only open opportunities for your own customers.")
    if data.get("contact_id") is not None:
        contact = uow.session.get(Contact, data["contact_id"])
        if contact is None or contact.customer_id != customer.id:
            raise InvalidInput({"contact_id": ["Not a contact of this customer."]})
    if data.get("pipeline_id") is not None:
        pipeline = uow.session.get(Pipeline, data["pipeline_id"])
        if pipeline is None:
            raise InvalidInput({"pipeline_id": [f"No pipeline with id {data['pipeline_id']}."]})
    else:
        pipeline = default_pipeline(uow)
    first = next(s for s in pipeline.active_stages if s.outcome == "open")
    opportunity = Opportunity(
        number=next_number(uow.session, "OPP", on=now.date()), customer_id=customer.id, customer=customer,
        pipeline_id=pipeline.id, stage_id=first.id, stage=first, state="open", created_at=now,
        owner_id=data.get("owner_id") or customer.owner_id or uow.actor_id,
        lead_id=data.get("lead_id"), **{k: data[k] for k in EDITABLE if data.get(k) is not None})
    uow.session.add(opportunity)
    uow.session.flush()
    _note_stage_change(uow, opportunity, None, at=now)
    uow.commit()
    return opportunity


def update_opportunity(uow: UnitOfWork, opportunity_id: int, data: dict[str, Any]) -> Opportunity:
    opportunity = get_opportunity(uow, opportunity_id, for_update=True)
    _authorize(uow, "update", opportunity)
    if data.get("contact_id") is not None:
        contact = uow.session.get(Contact, data["contact_id"])
        if contact is None or contact.customer_id != opportunity.customer_id:
            raise InvalidInput({"contact_id": ["Not a contact of this customer."]})
    for key in EDITABLE:
        if key in data:
            setattr(opportunity, key, data[key])
    uow.commit()
    return opportunity


def move_opportunity(uow: UnitOfWork, opportunity_id: int, *, stage_id: int | None = None,
                     stage_code: str | None = None, lost_reason: str | None = None, lost_note: str | None = None,
                     now: datetime | None = None) -> Opportunity:
    """Move to another stage; exit rules unmet or a closed opportunity: 409, nothing changed."""
    opportunity = get_opportunity(uow, opportunity_id, for_update=True)
    _authorize(uow, "update", opportunity)
    stages = list(uow.session.scalars(select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id,
                                                          Stage.active.is_(True)).order_by(Stage.position)))
    target = next((s for s in stages if s.id == stage_id or (stage_id is None and s.code == stage_code)), None)
    if target is None:
        raise InvalidInput({"stage_id": ["No such stage in this opportunity's pipeline."]})
    now, before = now or utcnow(), opportunity.stage_id
    opportunity.move_to(target, stages, at=now, lost_reason=lost_reason, lost_note=lost_note)
    if opportunity.stage_id != before:
        _note_stage_change(uow, opportunity, before, at=now)
    uow.commit()
    return opportunity


def _note_stage_change(uow: UnitOfWork, opportunity: Opportunity, from_stage_id: int | None, *,
                       at: datetime) -> None:
    """Append the move into the opportunity's current stage to its stage history (in the act's transaction)."""
    uow.session.add(OpportunityStageChange(opportunity_id=opportunity.id, from_stage_id=from_stage_id,
                                           to_stage_id=opportunity.stage_id, changed_at=at, by_id=uow.actor_id))


def log_activity(uow: UnitOfWork, data: dict[str, Any], *, now: datetime | None = None) -> Activity:
    """A call, visit, meeting or e-mail on a lead, an opportunity or a customer. On a lead it is the
    follow-up that meets the lead's deadline. The input is loaded through `LogActivitySchema` (the API's
    and, as `ActivityFormSchema`, the pages'): the demo loader and other callers get the same rules."""
    now = now or utcnow()
    targets = [key for key in ("lead_id", "opportunity_id", "customer_id") if data.get(key)]
    target = {"lead_id": "lead", "customer_id": "customer"}.get(targets[0] if targets else "", RESOURCE)
    uow.authorize("update", target)
    data = load_input(LogActivitySchema, data)
    activity = Activity(kind=data["kind"], note=data.get("note") or "", next_step=data.get("next_step"),
                        next_step_date=data.get("next_step_date"), at=now,
                        user_id=uow.actor_id)
    if data.get("lead_id"):
        lead = uow.registry.activity_targets["lead_id"].work(uow, data["lead_id"], now)
        activity.lead_id, activity.customer_id = lead.id, lead.customer_id
        record_owner = lead.owner_id
    elif data.get("customer_id"):
        customer = uow.get(Customer, data["customer_id"], "customer")
        uow.authorize("update", "customer", customer)
        activity.customer_id = customer.id
        record_owner = customer.owner_id
    else:
        opportunity = get_opportunity(uow, data["opportunity_id"], for_update=True)
        _authorize(uow, "update", opportunity)
        activity.opportunity_id, activity.customer_id = opportunity.id, opportunity.customer_id
        opportunity.last_activity_at = now
        record_owner = opportunity.owner_id
    uow.session.add(activity)
    uow.session.flush()
    # a next step date becomes a follow-up task of who logged it (a sales user), else of the record's owner
    follow_up_activity(uow, activity, now=now, owner_id=uow.actor_id if uow.actor is not None
                       and uow.actor.role in ("sales_rep", "sales_manager") else record_owner)
    uow.commit()
    return activity


def list_activities(uow: UnitOfWork, *, customer_id: int | None = None, lead_id: int | None = None,
                    opportunity_id: int | None = None, kind: str | None = None, page: int = 1,
                    per_page: int = 25) -> Page:
    """Activities the caller may see (a rep: those of own customers, own leads and own opportunities),
    newest first, filtered by customer, lead, opportunity or kind."""
    stmt = uow.scoped("activity", select(Activity))
    for column, value in ((Activity.customer_id, customer_id), (Activity.lead_id, lead_id),
                          (Activity.opportunity_id, opportunity_id), (Activity.kind, kind)):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(uow.session, stmt.order_by(Activity.at.desc(), Activity.id.desc()), page, per_page)


def activities_of(uow: UnitOfWork, *, lead_id: int | None = None, opportunity_id: int | None = None) -> list[Activity]:
    if lead_id is not None:
        uow.registry.activity_targets["lead_id"].read(uow, lead_id)
        stmt = select(Activity).where(Activity.lead_id == lead_id)
    else:
        get_opportunity(uow, opportunity_id)
        stmt = select(Activity).where(Activity.opportunity_id == opportunity_id)
    return list(uow.session.scalars(stmt.order_by(Activity.at.desc(), Activity.id.desc())))
