"""Credit control schemas: shape only. Money travels as strings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.schemas import StrictInputSchema, money


class ApproveCreditSchema(StrictInputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000,
                                                                   error="Give a reason of 1 to 2000 characters."))


class CreditApprovalSchema(Schema):
    id = fields.Integer()
    sales_order_id = fields.Integer()
    customer_id = fields.Integer()
    approved_total = money()
    reason = fields.String()
    approved_by_id = fields.Integer(allow_none=True)
    approved_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)


class CreditStatusSchema(Schema):
    customer_id = fields.Integer()
    credit_limit = money()
    credit_hold = fields.Boolean()
    receivable = money()
    unbilled = money()
    exposure = money()
    available_credit = money(allow_none=True)
