"""Tasks and reminders: a sales user's follow-ups with a due time, done or cancelled."""

from __future__ import annotations

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from core.errors import InvalidInput
from core.queries import paginate
from core.schemas import Id
from core.web import get_session, get_uow
from crm.tasks import services
from crm.tasks.schemas import SOURCES, STATES, CreateTaskSchema, RescheduleTaskSchema, TaskSchema

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("tasks", __name__, description="Tasks and reminders")


class TaskListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES))
    owner_id = Id()
    customer_id = Id()
    lead_id = Id()
    opportunity_id = Id()
    source = fields.String(validate=validate.OneOf(SOURCES))
    due = fields.String(validate=validate.OneOf(["today", "overdue"]),
                        metadata={"description": "today: open and due before the end of today (China time), "
                                                 "overdue included; overdue: open and past due"})


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, page_schema(TaskSchema))
    def get(self, args):
        """The tasks the caller may see (a rep: own; a manager: the team's), the earliest due first."""
        stmt = services.task_query(g.actor, args)
        return page_body(paginate(get_session(), stmt, args["page"], args["per_page"]))

    @idempotent
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": CreateTaskSchema}}})
    @blp.response(201, TaskSchema)
    def post(self):
        """Create a task for the caller (or, for a sales manager, a team member; admin: anyone). `due_at`
        and `remind_at` carry their offset; the reminder is at or before the due time.

        The body goes to the service as sent: it loads it through `CreateTaskSchema` itself, so one 422
        names every bad field, the schema's (a blank title) beside the database's (an unknown customer)."""
        body = request.get_json() if request.is_json else {}  # broken JSON: 400, as for every body
        if not isinstance(body, dict):
            raise InvalidInput({"_schema": ["Invalid input type."]})
        return services.create_task(get_uow(), g.actor, {**body, "owner_id": body.get("owner_id") or g.actor.id})


@blp.route("/tasks/<int:task_id>")
class TaskItem(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """One task."""
        return services.get_task(get_uow(), task_id)


@blp.route("/tasks/<int:task_id>/complete")
class TaskComplete(MethodView):
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The task is done or cancelled already")
    def post(self, task_id):
        """Mark an open task done."""
        return services.complete_task(get_uow(), task_id)


@blp.route("/tasks/<int:task_id>/cancel")
class TaskCancel(MethodView):
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The task is done or cancelled already")
    def post(self, task_id):
        """Cancel an open task."""
        return services.cancel_task(get_uow(), task_id)


@blp.route("/tasks/<int:task_id>/reschedule")
class TaskReschedule(MethodView):
    @blp.arguments(RescheduleTaskSchema)
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The task is done or cancelled already")
    def post(self, data, task_id):
        """A new due time (and reminder) for an open task; its reminder goes out again."""
        return services.reschedule_task(get_uow(), task_id, **data)
