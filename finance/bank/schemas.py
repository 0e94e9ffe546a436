"""Bank reconciliation schemas: shape only. Money travels as strings.

A bank account's rules (a CNY account, a mapping that names the date and the amount columns, a date
format that reads day, month and year) are written here once; the bank account service loads its
input through these schemas too (`CreateBankAccountSchema` for a new account, which must name
everything), since tests and the demo create accounts with plain dicts."""

from __future__ import annotations

from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.schemas import Date, DateTime, Id, Int, StrictInputSchema, money, text
from finance.bank.models import DEFAULT_CURRENCY, MAPPING_FIELDS, LineState
from finance.schemas import allocated_amount, reason_text


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


def mapping_problems(mapping: dict) -> list[str]:
    """What is wrong with a column mapping (its blank columns left out): the date column is named, and
    either one amount column or the credit/debit columns, each field in a column of its own."""
    columns = {k: v.strip() for k, v in mapping.items() if v and v.strip()}
    problems = []
    if "date" not in columns:
        problems.append("Name the column of the date.")
    if "amount" not in columns and not ("credit" in columns or "debit" in columns):
        problems.append("Name the column of the amount, or the columns of money in (credit) and out (debit).")
    if "amount" in columns and ("credit" in columns or "debit" in columns):
        problems.append("Name either one amount column or credit and debit columns, not both.")
    if len(set(columns.values())) != len(columns):
        problems.append("Each field needs a column of its own.")
    return problems


def _filled(value: str) -> None:
    if not value.strip():
        raise ValidationError("Required.")


def _account_text(limit: int, *, required: bool = False) -> fields.String:
    """A name or number of the account: not blank, at most `limit` characters."""
    return fields.String(required=required, validate=[_filled, validate.Length(
        max=limit, error="Use at most {max} characters.")], error_messages={"null": "Required.", "required": "Required."})


def _cny(value: str) -> None:
    if value.strip() and value.strip().upper() != DEFAULT_CURRENCY:
        raise ValidationError(f"Only {DEFAULT_CURRENCY} accounts are kept: invoices and payments are in "
                              f"{DEFAULT_CURRENCY}.")


def _reads_dates(fmt: str) -> None:
    """A blank format is the default; any other must write and read back a day, month and year."""
    fmt = fmt.strip()
    if not fmt:
        return
    try:
        parsed = datetime.strptime(date(2026, 3, 1).strftime(fmt), fmt).date()
    except ValueError:
        parsed = None
    if "%" not in fmt or parsed != date(2026, 3, 1):
        raise ValidationError("A date format such as %Y-%m-%d, %Y/%m/%d or %Y%m%d (day, month and year).")


class BankAccountInputSchema(StrictInputSchema):
    """A bank account's fields; what is named is checked (a change names only what changes)."""

    name = _account_text(120)
    account_number = _account_text(60)
    currency = fields.String(allow_none=True, validate=_cny,
                             metadata={"description": "CNY (the only currency kept)"})
    mapping = fields.Nested(MappingSchema)
    date_format = text(40, validate=[_reads_dates],
                       metadata={"description": "strptime format, e.g. %Y-%m-%d or %d/%m/%Y"})
    decimal_separator = fields.String(validate=validate.OneOf([".", ","], error="The decimal separator is . or ,"))
    active = fields.Boolean()

    @validates_schema(skip_on_field_errors=False)
    def _mapping_names_its_columns(self, data, **_kwargs):
        if "mapping" in data:
            problems = mapping_problems(data["mapping"] or {})
            if problems:
                raise ValidationError(problems, field_name="mapping")


class CreateBankAccountSchema(BankAccountInputSchema):
    """A new bank account: its name, number and column mapping must be given."""

    name = _account_text(120, required=True)
    account_number = _account_text(60, required=True)
    mapping = fields.Nested(MappingSchema, load_default=dict)


class BankAccountSchema(Schema):
    id = Id()
    name = fields.String()
    account_number = fields.String()
    currency = fields.String()
    mapping = fields.Dict(keys=fields.String(), values=fields.String())
    date_format = fields.String()
    decimal_separator = fields.String()
    active = fields.Boolean()


class BankStatementSchema(Schema):
    id = Id()
    bank_account_id = Id()
    filename = fields.String()
    file_hash = fields.String()
    period_start = Date(allow_none=True)
    period_end = Date(allow_none=True)
    line_count = Int()
    skipped_count = Int()
    imported_by_id = Id(allow_none=True)
    imported_at = DateTime()


class StatementLineSchema(Schema):
    id = Id()
    statement_id = Id()
    row_number = Int(metadata={"description": "the line's row in the file (the header row counts)"})
    date = Date(attribute="line_date")
    amount = money(minimum=None)
    reference = fields.String()
    counterparty = fields.String()
    bank_line_id = fields.String(allow_none=True)
    state = fields.String(metadata={"description": ", ".join(s.value for s in LineState)})
    rule = fields.String(allow_none=True, metadata={
        "description": "why it matched: payment, invoice_number, amount_and_name, name or amount"})
    customer_id = Id(allow_none=True)
    invoice_ids = fields.List(Id())
    invoice_numbers = fields.List(fields.String())
    payment_id = Id(allow_none=True)
    note = fields.String(allow_none=True)
    reconciled_at = DateTime(allow_none=True)


class ImportQuerySchema(Schema):
    bank_account_id = Id(required=True, metadata={"description": "the account the statement is of"})


class StatementImportSchema(Schema):
    statement = fields.Nested(BankStatementSchema, allow_none=True)
    created = fields.Boolean(metadata={"description": "false: every line was imported before; nothing new"})
    imported = Int()
    skipped = Int(metadata={"description": "lines of the file imported before"})
    counts = fields.Dict(keys=fields.String(), values=Int())
    matched = fields.List(fields.Nested(StatementLineSchema))
    suggested = fields.List(fields.Nested(StatementLineSchema))
    unmatched = fields.List(fields.Nested(StatementLineSchema))


class RematchSchema(Schema):
    examined = Int(metadata={"description": "the statement's unmatched and suggested lines matched again"})
    changed = Int(metadata={"description": "lines whose state, candidates or customer changed"})
    counts = fields.Dict(keys=fields.String(), values=Int(), metadata={
        "description": "the examined lines by their new state: matched, suggested, unmatched"})


class ConfirmLineSchema(StrictInputSchema):
    invoice_ids = fields.List(Id(), load_default=None, metadata={
        "description": "the invoices to pay, in order (default: what the line matched)"})


class SplitPartSchema(StrictInputSchema):
    """One invoice a bank line pays (by id, or by the number on it) and how much of it."""

    invoice_id = Id()
    invoice_number = fields.String()
    amount = allocated_amount()

    @validates_schema
    def _names_an_invoice(self, data, **_kwargs):
        if not data.get("invoice_id") and not (data.get("invoice_number") or "").strip():
            raise ValidationError("Required.", field_name="invoice_number")


class SplitLineSchema(StrictInputSchema):
    allocations = fields.List(fields.Nested(SplitPartSchema), required=True)


class PaymentFromLineSchema(StrictInputSchema):
    customer_id = Id(required=True, error_messages={"required": "Required.", "null": "Required."})


class IgnoreLineSchema(StrictInputSchema):
    reason = reason_text(500, "Say why the line is ignored (at most 500 characters).")
