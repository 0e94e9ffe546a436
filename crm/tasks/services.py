"""Task services: the only code that changes tasks.

A sales rep keeps their own tasks; a sales manager those of the team (and may give a team member a
task); admin everything; management reads. A system act (no actor: a beat job such as the dormant-
customer sweep) may create a task for any active sales user or admin. Every service takes `now`
so tests control the clock.

A task may be about a lead or an opportunity. The leads and the pipeline give out tasks (a lead's
follow-up, an activity's next step, a stalled deal), so they sit above the tasks, and the tasks import
neither: what a task needs of its lead or opportunity comes through the app's registry
(`task_subjects`, filled by `crm.leads`' init_app), and an activity is handed in as a `NextStep`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select

from core.db import utcnow
from core.errors import Forbidden, InvalidInput
from core.formatting import CHINA, china_time
from core.forms import check_input, load_input
from core.models import Customer, Role, User
from core.permissions import allowed_owner
from core.registry import permissions_of, registry_of
from core.uow import UnitOfWork
from crm.tasks.models import Task, TaskSource, TaskState
from crm.tasks.schemas import TITLE_MAX, CreateTaskSchema, RescheduleTaskSchema

RESOURCE = "task"
#: Who may own a task: the people who work customers.
OWNERS = frozenset({Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN})
SOURCES = tuple(s.value for s in TaskSource)
#: A next step dated D is due at the end of D's working day and reminds at its start (China time).
NEXT_STEP_DUE, NEXT_STEP_REMIND = time(18), time(9)
#: The task's fields that name a record of a module above the tasks, in the order the task's page shows them.
SUBJECT_FIELDS = ("lead_id", "opportunity_id")


@dataclass(frozen=True)
class TaskSubject:
    """A record of a module above the tasks that a task may be about: the lead or the opportunity.

    `field` is the task's column holding the record's id (`lead_id`, `opportunity_id`), `model` the
    record's mapped class and `resource` what its data scope is read under. The record's `customer_id`
    names its customer (None for a lead not converted yet). The task's page shows it in a row headed
    `label`: its `number`, linked to `endpoint` (with its id as `field`), then `caption(record)`."""

    field: str
    model: type
    resource: str
    label: Any  # a lazy string
    endpoint: str
    caption: Callable[[Any], Any]

    def describe(self) -> str:
        return f"{self.field}: {self.model.__module__}.{self.model.__qualname__} ({self.resource})"


class NextStep(Protocol):
    """What a follow-up task is made from: an activity of the pipeline with its next step."""

    id: int
    kind: str
    note: str | None
    next_step: str | None
    next_step_date: date | None
    customer_id: int | None
    lead_id: int | None
    opportunity_id: int | None


def _authorize(uow: UnitOfWork, action: str, task: Task | None = None) -> None:
    uow.authorize(action, RESOURCE, task)


def _now(now: datetime | None) -> datetime:
    return (now or utcnow()).astimezone(UTC)


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None  # stored in UTC: SQLite keeps no zone


def get_task(uow: UnitOfWork, task_id: int, *, for_update: bool = False) -> Task:
    task = uow.get(Task, task_id, "task", for_update=for_update)
    _authorize(uow, "read", task)
    return task


def _visible(uow: UnitOfWork, actor: User | None, resource: str, record) -> bool:
    return actor is None or uow.registry.permissions.in_scope(actor, "read", resource, record)


def _subject(uow: UnitOfWork, actor: User | None, field: str, record_id: int,
             errors: dict[str, list[str]]) -> Any | None:
    """The record a task's `field` names, when it exists and is in the actor's sight; else None, and the
    field's error."""
    subject = uow.registry.task_subjects.get(field)
    record = uow.session.get(subject.model, record_id) if subject is not None else None
    if record is None or not _visible(uow, actor, subject.resource, record):
        errors[field] = [f"No {field.removesuffix('_id')} with id {record_id}."]
        return None
    return record


