"""Task payloads for the API: shape only; the service checks the values field by field."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.db import utcnow
from crm.tasks.models import TaskSource, TaskState

STATES = [s.value for s in TaskState]
SOURCES = [s.value for s in TaskSource]


class TaskSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    notes = fields.String()
    due_at = fields.DateTime()
    remind_at = fields.DateTime(allow_none=True)
    owner_id = fields.Integer()
    customer_id = fields.Integer(allow_none=True)
    lead_id = fields.Integer(allow_none=True)
    opportunity_id = fields.Integer(allow_none=True)
    activity_id = fields.Integer(allow_none=True)
    state = fields.String()
    source = fields.String()
    overdue = fields.Method("_overdue")
    reminded_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()

    def _overdue(self, task) -> bool:
        return task.is_overdue(utcnow())


class CreateTaskSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=200))
    notes = fields.String(load_default="")
    due_at = fields.DateTime(required=True, metadata={"description": "ISO 8601 with its offset"})
    remind_at = fields.DateTime(allow_none=True, load_default=None)
    owner_id = fields.Integer(load_default=None, metadata={"description": "The caller when left out"})
    customer_id = fields.Integer(allow_none=True, load_default=None)
    lead_id = fields.Integer(allow_none=True, load_default=None)
    opportunity_id = fields.Integer(allow_none=True, load_default=None)
    source = fields.String(load_default=TaskSource.MANUAL.value, validate=validate.OneOf(SOURCES))


class RescheduleTaskSchema(Schema):
    due_at = fields.DateTime(required=True)
    remind_at = fields.DateTime(allow_none=True, load_default=None)
