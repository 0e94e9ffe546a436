"""Lead services: the only code that changes leads, their rules and the lead policy.

Every function takes the unit of work first and, where time matters, `now` (a controllable clock:
tests pass it, views and tasks pass the real time). The acting user is `uow.actor` (None: the
system, e.g. the public web form and the recycling task)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core.db import fit, utcnow
from core.errors import DomainError, Forbidden, InvalidInput, NotFound
from core.forms import check_input, load_input
from core.models import Contact, Customer, Role, User
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.leads import clock, scoring
from crm.leads.matching import company_key, normalize_email, normalize_phone
from crm.leads.models import (
    AssignmentRule,
    BehaviourEvent,
    DuplicateKind,
    Grade,
    Lead,
    LeadSource,
    LeadStatus,
    ScoringRule,
)
from crm.leads.schemas import (
    CaptureLeadSchema,
    CreateAssignmentRuleSchema,
    CreateScoringRuleSchema,
    LeadEventSchema,
    UpdateLeadPolicySchema,
)
from crm.people import managers_of
from crm.policy import LeadPolicy, lead_policy

RESOURCE = "lead"
SETTINGS = "lead_settings"
PROFILE_KEYS = ("company", "contact_name", "title", "phone", "email", "industry", "region", "company_size",
                "note", "channel", "utm_source", "utm_medium", "utm_campaign")


class SpamRejected(DomainError):
    status = 400
    code = "spam_rejected"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def _authorize(uow: UnitOfWork, action: str, lead: Lead | None = None, resource: str = RESOURCE) -> None:
    uow.authorize(action, resource, lead)


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


# --------------------------------------------------------------------------- policy and rules


def read_settings(uow: UnitOfWork) -> tuple[LeadPolicy, list[ScoringRule], list[AssignmentRule]]:
    """The policy and the active scoring and assignment rules, as the settings readers see them."""
    _authorize(uow, "read", resource=SETTINGS)
    scoring_rules = list(uow.session.scalars(select(ScoringRule).where(ScoringRule.active.is_(True))
                                             .order_by(ScoringRule.id)))
    assignment_rules = list(uow.session.scalars(select(AssignmentRule).where(AssignmentRule.active.is_(True))
                                                .order_by(AssignmentRule.priority, AssignmentRule.id)))
    return lead_policy(uow), scoring_rules, assignment_rules


# The settings services load their input through the API's schemas themselves: the demo loader, the
# benchmarks and the tests call them with plain dicts, and get the same rules as an API client.


def update_policy(uow: UnitOfWork, data: dict[str, Any]) -> LeadPolicy:
    """Change thresholds and limits; grade A must still need more points than grade B."""
    _authorize(uow, "update", resource=SETTINGS)
    data = load_input(UpdateLeadPolicySchema, data)
    policy = lead_policy(uow, lock=True)
    merged = {k: data.get(k, getattr(policy, k)) for k in
              ("grade_a_min", "grade_b_min", "rep_capacity", "claim_limit", "web_form_per_hour",
               "discount_approval_threshold")}
    if merged["grade_a_min"] <= merged["grade_b_min"]:
        raise InvalidInput({"grade_a_min": ["Grade A must need more points than grade B."]})
    for key, value in merged.items():
        setattr(policy, key, value)
    uow.commit()
    return policy


def create_scoring_rule(uow: UnitOfWork, data: dict[str, Any]) -> ScoringRule:
    _authorize(uow, "create", resource=SETTINGS)
    data = load_input(CreateScoringRuleSchema, data)
    operator = data.get("operator") or scoring.default_operator(data["field"])
    rule = ScoringRule(label=data.get("label") or fit(f"{data['field']} {operator} {data['value']}", ScoringRule.label),
                       field=data["field"], operator=operator, value=data["value"], points=data["points"],
                       active=True)
    uow.session.add(rule)
    uow.commit()
    return rule


def create_assignment_rule(uow: UnitOfWork, data: dict[str, Any]) -> AssignmentRule:
    _authorize(uow, "create", resource=SETTINGS)
    data, errors = check_input(CreateAssignmentRuleSchema, data)
    user = uow.session.get(User, data["user_id"]) if data.get("user_id") is not None else None
    if "user_id" not in errors and (user is None or user.role not in (Role.SALES_REP, Role.SALES_MANAGER)):
        errors["user_id"] = ["A sales user."]
    if errors:
        raise InvalidInput(errors)
    rule = AssignmentRule(field=data["field"], value=data["value"], user_id=user.id,
                          priority=data.get("priority") or 100, active=True)
    uow.session.add(rule)
    uow.commit()
    return rule


# --------------------------------------------------------------------------- scoring


def _rules(uow: UnitOfWork) -> list[scoring.Rule]:
    rows = uow.session.scalars(select(ScoringRule).where(ScoringRule.active.is_(True)).order_by(ScoringRule.id))
    return [scoring.Rule(r.id, r.label, r.field, r.operator, r.value, r.points) for r in rows]


def _rescore(uow: UnitOfWork, lead: Lead, policy: LeadPolicy) -> None:
    profile = {k: getattr(lead, k) for k in scoring.PROFILE_FIELDS}
    result = scoring.score_lead(profile, lead.events or [], _rules(uow),
                                a_min=policy.grade_a_min, b_min=policy.grade_b_min)
    lead.score, lead.grade, lead.score_detail = result.points, result.grade, result.fired


def explain_score(uow: UnitOfWork, lead_id: int) -> dict[str, Any]:
    lead = get_lead(uow, lead_id)
    policy = lead_policy(uow)
    return {"lead_id": lead.id, "score": lead.score, "grade": lead.grade, "rules": lead.score_detail or [],
            "thresholds": {"A": policy.grade_a_min, "B": policy.grade_b_min}}


def record_event(uow: UnitOfWork, lead_id: int, event: str, *, now: datetime | None = None) -> Lead:
    """A behaviour event (form submitted, replied, visited): the lead is scored again."""
    lead = get_lead(uow, lead_id, for_update=True)
    _authorize(uow, "update", lead)
    event = load_input(LeadEventSchema, {"event": event})["event"]
    lead.events = [*(lead.events or []), event]
    _rescore(uow, lead, lead_policy(uow))
    uow.commit()
    return lead


# --------------------------------------------------------------------------- duplicates


def find_duplicate(uow: UnitOfWork, *, phone: str | None, email: str | None, company: str | None,
                   exclude_lead_id: int | None = None) -> tuple[str, int, str] | None:
    """(kind, id, matched on) of the first existing customer, contact or lead with the same
    normalized e-mail, phone or company name; customers and contacts before leads."""
    s = uow.session
    if email:
        found = s.scalar(select(Contact.id).where(func.lower(Contact.email) == email).order_by(Contact.id))
        if found:
            return DuplicateKind.CONTACT.value, found, "email"
        found = s.scalar(select(Customer.id).where(func.lower(Customer.email) == email).order_by(Customer.id))
        if found:
            return DuplicateKind.CUSTOMER.value, found, "email"
    if phone:
        tail = phone[-7:]
        for model, kind in ((Contact, DuplicateKind.CONTACT), (Customer, DuplicateKind.CUSTOMER)):
            digits = model.phone
            for sep in (" ", "-", "(", ")", "+", "."):
                digits = func.replace(digits, sep, "")
            for ident, raw in s.execute(select(model.id, model.phone).where(digits.contains(tail))
                                        .order_by(model.id)):
                if normalize_phone(raw) == phone:
                    return kind.value, ident, "phone"
    if company:  # prefilter on the key's first characters (a name's words may be spaced), confirm exactly
        for ident, name in s.execute(select(Customer.id, Customer.name).where(
                Customer.name.ilike(f"%{company[:4]}%")).order_by(Customer.id)):
            if company_key(name) == company:
                return DuplicateKind.CUSTOMER.value, ident, "company"
    conditions = [(Lead.norm_email, email, "email"), (Lead.norm_phone, phone, "phone"),
                  (Lead.norm_company, company, "company")]
    for column, value, on in conditions:
        if not value:
            continue
        stmt = select(Lead.id).where(column == value).order_by(Lead.id)
        if exclude_lead_id is not None:
            stmt = stmt.where(Lead.id != exclude_lead_id)
        found = s.scalar(stmt)
        if found:
            return DuplicateKind.LEAD.value, found, on
    return None


def existing_customer_of(uow: UnitOfWork, lead: Lead) -> Customer | None:
    """The customer a duplicate lead belongs to: the matched customer, the matched contact's,
    or the customer the matched lead was converted into."""
    if not lead.is_duplicate or lead.duplicate_id is None:
        return None
    if lead.duplicate_kind == DuplicateKind.CUSTOMER:
        return uow.session.get(Customer, lead.duplicate_id)
    if lead.duplicate_kind == DuplicateKind.CONTACT:
        contact = uow.session.get(Contact, lead.duplicate_id)
        return contact.customer if contact else None
    other = uow.session.get(Lead, lead.duplicate_id)
    return uow.session.get(Customer, other.customer_id) if other and other.customer_id else None


# --------------------------------------------------------------------------- capture and assignment


def validate_capture(data: dict[str, Any]) -> dict[str, Any]:
    """Capture input loaded through `CaptureLeadSchema` (a company or contact name, a phone number or an
    e-mail address, and the shape of each field), whoever captures: the API, the public form, the demo,
    an import row (`crm.leads.bulk`, so a bulk capture refuses exactly what a single one does)."""
    return load_input(CaptureLeadSchema, data)


def _open_leads(uow: UnitOfWork, user_id: int) -> int:
    return uow.session.scalar(select(func.count()).select_from(Lead).where(
        Lead.owner_id == user_id, Lead.status == LeadStatus.ASSIGNED)) or 0


def _route(uow: UnitOfWork, lead: Lead, policy: LeadPolicy) -> tuple[int, str] | None:
    """Whom the lead goes to: the first matching assignment rule whose rep has capacity,
    else the next rep with capacity in round-robin order; None when every rep is full."""
    rules = uow.session.scalars(select(AssignmentRule).where(AssignmentRule.active.is_(True))
                                .order_by(AssignmentRule.priority, AssignmentRule.id))
    for rule in rules:
        value = (getattr(lead, rule.field) or "").strip().lower()
        if value and value == rule.value.strip().lower():
            user = uow.session.get(User, rule.user_id)
            if user is not None and user.active and _open_leads(uow, user.id) < policy.rep_capacity:
                return user.id, f"rule:{rule.id}"
    reps = list(uow.session.scalars(select(User.id).where(User.role == Role.SALES_REP, User.active.is_(True))
                                    .order_by(User.id)))
    pointer = policy.last_rotation_user_id or 0
    for user_id in [r for r in reps if r > pointer] + [r for r in reps if r <= pointer]:
        if _open_leads(uow, user_id) < policy.rep_capacity:
            policy.last_rotation_user_id = user_id
            return user_id, "round_robin"
    return None


def _assign_new(uow: UnitOfWork, lead: Lead, policy: LeadPolicy, now: datetime) -> None:
    if lead.grade == Grade.C:
        lead.to_nurturing()
        return
    routed = _route(uow, lead, policy)
    if routed is None:
        lead.to_pool()
        return
    user_id, by = routed
    lead.assign(user_id, at=now, due=clock.follow_up_due(lead.grade, now), by=by)


def capture_lead(uow: UnitOfWork, data: dict[str, Any], *, source: str = LeadSource.API.value,
                 address: str | None = None, now: datetime | None = None) -> Lead:
    """A new lead: checked, matched against existing leads, contacts and customers (a duplicate is
    flagged and linked, never dropped), scored, and routed to a rep with a follow-up deadline
    (grade A/B), to nurturing (grade C) or to the public pool (every rep at capacity)."""
    _authorize(uow, "create")
    return _capture(uow, data, source=source, address=address, now=_now(now))


def new_lead(data: dict[str, Any], *, source: str, address: str | None, now: datetime) -> Lead:
    """A lead built from checked capture data, with its normalized keys; not yet matched, scored or added.
    Shared by the single capture and the bulk capture (`crm.leads.bulk`)."""
    lead = Lead(**{k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in PROFILE_KEYS})
    lead.company = lead.company or ""
    lead.contact_name = lead.contact_name or ""
    lead.source, lead.source_address, lead.created_at = source, address, now
    lead.status = LeadStatus.NEW.value
    lead.events = [BehaviourEvent.FORM_SUBMITTED.value] if source == LeadSource.WEB_FORM else []
    lead.norm_phone, lead.norm_email = normalize_phone(lead.phone), normalize_email(lead.email)
    lead.norm_company = company_key(lead.company)
    lead.is_duplicate = False
    lead.score, lead.recycled_count = 0, 0
    return lead


def mark_duplicate(lead: Lead, found: tuple[str, int, str] | None) -> None:
    if found is not None:
        lead.is_duplicate = True
        lead.duplicate_kind, lead.duplicate_id, lead.duplicate_on = found


def _capture(uow: UnitOfWork, data: dict[str, Any], *, source: str, address: str | None, now: datetime) -> Lead:
    data = validate_capture(data)
    policy = lead_policy(uow, lock=True)
    lead = new_lead(data, source=source, address=address, now=now)
    mark_duplicate(lead, find_duplicate(uow, phone=lead.norm_phone, email=lead.norm_email,
                                        company=lead.norm_company))
    _rescore(uow, lead, policy)
    lead.number = next_number(uow.session, "LD", on=now.date())
    uow.session.add(lead)
    _assign_new(uow, lead, policy, now)
    uow.commit()
    return lead


def capture_web_form(uow: UnitOfWork, data: dict[str, Any], *, address: str, now: datetime | None = None) -> Lead:
    """The public form: a filled honeypot field is refused (SpamRejected, which the page answers like a
    success so that the bot learns nothing), and so is an address that has sent more than the policy
    allows in the last hour (429); nothing is stored then."""
    now = _now(now)
    if (data.get("website") or "").strip():
        raise SpamRejected("The form could not be accepted.")
    policy = lead_policy(uow)
    recent = uow.session.scalar(select(func.count()).select_from(Lead).where(
        Lead.source_address == address, Lead.source == LeadSource.WEB_FORM,
        Lead.created_at > now - timedelta(hours=1))) or 0
    if recent >= policy.web_form_per_hour:
        raise RateLimited("Too many requests from this address; please try again later.")
    # anyone may use the public form, signed in or not: it captures on the system's behalf
    return _capture(uow, {k: v for k, v in data.items() if k in PROFILE_KEYS},
                    source=LeadSource.WEB_FORM.value, address=address, now=now)


# --------------------------------------------------------------------------- reading


def get_lead(uow: UnitOfWork, lead_id: int, *, for_update: bool = False) -> Lead:
    lead = uow.get(Lead, lead_id, "lead", for_update=for_update)
    _authorize(uow, "read", lead)
    return lead


# --------------------------------------------------------------------------- the pool


def claim_lead(uow: UnitOfWork, lead_id: int, *, now: datetime | None = None) -> Lead:
    """A rep takes a lead from the public pool, within the per-rep limit of open leads.
    Another rep's lead is 403; a lead not in the pool or a rep at the limit is 409."""
    now = _now(now)
    actor = uow.actor
    if actor is None or actor.role not in (Role.SALES_REP, Role.SALES_MANAGER):
        raise Forbidden("Only sales users claim leads.")
    lead = uow.session.get(Lead, lead_id, with_for_update={"of": Lead.__table__}, populate_existing=True)
    if lead is None:
        raise NotFound("lead", lead_id)
    if lead.owner_id is not None and lead.owner_id != actor.id:
        raise Forbidden("This lead belongs to another sales rep; only leads in the public pool can be claimed.")
    if lead.status != LeadStatus.POOL:
        raise DomainError(f"Lead {lead.number} is {lead.status}, not in the public pool.", code="not_in_pool")
    policy = lead_policy(uow)
    held = _open_leads(uow, actor.id)
    if held >= policy.claim_limit:
        raise DomainError(f"You already hold {held} open leads; the limit is {policy.claim_limit}. "
                          "Follow up or convert some first.", code="claim_limit_reached",
                          details={"held": held, "limit": policy.claim_limit})
    grade = lead.grade if lead.grade in clock.DEADLINE_HOURS else Grade.B.value
    lead.assign(actor.id, at=now, due=clock.follow_up_due(grade, now), by="claim")
    uow.commit()
    return lead


