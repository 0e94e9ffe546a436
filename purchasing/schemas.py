"""Purchase plan schemas: shape only. Quantities travel as strings."""

from __future__ import annotations

from marshmallow import Schema, fields

from core.schemas import qty as quantity


class PurchasePlanLineSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    sku = fields.Function(lambda plan: plan.product.sku)
    warehouse_id = fields.Integer()
    qty = quantity()
    supplier_id = fields.Integer()
    need_by = fields.Date()
    order_by = fields.Date(metadata={"description": "suggested order date: need_by minus the lead time"})
    state = fields.String()
    sales_order_id = fields.Integer(allow_none=True)
    sales_order_line_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    work_order_component_id = fields.Integer(allow_none=True)
