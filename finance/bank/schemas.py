"""Bank reconciliation schemas: shape only. Money travels as strings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.schemas import StrictInputSchema, money, text
from finance.bank.models import MAPPING_FIELDS, LineState


class MappingSchema(StrictInputSchema):
    """The CSV column (its header text) of each field; `amount` (signed) or `credit`/`debit`."""

    date = text(80, metadata={"description": "column of the booking date"})
    amount = text(80, metadata={"description": "column of the signed amount (money in positive)"})
    credit = text(80, metadata={"description": "column of money in"})
    debit = text(80, metadata={"description": "column of money out"})
    reference = text(80, metadata={"description": "column of the memo or reference"})
    counterparty = text(80, metadata={"description": "column of the payer's name"})
    line_id = text(80, metadata={"description": "column of the bank's own line id (optional)"})
    currency = text(80, metadata={"description": "column of the currency (optional)"})


assert set(MappingSchema._declared_fields) == set(MAPPING_FIELDS)


class BankAccountInputSchema(StrictInputSchema):
    name = text(120)
    account_number = text(60)
    currency = fields.String(metadata={"description": "CNY (the only currency kept)"})
    mapping = fields.Nested(MappingSchema)
    date_format = text(40, metadata={"description": "strptime format, e.g. %Y-%m-%d or %d/%m/%Y"})
    decimal_separator = fields.String(validate=validate.OneOf([".", ","]))
    active = fields.Boolean()


class BankAccountSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    account_number = fields.String()
    currency = fields.String()
    mapping = fields.Dict(keys=fields.String(), values=fields.String())
    date_format = fields.String()
    decimal_separator = fields.String()
    active = fields.Boolean()


class BankStatementSchema(Schema):
    id = fields.Integer()
    bank_account_id = fields.Integer()
    filename = fields.String()
    file_hash = fields.String()
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    line_count = fields.Integer()
    skipped_count = fields.Integer()
    imported_by_id = fields.Integer(allow_none=True)
    imported_at = fields.DateTime()


class StatementLineSchema(Schema):
    id = fields.Integer()
    statement_id = fields.Integer()
    row_number = fields.Integer(metadata={"description": "the line's row in the file (the header row counts)"})
    date = fields.Date(attribute="line_date")
    amount = money(minimum=None)
    reference = fields.String()
    counterparty = fields.String()
    bank_line_id = fields.String(allow_none=True)
    state = fields.String(metadata={"description": ", ".join(s.value for s in LineState)})
    rule = fields.String(allow_none=True, metadata={
        "description": "why it matched: payment, invoice_number, amount_and_name, name or amount"})
    customer_id = fields.Integer(allow_none=True)
    invoice_ids = fields.List(fields.Integer())
    invoice_numbers = fields.List(fields.String())
    payment_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    reconciled_at = fields.DateTime(allow_none=True)


class ImportQuerySchema(Schema):
    bank_account_id = fields.Integer(required=True, metadata={"description": "the account the statement is of"})


class StatementImportSchema(Schema):
    statement = fields.Nested(BankStatementSchema, allow_none=True)
    created = fields.Boolean(metadata={"description": "false: every line was imported before; nothing new"})
    imported = fields.Integer()
    skipped = fields.Integer(metadata={"description": "lines of the file imported before"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    matched = fields.List(fields.Nested(StatementLineSchema))
    suggested = fields.List(fields.Nested(StatementLineSchema))
    unmatched = fields.List(fields.Nested(StatementLineSchema))


class RematchSchema(Schema):
    examined = fields.Integer(metadata={"description": "the statement's unmatched and suggested lines matched again"})
    changed = fields.Integer(metadata={"description": "lines whose state, candidates or customer changed"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "the examined lines by their new state: matched, suggested, unmatched"})


class ConfirmLineSchema(StrictInputSchema):
    invoice_ids = fields.List(fields.Integer(), load_default=None, metadata={
        "description": "the invoices to pay, in order (default: what the line matched)"})


class SplitPartSchema(StrictInputSchema):
    invoice_id = fields.Integer()
    invoice_number = fields.String()
    amount = money(required=True, minimum=None)


class SplitLineSchema(StrictInputSchema):
    allocations = fields.List(fields.Nested(SplitPartSchema), required=True)


class PaymentFromLineSchema(StrictInputSchema):
    customer_id = fields.Integer(required=True)


class IgnoreLineSchema(StrictInputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500,
                                                                   error="Give a reason of 1 to 500 characters."))
