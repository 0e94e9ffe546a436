"""Credit control schemas: shape only. Money travels as strings.

The reason finance gives for a decision and the rules of money received or refunded (an amount more than zero with two decimals, a known method)
are written here once, worded for the clerk who types them; the payment and refund services load
their input through these schemas too, because the bank reconciliation, the demo, scripts and tests
call them with plain values."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from core.schemas import Date, DateTime, DecimalText, Id, Int, StrictInputSchema, money, price, qty, text
from finance.models import PaymentMethod


def moved_amount(verb: str) -> DecimalText:
    """The amount of money `verb` ("received", "refunded"): more than zero, at most two decimals."""
    unreadable = f"Give the amount {verb} as a number."
    return money(required=True, minimum=None, error_messages={
        "invalid": unreadable, "special": unreadable, "required": unreadable, "null": unreadable,
        "places": "The amount has at most two decimals."},
        validate=[validate.Range(min=Decimal(0), min_inclusive=False, error=f"The amount {verb} must be more than zero.")])


def payment_method() -> fields.String:
    """How money moved; left out (or blank) it is a bank transfer."""
    methods = [m.value for m in PaymentMethod]
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        ["", *methods], error=f"The method is one of {', '.join(methods)}."))


ALLOCATED_AMOUNT = "The amount must be more than zero, with at most two decimals."


def allocated_amount() -> DecimalText:
    """Money applied to one invoice: more than zero, at most two decimals."""
    return money(required=True, minimum=None, error_messages={
        key: ALLOCATED_AMOUNT for key in ("invalid", "special", "required", "null", "places")},
        validate=[validate.Range(min=Decimal(0), min_inclusive=False, error=ALLOCATED_AMOUNT)])


REASON = "Give a reason of 1 to 2000 characters."


def reason_text(limit: int = 2000, message: str = REASON) -> fields.String:
    """Why finance decided (an approval over the limit, a lifted hold, an ignored bank line): 1 to
    `limit` characters, not blank; every way of getting it wrong answers `message`."""
    def a_reason(value: str) -> None:
        if not value.strip() or len(value) > limit:
            raise ValidationError(message)

    return fields.String(required=True, validate=a_reason, error_messages={"required": message, "null": message})


class ApproveCreditSchema(StrictInputSchema):
    reason = reason_text()


class CreditApprovalSchema(Schema):
    id = Id()
    sales_order_id = Id()
    customer_id = Id()
    approved_total = money()
    reason = fields.String()
    approved_by_id = Id(allow_none=True)
    approved_at = DateTime()
    used_at = DateTime(allow_none=True)


class LiftCreditHoldSchema(StrictInputSchema):
    reason = reason_text()


class CreditHoldSchema(Schema):
    """A customer the overdue check put on credit hold, with the invoices that did it."""

    customer_id = Id()
    invoice_numbers = fields.List(fields.String())


class CreditHoldCheckSchema(Schema):
    held = fields.List(fields.Nested(CreditHoldSchema))


class CreditStatusSchema(Schema):
    customer_id = Id()
    credit_limit = money()
    credit_hold = fields.Boolean()
    receivable = money()
    unbilled = money()
    exposure = money()
    available_credit = money(allow_none=True)


# --------------------------------------------------------------------------- invoices and payments


class ExplicitInvoiceLineSchema(StrictInputSchema):
    description = text(200)
    product_id = Id(load_default=None, allow_none=True)
    qty = qty(required=True, minimum=None)
    unit_price = price(required=True, minimum=None)
    vat_rate = DecimalText(4, required=True, minimum=None, integer_digits=2,
                           metadata={"description": "a fraction: 0.13 for 13%"})


class CreateInvoiceSchema(StrictInputSchema):
    sales_order_id = Id(load_default=None, allow_none=True,
                        metadata={"description": "bill what this order shipped (without `lines`)"})
    customer_id = Id(load_default=None, allow_none=True,
                     metadata={"description": "with `lines`: the customer billed"})
    lines = fields.List(fields.Nested(ExplicitInvoiceLineSchema), load_default=None,
                        metadata={"description": "explicit lines instead of the order's shipments"})
    invoice_date = Date(load_default=None)
    post = fields.Boolean(load_default=False, metadata={"description": "post at once"})


class InvoiceLineSchema(Schema):
    id = Id()
    position = Int()
    sales_order_line_id = Id(allow_none=True)
    product_id = Id(allow_none=True)
    sku = fields.Function(lambda line: line.product.sku if line.product is not None else None)
    description = fields.String(attribute="label")
    qty = qty()
    unit_price = price()
    discount = fields.Decimal(as_string=True)
    tax_rate = fields.Decimal(as_string=True)
    untaxed = money()
    tax = money()
    total = money()


class AllocationSchema(Schema):
    id = Id()
    payment_id = Id()
    invoice_id = Id()
    invoice_number = fields.String(attribute="invoice.number")
    amount = money(minimum=None)
    reverses_id = Id(allow_none=True)
    created_by_id = Id(allow_none=True)
    created_at = DateTime()


class InvoiceSchema(Schema):
    id = Id()
    number = fields.String()
    customer_id = Id()
    sales_order_id = Id(allow_none=True)
    state = fields.String()
    invoice_date = Date()
    due_date = Date()
    currency = fields.String()
    untaxed = money()
    tax = money()
    total = money(metadata={"description": "gross, net of credit notes"})
    credited_amount = money(metadata={"description": "what credit notes took off the invoice, gross"})
    issued_total = money(metadata={"description": "the gross total as issued (total + credited_amount)"})
    paid_amount = money()
    open_amount = money()
    posted_at = DateTime(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema))


class CreatePaymentSchema(StrictInputSchema):
    customer_id = Id(required=True)
    amount = moved_amount("received")
    date = Date(load_default=None)
    method = payment_method()
    reference = text(200)


class PaymentSchema(Schema):
    id = Id()
    number = fields.String()
    customer_id = Id()
    amount = money()
    allocated_amount = money()
    refunded_amount = money()
    unapplied = money()
    date = Date(attribute="payment_date")
    method = fields.String()
    reference = fields.String(allow_none=True)
    created_at = DateTime()
    allocations = fields.List(fields.Nested(AllocationSchema))


class AllocationInputSchema(StrictInputSchema):
    invoice_id = Id(required=True)
    amount = allocated_amount()


class AllocateSchema(StrictInputSchema):
    allocations = fields.List(fields.Nested(AllocationInputSchema), load_default=None)
    auto = fields.Boolean(load_default=False)


class AllocationResultSchema(Schema):
    payment = fields.Nested(PaymentSchema)
    allocations = fields.List(fields.Nested(AllocationSchema))


class CreateRefundSchema(StrictInputSchema):
    amount = moved_amount("refunded")
    date = Date(load_default=None)
    method = payment_method()
    reference = text(200)


class RefundPartSchema(Schema):
    payment_id = Id()
    payment_number = fields.String(attribute="payment.number")
    amount = money(minimum=None)


class RefundSchema(Schema):
    id = Id()
    number = fields.String()
    customer_id = Id()
    amount = money(minimum=None)
    date = Date(attribute="refund_date")
    method = fields.String()
    reference = fields.String(allow_none=True)
    reverses_id = Id(allow_none=True)
    created_at = DateTime()
    parts = fields.List(fields.Nested(RefundPartSchema))


class CustomerRefundsSchema(Schema):
    customer_id = Id()
    unapplied_credit = money()
    items = fields.List(fields.Nested(RefundSchema))


class AgingRowSchema(Schema):
    customer_id = Int(minimum=0, metadata={"description": "0 in the totals row"})
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
    as_of = Date()
    items = fields.List(fields.Nested(AgingRowSchema))
    totals = fields.Nested(AgingRowSchema)


class SummaryOrderSchema(Schema):
    id = Id()
    number = fields.String()
    state = fields.String()
    total = money()
    shipment_status = fields.String()
    invoice_status = fields.String()
    invoiced_amount = money()
    paid_amount = money()
    payment_status = fields.String()


class CustomerSummarySchema(Schema):
    customer_id = Id()
    receivable = money()
    unbilled = money()
    exposure = money()
    credit_limit = money()
    available_credit = money(allow_none=True, minimum=None)
    credit_hold = fields.Boolean()
    overdue = money()
    unapplied_credit = money()
    orders = fields.List(fields.Nested(SummaryOrderSchema))

