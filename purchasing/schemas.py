"""Purchasing schemas: shape only. Quantities and prices travel as strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from core.schemas import Date, DateTime, DecimalText, Id, Int, StrictInputSchema
from core.schemas import qty as quantity


class PurchasePlanLineSchema(Schema):
    id = Id()
    product_id = Id()
    sku = fields.Function(lambda plan: plan.product.sku)
    warehouse_id = Id()
    qty = quantity()
    supplier_id = Id()
    need_by = Date()
    order_by = Date(metadata={"description": "suggested order date: need_by minus the lead time"})
    state = fields.String()
    sales_order_id = Id(allow_none=True)
    sales_order_line_id = Id(allow_none=True)
    work_order_id = Id(allow_none=True)
    work_order_component_id = Id(allow_none=True)
    purchase_order_line_id = Id(allow_none=True)


class SupplierPriceSchema(Schema):
    id = Id()
    supplier_id = Id()
    supplier_code = fields.Function(lambda row: row.supplier.code)
    product_id = Id()
    sku = fields.Function(lambda row: row.product.sku)
    price = DecimalText(4)
    currency = fields.String()
    min_qty = quantity()
    lead_time_days = Int(allow_none=True)


class SetSupplierPriceSchema(StrictInputSchema):
    supplier_id = Id(required=True, strict=False)
    product_id = Id(required=True, strict=False)
    price = DecimalText(4, required=True)
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY"], error="Prices are in CNY."))
    min_qty = quantity(load_default=Decimal(0))
    lead_time_days = Int(allow_none=True, strict=False, validate=validate.Range(min=0, max=3650))


class PurchaseOrderLineSchema(Schema):
    id = Id()
    position = Int()
    product_id = Id()
    sku = fields.Function(lambda line: line.product.sku)
    qty = quantity()
    qty_received = quantity()
    qty_open = quantity()
    unit_price = DecimalText(4)
    amount = DecimalText(2)
    expected_date = Date()


class PurchaseOrderSchema(Schema):
    id = Id()
    number = fields.String()
    supplier_id = Id()
    supplier_name = fields.Function(lambda order: order.supplier.name)
    warehouse_id = Id()
    state = fields.String()
    order_date = Date()
    currency = fields.String()
    total = DecimalText(2)
    confirmed_at = DateTime(allow_none=True)
    cancelled_at = DateTime(allow_none=True)
    lines = fields.List(fields.Nested(PurchaseOrderLineSchema))


class OrderFromPlansSchema(StrictInputSchema):
    plan_ids = fields.List(Id(strict=False), load_default=None,
                           metadata={"description": "the plan lines to order; all open ones when left out"})


class ReceiptLineSchema(StrictInputSchema):
    product_id = Id(required=True, strict=False)
    qty = DecimalText(4, minimum=None, required=True, validate=[
        validate.Range(min=Decimal(0), min_inclusive=False, error="Must be greater than 0.")])


class ReceivePurchaseOrderSchema(StrictInputSchema):
    lines = fields.List(fields.Nested(ReceiptLineSchema), required=True,
                        validate=validate.Length(min=1, max=500, error="Give 1 to 500 lines."))
