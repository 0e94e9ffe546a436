"""Task payloads of the API and the web forms: the rules of a task's fields live here (a title, times
with their time zone, a reminder at or before the due time, a known source); the service checks the
owner and the customer, lead and opportunity against the database."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.db import utcnow
from core.schemas import AwareDateTime, DateTime, Id, Text
from crm.tasks.models import TaskSource, TaskState

STATES = [s.value for s in TaskState]
SOURCES = [s.value for s in TaskSource]
TITLE_MAX = 200


class TaskSchema(Schema):
    id = Id()
    title = fields.String()
    notes = fields.String()
    due_at = DateTime()
    remind_at = DateTime(allow_none=True)
    owner_id = Id()
    customer_id = Id(allow_none=True)
    lead_id = Id(allow_none=True)
    opportunity_id = Id(allow_none=True)
    activity_id = Id(allow_none=True)
    state = fields.String()
    source = fields.String()
    overdue = fields.Method("_overdue")
    reminded_at = DateTime(allow_none=True)
    completed_at = DateTime(allow_none=True)
    cancelled_at = DateTime(allow_none=True)
    created_by_id = Id(allow_none=True)
    created_at = DateTime()

    def _overdue(self, task) -> bool:
        return task.is_overdue(utcnow())


def _moment(*, required: bool) -> fields.AwareDateTime:
    """An ISO 8601 time with its offset (or a `datetime` with its zone, from Python callers): a time
    without its zone would be read differently by every server."""
    when = "Give a date and time."
    messages = {"required": when, "null": when, "invalid": when,
                "invalid_awareness": "Give the time with its time zone (for example 2026-11-23T09:00:00+08:00)."}
    if required:
        return AwareDateTime(required=True, error_messages=messages,
                             metadata={"description": "ISO 8601 with its offset"})
    return AwareDateTime(allow_none=True, load_default=None, error_messages=messages,
                         metadata={"description": "ISO 8601 with its offset; at or before `due_at`"})


class RescheduleTaskSchema(Schema):
    due_at = _moment(required=True)
    remind_at = _moment(required=False)

    @validates_schema
    def _reminds_in_time(self, data, **_kwargs):
        due, remind = data.get("due_at"), data.get("remind_at")
        if due is not None and remind is not None and remind > due:
            raise ValidationError("The reminder must be at or before the due time.", "remind_at")


class CreateTaskSchema(RescheduleTaskSchema):
    title = Text(required=True, validate=[validate.Length(min=1, error="Give the task a title."),
                                          validate.Length(max=TITLE_MAX, error="At most {max} characters.")],
                 error_messages={"required": "Give the task a title.", "null": "Give the task a title."})
    notes = Text(load_default="", error_messages={"invalid": "Give the notes as text.",
                                                  "null": "Give the notes as text."})
    owner_id = Id(load_default=None, metadata={"description": "The caller when left out"})
    customer_id = Id(allow_none=True, load_default=None)
    lead_id = Id(allow_none=True, load_default=None)
    opportunity_id = Id(allow_none=True, load_default=None)
    source = fields.String(load_default=TaskSource.MANUAL.value,
                           validate=validate.OneOf(SOURCES, error=f"One of {', '.join(SOURCES)}."))