def release_lead(uow: UnitOfWork, lead_id: int) -> Lead:
    """The owner (or the team's manager) gives a lead back to the public pool."""
    lead = get_lead(uow, lead_id, for_update=True)
    _authorize(uow, "update", lead)
    lead.to_pool()
    uow.commit()
    return lead


def disqualify_lead(uow: UnitOfWork, lead_id: int) -> Lead:
    """The owner (or the team's manager) closes a lead that will not buy: it stays theirs, with no
    deadline, and counts in their funnel as a lead that went no further."""
    lead = get_lead(uow, lead_id, for_update=True)
    _authorize(uow, "update", lead)
    lead.disqualify()
    uow.commit()
    return lead


def recycle_overdue_leads(uow: UnitOfWork, *, now: datetime | None = None) -> list[int]:
    """Leads assigned but not followed up by their deadline go back to the public pool; the rep and
    the rep's managers are told through the outbox. Idempotent: a recycled lead is no longer overdue."""
    now = _now(now)
    stmt = select(Lead).where(Lead.status == LeadStatus.ASSIGNED, Lead.followed_up_at.is_(None),
                              Lead.follow_up_due.is_not(None), Lead.follow_up_due < now).order_by(Lead.id)
    if uow.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Lead, skip_locked=True)
    recycled = []
    for lead in uow.session.scalars(stmt).unique().all():
        rep = uow.session.get(User, lead.owner_id) if lead.owner_id else None
        lead.recycle()
        recycled.append(lead.id)
        link = f"/leads/{lead.id}"
        if rep is not None:
            uow.enqueue("notify.user", {"user_id": rep.id, "link": link, "message":
                        f"Lead {lead.number} ({lead.company or lead.contact_name}) was not followed up in time "
                        "and went back to the public pool."})
        for manager in managers_of(uow, rep):
            uow.enqueue("notify.user", {"user_id": manager.id, "link": link, "message":
                        f"Lead {lead.number} of {rep.display_name if rep else 'nobody'} was not followed up "
                        "in time and went back to the public pool."})
    uow.commit()
    return recycled


def work_lead(uow: UnitOfWork, lead_id: int, at: datetime) -> Lead:
    """An activity is being logged on the lead (the pipeline's activity service calls this through the
    registry, inside its transaction): the lead is locked, the caller must be allowed to change it, and
    its owner worked it at `at`, which meets the follow-up deadline. No commit."""
    lead = get_lead(uow, lead_id, for_update=True)
    uow.authorize("update", "lead", lead)
    lead.note_follow_up(at=at)
    return lead
