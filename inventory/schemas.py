"""Stock schemas: shape only. Quantities travel as strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from core.schemas import DecimalText, StrictInputSchema, text
from core.schemas import qty as quantity


class AdjustStockSchema(StrictInputSchema):
    product_id = fields.Integer(required=True, strict=False)
    warehouse_id = fields.Integer(allow_none=True, strict=False)
    qty = DecimalText(4, minimum=None, required=True, metadata={"description": "signed: negative takes stock out"},
                      validate=[validate.NoneOf([Decimal(0)], error="An adjustment cannot be zero.")])
    reason = text(200, required=True)
    reference = text(60)


class StockBalanceSchema(Schema):
    product_id = fields.Integer()
    warehouse_id = fields.Integer()
    on_hand = quantity()
    reserved = quantity()
    available = quantity()


class StockMoveSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    warehouse_id = fields.Integer()
    qty = DecimalText(4, minimum=None)
    kind = fields.String()
    reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ReservationSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    warehouse_id = fields.Integer()
    qty = quantity()
    state = fields.String()
    holder = fields.String()
    sales_order_id = fields.Integer(allow_none=True)
    sales_order_line_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    work_order_component_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    released_at = fields.DateTime(allow_none=True)