def _related(uow: UnitOfWork, actor: User | None, data: Mapping[str, Any],
             errors: dict[str, list[str]]) -> dict[str, int | None]:
    """The customer, lead and opportunity a task is about: each must exist and be in the actor's sight;
    an opportunity (or a converted lead) names the customer, which must agree with one given."""
    session = uow.session
    customer_id, lead_id, opportunity_id = data.get("customer_id"), data.get("lead_id"), data.get("opportunity_id")
    implied: int | None = None
    if opportunity_id is not None:
        opportunity = _subject(uow, actor, "opportunity_id", opportunity_id, errors)
        if opportunity is not None:
            implied = opportunity.customer_id
    if lead_id is not None:
        lead = _subject(uow, actor, "lead_id", lead_id, errors)
        if lead is not None and lead.customer_id is not None:
            if implied is not None and implied != lead.customer_id:
                errors["lead_id"] = ["This lead belongs to another customer than the opportunity."]
            implied = implied or lead.customer_id
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None or not _visible(uow, actor, "customer", customer):
            errors["customer_id"] = [f"No customer with id {customer_id}."]
        elif implied is not None and implied != customer_id:
            errors["customer_id"] = ["The opportunity or lead belongs to another customer."]
    return {"customer_id": customer_id if customer_id is not None else implied, "lead_id": lead_id,
            "opportunity_id": opportunity_id}


def _owner(uow: UnitOfWork, owner_id: Any, errors: dict[str, list[str]]) -> User | None:
    owner = uow.session.get(User, owner_id) if isinstance(owner_id, int) else None
    if owner is None or not owner.active or owner.role not in OWNERS:
        errors["owner_id"] = [f"No active sales user or admin with id {owner_id}."]
        return None
    return owner


def create_task(uow: UnitOfWork, actor: User | None = None, data: Mapping[str, Any] | None = None, /, *,
                now: datetime | None = None, **fields: Any) -> Task:
    """A task, its fields (`CreateTaskSchema`: title, owner_id, due_at, remind_at, customer_id, lead_id,
    opportunity_id, source, notes) given as `data` (a request's body) and/or as keywords: for `owner_id`,
    due at the aware time `due_at`, reminded at `remind_at` (else at the due time). `actor` is who asks
    (None: the system); it defaults to the unit of work's actor.

    The input is loaded here, through `CreateTaskSchema`, whoever calls (the API, the task page, a beat
    job, the demo), so that the schema's messages and this service's database checks (the owner; the
    customer, lead and opportunity in the actor's sight and agreeing with each other) come back together:
    one 422 naming each bad field. A rep naming someone else, or a manager someone outside the team: 403."""
    actor = actor if actor is not None else uow.actor
    uow.registry.permissions.authorize(actor, "create", RESOURCE)  # who asks, as `actor` says
    now = _now(now)
    values, errors = check_input(CreateTaskSchema, {**(data or {}), **fields})
    owner = _owner(uow, values["owner_id"], errors) if "owner_id" in values else None
    related = _related(uow, actor, values, errors)
    if errors:
        raise InvalidInput(errors)
    if actor is not None and not allowed_owner(actor, owner):
        raise Forbidden("A sales rep creates tasks for themselves; a sales manager for the team."
                        if actor.role in (Role.SALES_REP, Role.SALES_MANAGER) else
                        "Your role may not give tasks to others.")
    task = Task(title=values["title"], notes=values["notes"], due_at=_utc(values["due_at"]),
                remind_at=_utc(values["remind_at"]), owner_id=owner.id, owner=owner, state=TaskState.OPEN.value,
                source=values["source"], created_by_id=actor.id if actor else None, created_at=now, **related)
    uow.session.add(task)
    uow.commit()
    return task


def _command(uow: UnitOfWork, task_id: int, apply) -> Task:
    task = get_task(uow, task_id, for_update=True)
    _authorize(uow, "update", task)
    apply(task)
    uow.commit()
    return task


def complete_task(uow: UnitOfWork, task_id: int, *, now: datetime | None = None) -> Task:
    """Mark an open task done (409 when it is done or cancelled already)."""
    return _command(uow, task_id, lambda t: t.complete(at=_now(now)))


def cancel_task(uow: UnitOfWork, task_id: int, *, now: datetime | None = None) -> Task:
    """Cancel an open task (409 when it is done or cancelled already)."""
    return _command(uow, task_id, lambda t: t.cancel(at=_now(now)))


def reschedule_task(uow: UnitOfWork, task_id: int, *, due_at: datetime, remind_at: datetime | None = None,
                    now: datetime | None = None) -> Task:
    """Move an open task to a new due time (and reminder); the reminder will go out again. The times
    are loaded through `RescheduleTaskSchema` (aware, the reminder at or before the due time)."""
    task = get_task(uow, task_id, for_update=True)
    _authorize(uow, "update", task)
    times = load_input(RescheduleTaskSchema, {"due_at": due_at, "remind_at": remind_at})
    task.reschedule(_utc(times["due_at"]), _utc(times["remind_at"]))
    uow.commit()
    return task


# --------------------------------------------------------------------------- from an activity


