"""Stock schemas: shape only. Quantities travel as strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from core.schemas import DateTime, DecimalText, Id, Int, StrictInputSchema, text
from core.schemas import qty as quantity


class AdjustStockSchema(StrictInputSchema):
    product_id = Id(required=True, strict=False)
    warehouse_id = Id(allow_none=True, strict=False)
    qty = DecimalText(4, minimum=None, required=True, metadata={"description": "signed: negative takes stock out"},
                      validate=[validate.NoneOf([Decimal(0)], error="An adjustment cannot be zero.")])
    reason = text(200, required=True)
    reference = text(60)

    @validates("reason")
    def _says_why(self, value, **_kwargs):
        if value and not value.strip():
            raise ValidationError("Say why the stock is adjusted.")


class StockBalanceSchema(Schema):
    product_id = Id()
    warehouse_id = Id()
    on_hand = quantity()
    reserved = quantity()
    available = quantity()


class StockMoveSchema(Schema):
    id = Id()
    product_id = Id()
    warehouse_id = Id()
    qty = DecimalText(4, minimum=None)
    kind = fields.String()
    reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    unit_cost = DecimalText(4, allow_none=True)
    created_by_id = Id(allow_none=True)
    created_at = DateTime()


class ReservationSchema(Schema):
    id = Id()
    product_id = Id()
    warehouse_id = Id()
    qty = quantity()
    state = fields.String()
    holder = fields.String()
    sales_order_id = Id(allow_none=True)
    sales_order_line_id = Id(allow_none=True)
    work_order_id = Id(allow_none=True)
    work_order_component_id = Id(allow_none=True)
    created_at = DateTime()
    released_at = DateTime(allow_none=True)


class ShipmentLineInputSchema(StrictInputSchema):
    sales_order_line_id = Id(strict=False, allow_none=True)
    product_id = Id(strict=False, allow_none=True)
    qty = DecimalText(4, minimum=None, required=True, validate=[
        validate.Range(min=Decimal(0), min_inclusive=False, error="Must be greater than 0.")])

    @validates_schema
    def _names_a_line(self, data, **_kwargs):
        if data.get("sales_order_line_id") is None and data.get("product_id") is None:
            raise ValidationError("Name the order line (sales_order_line_id) or its product (product_id).",
                                  field_name="product_id")


class CreateShipmentSchema(StrictInputSchema):
    sales_order_id = Id(required=True, strict=False)
    lines = fields.List(fields.Nested(ShipmentLineInputSchema), load_default=None,
                        metadata={"description": "what to pick; everything reserved for the order when left out"})


class ShipmentLineSchema(Schema):
    id = Id()
    position = Int()
    sales_order_line_id = Id()
    product_id = Id()
    sku = fields.Function(lambda line: line.product.sku)
    qty = quantity()


class ShipmentSchema(Schema):
    id = Id()
    number = fields.String()
    state = fields.String()
    sales_order_id = Id()
    warehouse_id = Id()
    backorder_of_id = Id(allow_none=True)
    created_at = DateTime()
    shipped_at = DateTime(allow_none=True)
    lines = fields.List(fields.Nested(ShipmentLineSchema))
