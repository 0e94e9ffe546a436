"""Credit note schemas: shape only. Money travels as strings. (A refund pays back unapplied credit,
which lives on the payments: its schemas are the payments', in `finance.schemas`, below invoicing.)

What a credit note line must give depends on the kind (a returned quantity, or an untaxed amount off
the price), so that rule is the schema's too; the credit note service loads its input through
`CreateCreditNoteSchema` as the page and the API do, since tests and scripts call it with plain dicts."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.schemas import Date, DateTime, Id, Int, StrictInputSchema, money, qty, text

RETURNED_QTY = "Give the quantity returned, more than zero."
CREDITED_AMOUNT = "Give the untaxed amount to credit, more than zero, with at most two decimals."


class CreditLineInputSchema(StrictInputSchema):
    invoice_line_id = Id(required=True)
    qty = qty(load_default=None, allow_none=True, minimum=None,
              error_messages={key: RETURNED_QTY for key in ("invalid", "special", "places", "too_large")},
              validate=[validate.Range(min=Decimal(0), min_inclusive=False, error=RETURNED_QTY)],
              metadata={"description": "returned quantity (kind `return`)"})
    amount = money(load_default=None, allow_none=True, minimum=None,
                   error_messages={key: CREDITED_AMOUNT for key in ("invalid", "special", "places", "too_large")},
                   validate=[validate.Range(min=Decimal(0), min_inclusive=False, error=CREDITED_AMOUNT)],
                   metadata={"description": "untaxed amount off the line (kind `price_correction`)"})


class CreateCreditNoteSchema(StrictInputSchema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["return", "price_correction"], error="The kind is one of return, price_correction."))
    lines = fields.List(fields.Nested(CreditLineInputSchema), load_default=list)
    full = fields.Boolean(load_default=False, metadata={"description": "credit everything left (cancels the invoice)"})
    credit_date = Date(load_default=None)
    reason = text(2000)
    restock = fields.Boolean(load_default=True, metadata={"description": "returned goods come back into stock"})
    warehouse_id = Id(load_default=None, allow_none=True,
                      metadata={"description": "where returned goods go (the order's warehouse)"})

    @validates_schema
    def _lines_give_what_the_kind_credits(self, data, **_kwargs):
        """A return names the quantity returned per line; a price correction the untaxed amount."""
        wanted, message = ("qty", RETURNED_QTY) if data.get("kind") == "return" else ("amount", CREDITED_AMOUNT)
        missing = {str(index): {wanted: [message]} for index, line in enumerate(data.get("lines") or [])
                   if line.get(wanted) is None}
        if missing and not data.get("full"):
            raise ValidationError({"lines": missing})


class CreditNoteLineSchema(Schema):
    id = Id()
    position = Int()
    invoice_line_id = Id()
    product_id = Id(allow_none=True)
    qty = qty()
    untaxed = money()
    tax = money()
    total = money()
    restocked = fields.Boolean()


class CreditNoteSchema(Schema):
    id = Id()
    number = fields.String()
    invoice_id = Id()
    invoice_number = fields.String(attribute="invoice.number")
    customer_id = Id()
    sales_order_id = Id(allow_none=True)
    kind = fields.String()
    credit_date = Date()
    reason = fields.String(allow_none=True)
    warehouse_id = Id(allow_none=True)
    untaxed = money()
    tax = money()
    total = money()
    to_unapplied_credit = money()
    invoice_state = fields.String(attribute="invoice.state")
    invoice_open_amount = money(attribute="invoice.open_amount")
    created_at = DateTime()
    lines = fields.List(fields.Nested(CreditNoteLineSchema))

