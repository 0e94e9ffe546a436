"""Payment plan schemas: shape only. Money travels as strings.

Each installment's own rules (a percentage or an amount, their ranges, a known trigger, a date for
`on_date`, days 0 to 365) are the schema's; whether the installments make the order total needs the
order, so the plans service checks that. The plan form, the API and the service load their input
through `SetPaymentPlanSchema`."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.schemas import Date, DecimalText, Id, Int, StrictInputSchema, money, text
from finance.plans.models import InstallmentTrigger

TRIGGERS = [t.value for t in InstallmentTrigger]


class InstallmentInputSchema(StrictInputSchema):
    """One installment as typed: a percentage of the order total or an amount, and when it is due.
    Whether the installments make the order total needs the order: the plans service checks that."""

    label = text(80)
    percent = DecimalText(4, load_default=None, allow_none=True, minimum=None, integer_digits=3, validate=[
        validate.Range(min=Decimal(0), max=Decimal(100), min_inclusive=False,
                       error="A percentage is more than 0 and at most 100.")],
        metadata={"description": "a share of the order total, in percent (`30` for 30%)"})
    amount = money(load_default=None, allow_none=True, minimum=None, validate=[
        validate.Range(min=Decimal(0), min_inclusive=False, error="An amount must be more than 0.")])
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS, error=f"Choose one of {', '.join(TRIGGERS)}."),
                            metadata={"description": "on_confirmation, on_delivery (fully shipped), after_acceptance "
                                                     "or on_date"})
    days_after = Int(load_default=0, validate=validate.Range(
        min=0, max=365, error="Days after the trigger go from 0 to 365."),
        metadata={"description": "payment is due this many days after"})
    due_date = Date(load_default=None, allow_none=True, metadata={"description": "the date of `on_date`"})

    @validates_schema
    def _one_share_and_its_date(self, data, **_kwargs):
        errors = {}
        if (data.get("percent") is None) == (data.get("amount") is None):
            errors["percent"] = ["Give either a percentage of the order total or an amount."]
        if data.get("trigger") == InstallmentTrigger.ON_DATE and data.get("due_date") is None:
            errors["due_date"] = ["An installment on a fixed date needs that date."]
        if errors:
            raise ValidationError(errors)


class SetPaymentPlanSchema(StrictInputSchema):
    template = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "30/60/10, 30/70, 50/50 or 100/delivery (without installments)"})
    installments = fields.List(fields.Nested(InstallmentInputSchema), load_default=None)


class AcceptOrderSchema(StrictInputSchema):
    accepted_on = Date(load_default=None)


class InstallmentSchema(Schema):
    id = Id()
    position = Int()
    label = fields.String()
    percent = fields.Decimal(as_string=True, allow_none=True)
    amount = money()
    trigger = fields.String()
    days_after = Int()
    fixed_date = Date(allow_none=True)
    triggered_on = Date(allow_none=True)
    due_date = Date(allow_none=True)
    invoice_id = Id(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    status = fields.String()
    paid_amount = money()
    open_amount = money()
    overdue = fields.Boolean()
    sales_order_id = Id()
    order_number = fields.String()
    customer_name = fields.String()


class PaymentPlanSchema(Schema):
    sales_order_id = Id()
    order_number = fields.String()
    order_total = money()
    template = fields.String(allow_none=True)
    accepted_on = Date(allow_none=True)
    installments = fields.List(fields.Nested(InstallmentSchema))
