"""BOM and work order schemas: shape only. Quantities travel as strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from core.schemas import DecimalText, StrictInputSchema, text
from core.schemas import qty as quantity


def positive_qty(**kwargs) -> DecimalText:
    return DecimalText(4, minimum=None, validate=[
        validate.Range(min=Decimal(0), min_inclusive=False, error="Must be greater than 0.")], **kwargs)


class BomLineInputSchema(StrictInputSchema):
    component_id = fields.Integer(required=True, strict=False)
    qty = positive_qty(required=True)


class CreateBomSchema(StrictInputSchema):
    product_id = fields.Integer(required=True, strict=False)
    output_qty = positive_qty(load_default=Decimal(1))
    note = text(200)
    lines = fields.List(fields.Nested(BomLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=1000, error="Give 1 to 1000 components."))


class BomLineSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    component_id = fields.Integer()
    sku = fields.Function(lambda line: line.component.sku)
    qty = quantity()


class BomSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    sku = fields.Function(lambda bom: bom.product.sku)
    output_qty = quantity()
    active = fields.Boolean()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(BomLineSchema))


class WorkOrderComponentSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    qty_required = quantity()
    qty_reserved = quantity()
    qty_issued = quantity()


class WorkOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    product_id = fields.Integer()
    sku = fields.Function(lambda wo: wo.product.sku)
    warehouse_id = fields.Integer()
    qty = quantity()
    qty_done = quantity()
    state = fields.String()
    due_date = fields.Date()
    start_date = fields.Date()
    sales_order_id = fields.Integer(allow_none=True)
    sales_order_line_id = fields.Integer(allow_none=True)
    parent_work_order_id = fields.Integer(allow_none=True)
    material_cost = DecimalText(4)
    release_override = fields.String(allow_none=True)
    components = fields.List(fields.Nested(WorkOrderComponentSchema))


class ReleaseWorkOrderSchema(StrictInputSchema):
    override_reason = text(200, metadata={
        "description": "release although not every component is reserved (production manager: admin)"})


class CompleteWorkOrderSchema(StrictInputSchema):
    qty = positive_qty(required=True, metadata={"description": "finished quantity (partial allowed)"})
