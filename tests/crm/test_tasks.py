"""Tasks and reminders: field-by-field validation, the role scope of who gives whom a task, the
transition table, follow-ups from an activity's next step, and reminders sent exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.db import utcnow
from core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from core.formatting import CHINA
from core.models import AuditEntry, Notification, OutboxMessage
from crm.pipeline import services as pipeline
from crm.tasks import services as tasks
from crm.tasks.models import Task
from tests.conftest import make_user, uow_for

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)   # Monday 10:00 China time
DUE = NOW + timedelta(hours=6)


def a_rep(db, team="north"):
    return make_user(db, "sales_rep", team=team)


def a_customer(db, owner, name="Task Co"):
    return core_services.create_customer(uow_for(db, owner), {"code": f"TK-{owner.id}-{name[:3]}", "name": name})


def a_task(db, actor, owner=None, **extra):
    owner = owner or actor
    return tasks.create_task(uow_for(db, actor), actor, title=extra.pop("title", "Call back"), owner_id=owner.id,
                             due_at=extra.pop("due_at", DUE), now=NOW, **extra)


def reminders(db, user):
    return [m for m in db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notify.user")
                                  .order_by(OutboxMessage.id)) if m.payload["user_id"] == user.id]


# --------------------------------------------------------------------------- creation


def test_a_rep_creates_an_open_audited_task_for_themselves_about_their_customer(db):
    rep = a_rep(db)
    customer = a_customer(db, rep)

    task = a_task(db, rep, customer_id=customer.id, notes=" Ask about the pumps ",
                  remind_at=DUE - timedelta(hours=1))

    assert (task.state, task.owner_id, task.created_by_id, task.source) == ("open", rep.id, rep.id, "manual")
    assert (task.customer_id, task.notes, task.due_at, task.remind_at) == (customer.id, "Ask about the pumps", DUE,
                                                                           DUE - timedelta(hours=1))
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "Task", AuditEntry.entity_id == str(task.id), AuditEntry.action == "create")) == 1


def test_bad_fields_are_each_named_and_nothing_is_created(db):
    rep = a_rep(db)
    other = a_customer(db, a_rep(db), "Other Co")
    before = db.scalar(select(func.count()).select_from(Task))

    with pytest.raises(InvalidInput) as refused:
        tasks.create_task(uow_for(db, rep), rep, title="  ", owner_id=999_999, due_at=datetime(2026, 11, 23, 9),
                          remind_at="tomorrow", customer_id=other.id, lead_id=999_999, source="gossip", now=NOW)

    assert set(refused.value.fields) == {"title", "owner_id", "due_at", "remind_at", "customer_id", "lead_id",
                                         "source"}
    assert "time zone" in refused.value.fields["due_at"][0]
    assert db.scalar(select(func.count()).select_from(Task)) == before


def test_a_reminder_after_the_due_time_is_refused(db):
    rep = a_rep(db)

    with pytest.raises(InvalidInput) as refused:
        a_task(db, rep, remind_at=DUE + timedelta(minutes=1))

    assert list(refused.value.fields) == ["remind_at"]


def test_an_opportunity_names_the_customer_and_a_contradicting_customer_is_refused(db):
    rep = a_rep(db)
    customer, other = a_customer(db, rep), a_customer(db, rep, "Second Co")
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Pumps"})

    task = a_task(db, rep, opportunity_id=opportunity.id)
    with pytest.raises(InvalidInput) as refused:
        a_task(db, rep, opportunity_id=opportunity.id, customer_id=other.id)

    assert task.customer_id == customer.id
    assert list(refused.value.fields) == ["customer_id"]


def test_a_rep_may_not_give_a_task_to_another_rep(db):
    rep, colleague = a_rep(db), a_rep(db)

    with pytest.raises(Forbidden):
        a_task(db, rep, owner=colleague)


def test_a_manager_gives_tasks_within_the_team_only(db):
    manager = make_user(db, "sales_manager", team="north")
    mine, foreign = a_rep(db, "north"), a_rep(db, "south")

    task = a_task(db, manager, owner=mine)
    with pytest.raises(Forbidden):
        a_task(db, manager, owner=foreign)

    assert (task.owner_id, task.created_by_id) == (mine.id, manager.id)


def test_the_system_creates_tasks_for_any_sales_user_as_a_job_does(db):
    rep = a_rep(db)
    customer = a_customer(db, rep)

    task = tasks.create_task(uow_for(db), None, title="Dormant: call Task Co", owner_id=rep.id, due_at=DUE,
                             customer_id=customer.id, source="dormant_customer", now=NOW)

    assert (task.owner_id, task.created_by_id, task.source) == (rep.id, None, "dormant_customer")


def test_other_roles_may_not_create_tasks_and_may_not_own_them(db):
    finance, rep = make_user(db, "finance"), a_rep(db)

    with pytest.raises(Forbidden):
        a_task(db, finance, owner=rep)
    with pytest.raises(InvalidInput) as refused:
        tasks.create_task(uow_for(db), None, title="x", owner_id=finance.id, due_at=DUE, now=NOW)
    assert list(refused.value.fields) == ["owner_id"]


# --------------------------------------------------------------------------- scope and transitions


def test_another_reps_task_is_hidden_and_a_manager_sees_the_teams(db):
    rep, other = a_rep(db, "north"), a_rep(db, "south")
    manager = make_user(db, "sales_manager", team="north")
    task = a_task(db, rep)

    with pytest.raises(NotFound):
        tasks.get_task(uow_for(db, other), task.id)
    with pytest.raises(NotFound):
        tasks.complete_task(uow_for(db, other), task.id, now=NOW)
    assert tasks.get_task(uow_for(db, manager), task.id) is task
    listed = db.scalars(tasks.task_query(other, {})).all()
    assert task not in listed and task in db.scalars(tasks.task_query(manager, {})).all()


def test_done_and_cancelled_are_final(db):
    rep = a_rep(db)
    done, cancelled = a_task(db, rep), a_task(db, rep, title="Visit")
    uow = uow_for(db, rep)

    tasks.complete_task(uow, done.id, now=NOW)
    tasks.cancel_task(uow, cancelled.id, now=NOW)

    assert (done.state, done.completed_at, cancelled.state) == ("done", NOW, "cancelled")
    for call in (tasks.complete_task, tasks.cancel_task):
        for task in (done, cancelled):
            with pytest.raises(InvalidTransition):
                call(uow, task.id, now=NOW)
    with pytest.raises(InvalidTransition):
        tasks.reschedule_task(uow, done.id, due_at=DUE)


def test_rescheduling_moves_the_due_time_and_checks_it(db):
    rep = a_rep(db)
    task = a_task(db, rep)

    with pytest.raises(InvalidInput):
        tasks.reschedule_task(uow_for(db, rep), task.id, due_at=datetime(2026, 12, 1, 9))
    tasks.reschedule_task(uow_for(db, rep), task.id, due_at=DUE + timedelta(days=2))

    assert (task.due_at, task.remind_at, task.state) == (DUE + timedelta(days=2), None, "open")


# --------------------------------------------------------------------------- reminders


def test_a_reminder_goes_out_once_when_its_time_comes_and_not_before(db):
    rep = a_rep(db)
    early = a_task(db, rep, title="Prepare offer", remind_at=NOW + timedelta(hours=1))
    plain = a_task(db, rep, title="Send samples")          # no reminder time: reminded when due
    finished = a_task(db, rep, title="Already done", remind_at=NOW + timedelta(minutes=5))
    tasks.complete_task(uow_for(db, rep), finished.id, now=NOW)
    sweep = lambda at: tasks.send_task_reminders(uow_for(db), now=at)  # noqa: E731

    assert sweep(NOW + timedelta(minutes=59)) == []
    assert sweep(NOW + timedelta(hours=1)) == [early.id]
    assert sweep(NOW + timedelta(hours=2)) == []
    assert sweep(DUE) == [plain.id]
    assert sweep(DUE + timedelta(days=3)) == []

    messages = reminders(db, rep)
    assert [m.payload["link"] for m in messages] == [f"/tasks/{early.id}", f"/tasks/{plain.id}"]
    assert "Prepare offer" in messages[0].payload["message"] and "16:00" in messages[0].payload["message"]
    assert (early.reminded_at, plain.reminded_at, finished.reminded_at) == (NOW + timedelta(hours=1), DUE, None)


def test_a_rescheduled_task_reminds_again_at_its_new_time(db):
    rep = a_rep(db)
    task = a_task(db, rep)
    assert tasks.send_task_reminders(uow_for(db), now=DUE) == [task.id]

    tasks.reschedule_task(uow_for(db, rep), task.id, due_at=DUE + timedelta(days=1))

    assert tasks.send_task_reminders(uow_for(db), now=DUE + timedelta(hours=1)) == []
    assert tasks.send_task_reminders(uow_for(db), now=DUE + timedelta(days=1)) == [task.id]


def test_the_beat_schedule_runs_the_reminder_task_which_notifies_the_owner(app, db):
    celery = app.extensions["celery"]
    assert any(entry["task"] == "crm.send_task_reminders" for entry in celery.conf.beat_schedule.values())
    rep = a_rep(db)
    task = a_task(db, rep, due_at=utcnow() - timedelta(minutes=1))

    with app.app_context():
        sent = celery.tasks["crm.send_task_reminders"].apply().get()
        again = celery.tasks["crm.send_task_reminders"].apply().get()

    assert sent >= 1 and again == 0
    db.expire_all()
    assert db.get(Task, task.id).reminded_at is not None
    notes = db.scalars(select(Notification).where(Notification.user_id == rep.id)).all()
    assert len(notes) == 1 and "Call back" in notes[0].message   # relayed through the outbox


# --------------------------------------------------------------------------- from an activity


def test_an_activity_with_a_next_step_date_creates_a_follow_up_task_for_who_logged_it(db):
    rep = a_rep(db)
    customer = a_customer(db, rep)
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Valves"})

    activity = pipeline.log_activity(uow_for(db, rep), {
        "kind": "visit", "opportunity_id": opportunity.id, "note": "Met the buyer", "next_step": "Send the quote",
        "next_step_date": date(2026, 11, 25)}, now=NOW)
    pipeline.log_activity(uow_for(db, rep), {"kind": "call", "opportunity_id": opportunity.id, "note": "No step"},
                          now=NOW)

    found = db.scalars(select(Task).where(Task.opportunity_id == opportunity.id)).all()
    assert len(found) == 1
    task = found[0]
    assert (task.title, task.source, task.activity_id, task.owner_id, task.customer_id) == (
        "Send the quote", "activity_next_step", activity.id, rep.id, customer.id)
    assert task.due_at == datetime(2026, 11, 25, 18, tzinfo=CHINA)
    assert task.remind_at == datetime(2026, 11, 25, 9, tzinfo=CHINA)


def test_my_tasks_today_holds_the_open_ones_due_today_or_overdue(db):
    rep = a_rep(db)
    overdue = a_task(db, rep, title="Yesterday's", due_at=NOW - timedelta(days=1))
    today = a_task(db, rep, title="Tonight", due_at=datetime(2026, 11, 23, 23, 30, tzinfo=CHINA))
    a_task(db, rep, title="Tomorrow", due_at=datetime(2026, 11, 24, 0, 30, tzinfo=CHINA))
    done = a_task(db, rep, title="Done already", due_at=NOW)
    tasks.complete_task(uow_for(db, rep), done.id, now=NOW)
    a_task(db, a_rep(db), title="Someone else's", due_at=NOW)

    assert tasks.my_tasks_today(db, rep, now=NOW) == [overdue, today]


# --------------------------------------------------------------------------- handover and merge


def test_a_handover_moves_the_leaving_reps_open_tasks_and_leaves_finished_ones(db):
    from crm.customers import hand_over

    leaving, taking = a_rep(db), a_rep(db)
    open_task, finished = a_task(db, leaving), a_task(db, leaving, title="Done already")
    tasks.complete_task(uow_for(db, leaving), finished.id, now=NOW)

    moved = hand_over(uow_for(db, make_user(db, "admin")), leaving.id, taking.id, reason="Leaves the company")

    assert moved.task_ids == [open_task.id]
    assert (open_task.owner_id, finished.owner_id) == (taking.id, leaving.id)


def test_a_merge_moves_the_tasks_of_the_duplicate_to_the_kept_customer(db):
    from crm.customers import merge_customers

    rep = a_rep(db)
    keep, drop = a_customer(db, rep, "Keep Co"), a_customer(db, rep, "Drop Co")
    task = a_task(db, rep, customer_id=drop.id)

    merge_customers(uow_for(db, make_user(db, "admin")), keep.id, drop.id, reason="Same company")

    assert task.customer_id == keep.id
