"""The desk's "my tasks today" with its done button (htmx, CSRF), the task list's form and the
task page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import utcnow
from crm.tasks import services as tasks
from crm.tasks.models import Task
from tests.conftest import make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in
from tests.web.test_orders_web import text_of


def a_task(db, rep, title, due):
    return tasks.create_task(uow_for(db, rep), rep, title=title, owner_id=rep.id, due_at=due)


def test_the_desk_shows_my_open_tasks_due_today_or_overdue_and_not_later_ones(client, db):
    rep = make_user(db, "sales_rep")
    late = a_task(db, rep, "Overdue call", utcnow() - timedelta(days=2))
    a_task(db, rep, "Next week's visit", utcnow() + timedelta(days=7))
    a_task(db, make_user(db, "sales_rep"), "Someone else's", utcnow())
    sign_in(client, rep)

    html = client.get("/leads/desk").get_data(as_text=True)

    section = html.split('id="tasks-today"')[1].split("</table>")[0]
    assert "Overdue call" in section and f'data-task="{late.id}"' in section
    assert "Next week's visit" not in section and "Someone else's" not in section
    assert 'class="overdue"' in section and "hx-post" in section and 'name="csrf_token"' in section


def test_the_done_button_finishes_the_task_through_htmx_and_needs_the_csrf_token(client, db):
    rep = make_user(db, "sales_rep")
    task = a_task(db, rep, "Send samples", utcnow() + timedelta(minutes=30))
    sign_in(client, rep)
    token = csrf_token(client, "/leads/desk")

    forged = client.post(f"/tasks/{task.id}/complete", headers={"HX-Request": "true"})
    done = client.post(f"/tasks/{task.id}/complete", headers={"HX-Request": "true", "X-CSRFToken": token})

    assert forged.status_code == 400
    assert done.status_code == 200
    row = done.get_data(as_text=True)
    assert f'id="task-{task.id}"' in row and 'data-state="done"' in row and "hx-post" not in row
    db.expire_all()
    assert db.get(Task, task.id).state == "done"
    assert "Send samples" not in client.get("/leads/desk").get_data(as_text=True).split('id="tasks-today"')[-1]


def test_the_task_list_creates_a_task_and_refusals_are_flashed(client, db):
    rep = make_user(db, "sales_rep")
    sign_in(client, rep)
    token = csrf_token(client, "/tasks")

    created = client.post("/tasks", data={"csrf_token": token, "title": "Quarterly review",
                                          "due_at": "2026-12-01T10:00"}, follow_redirects=True)
    refused = client.post("/tasks", data={"csrf_token": token, "title": "", "due_at": "soon"},
                          follow_redirects=True)

    task = db.query(Task).filter_by(title="Quarterly review").one()
    assert created.status_code == 200 and "Quarterly review" in text_of(created.get_data(as_text=True))
    assert task.due_at == datetime(2026, 12, 1, 2, tzinfo=UTC)  # typed as China time
    assert "Not created" in text_of(refused.get_data(as_text=True))
    assert db.query(Task).filter_by(owner_id=rep.id).count() == 1


def test_the_task_page_names_its_customer_and_opportunity_and_hides_another_reps_task(app, client, db):
    from core import services as core_services
    from crm.pipeline import services as pipeline

    rep = make_user(db, "sales_rep")
    customer = core_services.create_customer(uow_for(db, rep), {"code": "TP-1", "name": "Page Pumps"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Spare seals"})
    task = tasks.create_task(uow_for(db, rep), rep, title="Ask for the drawing", owner_id=rep.id,
                             due_at=utcnow() + timedelta(days=1), opportunity_id=opportunity.id)
    stranger = app.test_client()
    sign_in(stranger, make_user(db, "sales_rep"))
    hidden = stranger.get(f"/tasks/{task.id}")
    sign_in(client, rep)

    page = text_of(client.get(f"/tasks/{task.id}").get_data(as_text=True))

    assert hidden.status_code == 404
    assert "Ask for the drawing" in page and "Page Pumps" in page and f"{opportunity.number} Spare seals" in page


def test_a_refused_done_click_shows_the_reason_in_the_row(client, db):
    rep = make_user(db, "sales_rep")
    task = a_task(db, rep, "Cancelled meanwhile", utcnow())
    tasks.cancel_task(uow_for(db, rep), task.id)
    sign_in(client, rep)
    token = csrf_token(client, "/leads/desk")

    answer = client.post(f"/tasks/{task.id}/complete", headers={"HX-Request": "true", "X-CSRFToken": token})

    row = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'data-state="cancelled"' in row
    assert "cannot go from cancelled to done" in text_of(row)
