"""Customer housekeeping: a leaving rep's book handed over to another rep, and duplicate customers merged."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.schemas import CustomerSchema, Id, Text
from core.web import get_uow
from crm import customers

blp = Blueprint("customers_admin", __name__, description="Customer handover and merge")

_reason = Text(required=True, validate=[validate.Length(min=1, error="Give a reason."), validate.Length(max=2000)],
               error_messages={"required": "Give a reason.", "null": "Give a reason."})


class HandoverSchema(Schema):
    from_user_id = Id(required=True)
    to_user_id = Id(required=True)
    reason = _reason


class HandoverResultSchema(Schema):
    from_user_id = Id()
    to_user_id = Id()
    customer_ids = fields.List(Id())
    lead_ids = fields.List(Id())
    opportunity_ids = fields.List(Id())
    task_ids = fields.List(Id())


class MergeSchema(Schema):
    drop_id = Id(required=True)
    reason = _reason


@blp.route("/customers/handover")
class Handover(MethodView):
    @blp.arguments(HandoverSchema)
    @blp.response(200, HandoverResultSchema)
    @blp.alt_response(403, description="Not a sales manager of the reps' team nor an administrator")
    @blp.alt_response(422, description="Unknown user, same user, or a target that is not an active sales user")
    def post(self, data):
        """Move all of a rep's customers, open leads and open opportunities to another rep (quotes and
        orders follow their customer); one audited action."""
        return customers.hand_over(get_uow(), data["from_user_id"], data["to_user_id"], reason=data["reason"])


@blp.route("/customers/<int:customer_id>/merge")
class Merge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, CustomerSchema)
    @blp.alt_response(403, description="Not allowed to change both customers")
    @blp.alt_response(422, description="Unknown or inactive customer, or a customer merged into itself")
    def post(self, data, customer_id):
        """Merge the duplicate `drop_id` into this customer: every document follows; the duplicate is
        deactivated, never deleted."""
        return customers.merge_customers(get_uow(), customer_id, data["drop_id"], reason=data["reason"])
