"""BOM and work order schemas: shape only. Quantities travel as strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from core.schemas import Date, DateTime, DecimalText, Id, Int, StrictInputSchema, text
from core.schemas import qty as quantity


def positive_qty(**kwargs) -> DecimalText:
    return DecimalText(4, minimum=None, validate=[
        validate.Range(min=Decimal(0), min_inclusive=False, error="Must be greater than 0.")], **kwargs)


class BomLineInputSchema(StrictInputSchema):
    component_id = Id(required=True, strict=False)
    qty = positive_qty(required=True)


class CreateBomSchema(StrictInputSchema):
    product_id = Id(required=True, strict=False)
    output_qty = positive_qty(load_default=Decimal(1))
    note = text(200)
    lines = fields.List(fields.Nested(BomLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=1000, error="Give 1 to 1000 components."))


class BomLineSchema(Schema):
    id = Id()
    position = Int()
    component_id = Id()
    sku = fields.Function(lambda line: line.component.sku)
    qty = quantity()


class BomSchema(Schema):
    id = Id()
    product_id = Id()
    sku = fields.Function(lambda bom: bom.product.sku)
    output_qty = quantity()
    active = fields.Boolean()
    note = fields.String(allow_none=True)
    created_at = DateTime()
    lines = fields.List(fields.Nested(BomLineSchema))


class WorkOrderComponentSchema(Schema):
    id = Id()
    product_id = Id()
    qty_required = quantity()
    qty_reserved = quantity()
    qty_issued = quantity()


class WorkOrderSchema(Schema):
    id = Id()
    number = fields.String()
    product_id = Id()
    sku = fields.Function(lambda wo: wo.product.sku)
    warehouse_id = Id()
    qty = quantity()
    qty_done = quantity()
    state = fields.String()
    due_date = Date()
    start_date = Date()
    sales_order_id = Id(allow_none=True)
    sales_order_line_id = Id(allow_none=True)
    parent_work_order_id = Id(allow_none=True)
    material_cost = DecimalText(4)
    release_override = fields.String(allow_none=True)
    components = fields.List(fields.Nested(WorkOrderComponentSchema))


class ReleaseWorkOrderSchema(StrictInputSchema):
    override_reason = text(200, metadata={
        "description": "release although not every component is reserved (production manager: admin)"})


class CompleteWorkOrderSchema(StrictInputSchema):
    qty = positive_qty(required=True, metadata={"description": "finished quantity (partial allowed)"})