def next_step_times(day: date) -> tuple[datetime, datetime]:
    """Due and reminder time of a next step dated `day`: end and start of that working day, China time."""
    return (datetime.combine(day, NEXT_STEP_DUE, CHINA).astimezone(UTC),
            datetime.combine(day, NEXT_STEP_REMIND, CHINA).astimezone(UTC))


def follow_up_activity(uow: UnitOfWork, activity: NextStep, *, owner_id: int | None,
                       now: datetime | None = None) -> Task | None:
    """Called by the activity service inside its transaction (no commit of its own): an activity with a
    next step date gets a follow-up task for `owner_id`, due that day. One task per activity."""
    if activity.next_step_date is None or owner_id is None:
        return None
    owner = uow.session.get(User, owner_id)
    if owner is None or not owner.active or owner.role not in OWNERS:
        return None
    if uow.session.scalar(select(Task.id).where(Task.activity_id == activity.id)) is not None:
        return None
    due, remind = next_step_times(activity.next_step_date)
    title = (activity.next_step or "").strip() or f"Follow up the {activity.kind}"
    lead_customer = activity.customer_id
    task = Task(title=title[:TITLE_MAX], notes=activity.note or "", due_at=due, remind_at=min(remind, due),
                owner_id=owner.id, owner=owner, state=TaskState.OPEN.value,
                source=TaskSource.ACTIVITY_NEXT_STEP.value, activity_id=activity.id,
                customer_id=lead_customer, lead_id=activity.lead_id, opportunity_id=activity.opportunity_id,
                created_by_id=uow.actor_id, created_at=_now(now))
    uow.session.add(task)
    return task


# --------------------------------------------------------------------------- reminders


def reminder_clause(now: datetime):
    return ((Task.state == TaskState.OPEN.value) & Task.reminded_at.is_(None)
            & (func.coalesce(Task.remind_at, Task.due_at) <= now))


def send_task_reminders(uow: UnitOfWork, *, now: datetime | None = None) -> list[int]:
    """Open tasks whose reminder time (or, without one, due time) has come get one `notify.user`
    message to their owner, written in the transaction that marks them reminded: exactly once each,
    however often the sweep runs (parallel sweeps on PostgreSQL skip each other's rows)."""
    now = _now(now)
    stmt = select(Task).where(reminder_clause(now)).order_by(Task.id)
    if uow.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Task, skip_locked=True)
    sent = []
    for task in uow.session.scalars(stmt).unique().all():
        due = china_time(task.due_at)
        verb = "was due" if task.due_at <= now else "is due"
        uow.enqueue("notify.user", {"user_id": task.owner_id, "link": f"/tasks/{task.id}",
                                    "message": f"Task \u201c{task.title}\u201d {verb} at {due} (China time)."})
        task.mark_reminded(at=now)
        sent.append(task.id)
    uow.commit()
    return sent


# --------------------------------------------------------------------------- reading


def _day_end(now: datetime) -> datetime:
    local = now.astimezone(CHINA)
    return datetime.combine(local.date() + timedelta(days=1), time(0), CHINA).astimezone(UTC)


def task_query(actor: User, filters: dict[str, Any], *, now: datetime | None = None):
    """The tasks the actor may see, filtered, earliest due first. `due` = `today` means open and due
    before the end of today (China time, overdue ones included); `overdue` open and past due."""
    stmt = permissions_of(actor).scoped(actor, RESOURCE, select(Task))
    for name in ("owner_id", "state", "customer_id", "lead_id", "opportunity_id", "source"):
        if filters.get(name) not in (None, ""):
            stmt = stmt.where(getattr(Task, name) == filters[name])
    due = filters.get("due")
    if due == "today":
        stmt = stmt.where(Task.state == TaskState.OPEN.value, Task.due_at < _day_end(_now(now)))
    elif due == "overdue":
        stmt = stmt.where(Task.state == TaskState.OPEN.value, Task.due_at < _now(now))
    return stmt.order_by(Task.due_at, Task.id)


def subjects_of(session, task: Task) -> list[tuple[TaskSubject, Any]]:
    """The lead and the opportunity a task is about, each with what its module registered, as the
    task's page shows them."""
    subjects = registry_of(session).task_subjects
    found = []
    for field in SUBJECT_FIELDS:
        record_id = getattr(task, field)
        if record_id is not None and field in subjects:
            found.append((subjects[field], session.get(subjects[field].model, record_id)))
    return found


def my_tasks_today(session, actor: User, *, now: datetime | None = None) -> list[Task]:
    """The desk's list: the actor's own open tasks due today or overdue."""
    stmt = task_query(actor, {"owner_id": actor.id, "due": "today"}, now=now)
    return list(session.scalars(stmt.limit(100)).unique())
