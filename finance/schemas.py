"""Credit control schemas: shape only. Money travels as strings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.schemas import DecimalText, StrictInputSchema, money, price, qty, text


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


class LiftCreditHoldSchema(StrictInputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000,
                                                                   error="Give a reason of 1 to 2000 characters."))


class CreditStatusSchema(Schema):
    customer_id = fields.Integer()
    credit_limit = money()
    credit_hold = fields.Boolean()
    receivable = money()
    unbilled = money()
    exposure = money()
    available_credit = money(allow_none=True)


# --------------------------------------------------------------------------- invoices and payments


class CreateInvoiceSchema(StrictInputSchema):
    sales_order_id = fields.Integer(required=True)
    invoice_date = fields.Date(load_default=None)
    post = fields.Boolean(load_default=False, metadata={"description": "post at once"})


class InvoiceLineSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    sales_order_line_id = fields.Integer(allow_none=True)
    product_id = fields.Integer()
    sku = fields.String(attribute="product.sku")
    qty = qty()
    unit_price = price()
    discount = fields.Decimal(as_string=True)
    tax_rate = fields.Decimal(as_string=True)
    untaxed = money()
    tax = money()
    total = money()


class AllocationSchema(Schema):
    id = fields.Integer()
    payment_id = fields.Integer()
    invoice_id = fields.Integer()
    invoice_number = fields.String(attribute="invoice.number")
    amount = money(minimum=None)
    reverses_id = fields.Integer(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class InvoiceSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    customer_id = fields.Integer()
    sales_order_id = fields.Integer(allow_none=True)
    state = fields.String()
    invoice_date = fields.Date()
    due_date = fields.Date()
    currency = fields.String()
    untaxed = money()
    tax = money()
    total = money()
    paid_amount = money()
    open_amount = money()
    posted_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema))


class CreatePaymentSchema(StrictInputSchema):
    customer_id = fields.Integer(required=True)
    amount = money(required=True, minimum=None)
    date = fields.Date(load_default=None)
    method = fields.String(load_default=None)
    reference = text(200)


class PaymentSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    customer_id = fields.Integer()
    amount = money()
    allocated_amount = money()
    unapplied = money()
    date = fields.Date(attribute="payment_date")
    method = fields.String()
    reference = fields.String(allow_none=True)
    created_at = fields.DateTime()
    allocations = fields.List(fields.Nested(AllocationSchema))


class AllocationInputSchema(StrictInputSchema):
    invoice_id = fields.Integer(required=True)
    amount = money(required=True, minimum=None)


class AllocateSchema(StrictInputSchema):
    allocations = fields.List(fields.Nested(AllocationInputSchema), load_default=None)
    auto = fields.Boolean(load_default=False)


class AllocationResultSchema(Schema):
    payment = fields.Nested(PaymentSchema)
    allocations = fields.List(fields.Nested(AllocationSchema))


class AgingRowSchema(Schema):
    customer_id = fields.Integer()
    customer_code = fields.String()
    customer_name = fields.String()
    current = money()
    b1_30 = money(attribute="1_30", data_key="1_30")
    b31_60 = money(attribute="31_60", data_key="31_60")
    b61_90 = money(attribute="61_90", data_key="61_90")
    over_90 = money()
    total = money()
    sales_90d = money(metadata={"description": "credit sales (billed invoice totals) of the 90 days up to as_of"})
    dso = DecimalText(1, allow_none=True, metadata={
        "description": "days sales outstanding: total / sales_90d x 90; null when nothing was billed"})


class AgingSchema(Schema):
    as_of = fields.Date()
    items = fields.List(fields.Nested(AgingRowSchema))
    totals = fields.Nested(AgingRowSchema)


class SummaryOrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    state = fields.String()
    total = money()
    shipment_status = fields.String()
    invoice_status = fields.String()
    invoiced_amount = money()
    paid_amount = money()
    payment_status = fields.String()


class CustomerSummarySchema(Schema):
    customer_id = fields.Integer()
    receivable = money()
    unbilled = money()
    exposure = money()
    credit_limit = money()
    available_credit = money(allow_none=True, minimum=None)
    credit_hold = fields.Boolean()
    overdue = money()
    unapplied_credit = money()
    orders = fields.List(fields.Nested(SummaryOrderSchema))
