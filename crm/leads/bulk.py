"""Bulk capture: many leads in one transaction, with the same outcome as capturing them one by one.

`capture_lead` asks the database for each lead: up to eight duplicate look-ups, the scoring rules,
the assignment rules and each candidate rep's open leads. Here the same decisions are taken in memory:

* duplicates: the customers' and contacts' e-mail, phone and company keys are normalized once per call
  into dictionaries; earlier leads are looked up by their indexed normalized columns in batches
  (`IN (...)`, one query per key per batch); the leads of the call itself join those dictionaries as
  they are made, so a lead repeated within the same file is flagged as a duplicate of its first row;
* scoring rules, assignment rules, the reps and their open-lead counts are read once; round-robin runs
  over the same pointer and the same capacity check as the single path, counting the leads it assigns;
* numbers and ids are taken in one statement per batch and the leads are inserted in batches (the audit
  log records each of them, as for a single capture).

The precedence is the single path's: contacts and customers before leads, e-mail before phone before
company name, and the earliest record first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text

from core.models import Contact, Customer, Role, User
from core.numbering import next_numbers
from core.uow import UnitOfWork
from crm.leads import clock, scoring, services
from crm.leads.matching import company_key, normalize_phone
from crm.leads.models import AssignmentRule, DuplicateKind, Grade, Lead, LeadSource, LeadStatus
from crm.policy import LeadPolicy

BATCH = 1000
KEYS = (("email", "norm_email"), ("phone", "norm_phone"), ("company", "norm_company"))


@dataclass
class _Index:
    """Normalized key -> (kind, id) of the first record holding it, per key."""

    contacts: dict[str, dict[str, int]] = field(default_factory=lambda: {"email": {}, "phone": {}})
    customers: dict[str, dict[str, int]] = field(default_factory=lambda: {"email": {}, "phone": {}, "company": {}})
    leads: dict[str, dict[str, int | Lead]] = field(default_factory=lambda: {"email": {}, "phone": {}, "company": {}})

    @classmethod
    def of_customers_and_contacts(cls, uow: UnitOfWork) -> _Index:
        index = cls()
        for ident, email, phone in uow.session.execute(select(Contact.id, Contact.email, Contact.phone)
                                                       .order_by(Contact.id)):
            _keep(index.contacts["email"], email.lower() if email else None, ident)
            _keep(index.contacts["phone"], normalize_phone(phone), ident)
        for ident, email, phone, name in uow.session.execute(
                select(Customer.id, Customer.email, Customer.phone, Customer.name).order_by(Customer.id)):
            _keep(index.customers["email"], email.lower() if email else None, ident)
            _keep(index.customers["phone"], normalize_phone(phone), ident)
            _keep(index.customers["company"], company_key(name), ident)
        return index

    def load_leads(self, uow: UnitOfWork, leads: list[Lead]) -> None:
        """The earliest stored lead for each key of `leads` not yet known: one query per key."""
        for key, column in KEYS:
            known = self.leads[key]
            wanted = {getattr(lead, column) for lead in leads} - known.keys() - {None}
            if not wanted:
                continue
            col = getattr(Lead, column)
            for value, first in uow.session.execute(select(col, func.min(Lead.id)).where(col.in_(wanted))
                                                    .group_by(col)):
                known[value] = first

    def match(self, lead: Lead) -> tuple[str, int | Lead, str] | None:
        """As `services.find_duplicate`; a lead of this call that is not inserted yet is returned as itself."""
        email, phone, company = lead.norm_email, lead.norm_phone, lead.norm_company
        for value, key in ((email, "email"), (phone, "phone")):
            if value:
                for kind, table in ((DuplicateKind.CONTACT, self.contacts), (DuplicateKind.CUSTOMER, self.customers)):
                    if value in table[key]:
                        return kind.value, table[key][value], key
        if company and company in self.customers["company"]:
            return DuplicateKind.CUSTOMER.value, self.customers["company"][company], "company"
        for value, key in ((email, "email"), (phone, "phone"), (company, "company")):
            if value and value in self.leads[key]:
                return DuplicateKind.LEAD.value, self.leads[key][value], key
        return None

    def add(self, lead: Lead) -> None:
        for key, column in KEYS:
            _keep(self.leads[key], getattr(lead, column), lead)


def _keep(table: dict, key: str | None, value) -> None:
    if key and key not in table:
        table[key] = value


class _Router:
    """`services._route` in memory: assignment rules, then round-robin over active reps with room."""

    def __init__(self, uow: UnitOfWork, policy: LeadPolicy) -> None:
        s = uow.session
        self.policy = policy
        self.rules = [(r.id, r.field, r.value.strip().lower(), r.user_id) for r in s.scalars(
            select(AssignmentRule).where(AssignmentRule.active.is_(True))
            .order_by(AssignmentRule.priority, AssignmentRule.id))]
        rule_users = {r[3] for r in self.rules}
        self.active = set(s.scalars(select(User.id).where(User.id.in_(rule_users), User.active.is_(True)))) \
            if rule_users else set()
        self.reps = list(s.scalars(select(User.id).where(User.role == Role.SALES_REP, User.active.is_(True))
                                   .order_by(User.id)))
        self.held: dict[int, int] = dict(s.execute(
            select(Lead.owner_id, func.count()).where(Lead.status == LeadStatus.ASSIGNED, Lead.owner_id.is_not(None))
            .group_by(Lead.owner_id)).all())

    def _has_room(self, user_id: int) -> bool:
        return self.held.get(user_id, 0) < self.policy.rep_capacity

    def route(self, lead: Lead) -> tuple[int, str] | None:
        for rule_id, column, value, user_id in self.rules:
            mine = (getattr(lead, column) or "").strip().lower()
            if mine and mine == value and user_id in self.active and self._has_room(user_id):
                return user_id, f"rule:{rule_id}"
        pointer = self.policy.last_rotation_user_id or 0
        for user_id in [r for r in self.reps if r > pointer] + [r for r in self.reps if r <= pointer]:
            if self._has_room(user_id):
                self.policy.last_rotation_user_id = user_id
                return user_id, "round_robin"
        return None

    def took(self, user_id: int) -> None:
        self.held[user_id] = self.held.get(user_id, 0) + 1


def _reserve_ids(uow: UnitOfWork, count: int) -> list[int]:
    """Ids for `count` new leads, taken before the insert: a lead repeating another of the same batch links
    to it at once, and the batch goes in as one plain multi-row insert (nothing to read back).
    PostgreSQL: from the column's sequence. SQLite: after the highest id; the transaction already holds
    the write lock (the numbering upsert came first), so no other writer can take them."""
    session = uow.session
    if session.get_bind().dialect.name == "postgresql":
        return sorted(session.scalars(text("SELECT nextval(pg_get_serial_sequence('crm_lead', 'id')) "
                                           "FROM generate_series(1, :n)"), {"n": count}))
    start = (session.scalar(select(func.max(Lead.id))) or 0) + 1
    return list(range(start, start + count))


@dataclass
class Outcome:
    """What happened to one input row: the lead made, or the field errors that kept it out."""

    index: int
    lead: Lead | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    duplicate_of_index: int | None = None   # the row of this call the lead repeats


def capture_leads(uow: UnitOfWork, rows: Iterable[dict[str, Any]], *, source: str = LeadSource.IMPORT.value,
                  now: datetime | None = None, errors: dict[int, dict[str, list[str]]] | None = None
                  ) -> list[Outcome]:
    """Capture every valid row as `capture_lead` would, in order, in one transaction; a row that fails
    the capture checks (or is listed in `errors` by the caller's own parsing) is reported and skipped.
    The caller commits (`uow.commit()` here, which inside `uow.batch()` only flushes)."""
    services._authorize(uow, "create")
    now = services._now(now)
    errors = errors or {}
    policy = services.lead_policy(uow, lock=True)
    rules = services._rules(uow)
    index = _Index.of_customers_and_contacts(uow)
    router = _Router(uow, policy)
    origin: dict[int, int] = {}   # id() of a lead of this call -> its row index
    outcomes: list[Outcome] = []
    batch: list[tuple[Outcome, Lead]] = []

    def flush_batch() -> None:
        if not batch:
            return
        leads = [lead for _, lead in batch]
        index.load_leads(uow, leads)
        numbers = iter(next_numbers(uow.session, "LD", on=now.date(), count=len(leads)))
        for lead, ident in zip(leads, _reserve_ids(uow, len(leads)), strict=True):
            lead.id = ident
        for outcome, lead in batch:
            found = index.match(lead)
            if found is not None and isinstance(found[1], Lead):
                outcome.duplicate_of_index = origin[id(found[1])]
                found = (found[0], found[1].id, found[2])
            services.mark_duplicate(lead, found)
            index.add(lead)
            result = scoring.score_lead({k: getattr(lead, k) for k in scoring.PROFILE_FIELDS}, lead.events, rules,
                                        a_min=policy.grade_a_min, b_min=policy.grade_b_min)
            lead.score, lead.grade, lead.score_detail = result.points, result.grade, result.fired
            lead.number = next(numbers)
            uow.session.add(lead)
            if lead.grade == Grade.C:
                lead.to_nurturing()
            elif (routed := router.route(lead)) is None:
                lead.to_pool()
            else:
                user_id, by = routed
                lead.assign(user_id, at=now, due=clock.follow_up_due(lead.grade, now), by=by)
                router.took(user_id)
        uow.session.flush()
        batch.clear()

    for position, data in enumerate(rows):
        outcome = Outcome(position, errors=dict(errors.get(position) or {}))
        outcomes.append(outcome)
        if not outcome.errors:
            try:
                data = services.validate_capture(data)
            except services.InvalidInput as exc:
                outcome.errors = exc.fields
        if outcome.errors:
            continue
        lead = services.new_lead(data, source=source, address=None, now=now)
        outcome.lead = lead
        origin[id(lead)] = position
        batch.append((outcome, lead))
        if len(batch) >= BATCH:
            flush_batch()
    flush_batch()
    uow.commit()
    return outcomes
