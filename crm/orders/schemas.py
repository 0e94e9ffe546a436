"""Sales order schemas: shape only. Decimals travel as strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from core.schemas import Date, DateTime, DecimalText, Id, Int, StrictInputSchema, money, price, text
from core.schemas import qty as quantity


def positive_qty(**kwargs) -> DecimalText:
    return DecimalText(4, minimum=None, validate=[
        validate.Range(min=Decimal(0), min_inclusive=False, error="Must be greater than 0.")], **kwargs)


class OrderLineInputSchema(StrictInputSchema):
    product_id = Id(required=True, strict=False)
    qty = positive_qty(required=True)
    unit_price = price(allow_none=True)
    discount = DecimalText(4, allow_none=True, validate=[
        validate.Range(max=Decimal(1), error="A discount is a fraction between 0 and 1.")])


class CreateSalesOrderSchema(StrictInputSchema):
    customer_id = Id(required=True, strict=False)
    warehouse_id = Id(allow_none=True, strict=False)
    requested_date = Date(allow_none=True)
    customer_reference = text(80)
    note = text(4000)
    lines = fields.List(fields.Nested(OrderLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=500, error="Give 1 to 500 lines."))


class UpdateSalesOrderSchema(StrictInputSchema):
    customer_id = Id(strict=False)
    warehouse_id = Id(allow_none=True, strict=False)
    requested_date = Date(allow_none=True)
    customer_reference = text(80)
    note = text(4000)
    lines = fields.List(fields.Nested(OrderLineInputSchema),
                        validate=validate.Length(min=1, max=500, error="Give 1 to 500 lines."))


class SalesOrderLineSchema(Schema):
    id = Id()
    position = Int()
    product_id = Id()
    sku = fields.Function(lambda line: line.product.sku)
    product_name = fields.Function(lambda line: line.product.name)
    qty = quantity()
    unit_price = price()
    discount = DecimalText(4)
    tax_rate = DecimalText(4)
    untaxed = money()
    tax = money()
    total = money()
    reserved_qty = quantity()
    shipped_qty = quantity()


class SalesOrderSchema(Schema):
    id = Id()
    number = fields.String()
    customer_id = Id()
    customer_name = fields.Function(lambda order: order.customer.name)
    warehouse_id = Id()
    state = fields.String()
    order_date = Date()
    requested_date = Date()
    confirmed_on = Date(allow_none=True)
    cancelled_at = DateTime(allow_none=True)
    customer_reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    currency = fields.String()
    untaxed = money()
    tax = money()
    total = money()
    shipment_status = fields.String()
    invoice_status = fields.String()
    payment_status = fields.String()
    invoiced_amount = money(metadata={"description": "posted invoices, gross, net of credit notes"})
    credited_amount = money(metadata={"description": "credit notes on the order's invoices, gross"})
    paid_amount = money(metadata={"description": "payments applied to the order's invoices"})
    lines = fields.List(fields.Nested(SalesOrderLineSchema))


class SalesOrderSummarySchema(Schema):
    """A list row: the header without lines."""

    id = Id()
    number = fields.String()
    customer_id = Id()
    customer_name = fields.Function(lambda order: order.customer.name)
    state = fields.String()
    order_date = Date()
    requested_date = Date()
    total = money()
    shipment_status = fields.String()
    payment_status = fields.String()
    invoiced_amount = money()
    paid_amount = money()
