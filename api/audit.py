"""GET /audit-log: who changed what, for admin and management."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from core import queries
from core.schemas import AuditEntrySchema, Id, Int
from core.web import get_session

from . import PageArgs, page_body, page_schema

blp = Blueprint("audit", __name__, description="Audit log")


class AuditArgs(PageArgs):
    entity = fields.String()
    entity_id = fields.String()
    user_id = Id()
    per_page = Int(load_default=50, validate=validate.Range(min=1, max=200))


@blp.route("/audit-log")
class AuditLog(MethodView):
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_schema(AuditEntrySchema))
    def get(self, args):
        """Audit entries, newest first, filtered by entity, record and user."""
        return page_body(queries.audit_entries(get_session(), g.actor, **args))
