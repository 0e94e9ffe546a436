"""The query arguments of the reports: shape only. A range of days, the dimensions to group by and one
value per filtered dimension; bad input is a 422 naming the field."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from core.schemas import Date, Id, Int, Text
from reports.cube import DIMENSIONS, MEASURES

MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def check_month(value: str) -> None:
    if not MONTH.match(value or ""):
        raise ValidationError(str(_l("Use a month as YYYY-MM.")))


class PeriodArgs(Schema):
    """A range of days (both optional: the last twelve months up to today)."""

    date_from = Date(load_default=None)
    date_to = Date(load_default=None)

    @validates_schema
    def _ordered(self, data, **_kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(str(_l("The first day comes after the last day.")), "date_from")


class SalesArgs(PeriodArgs):
    by = Text(load_default="", metadata={"description": "comma-separated dimensions: " + ", ".join(DIMENSIONS)})
    source = Text(validate=validate.Length(max=80))
    tier = Text(validate=validate.Length(max=10))
    region = Text(validate=validate.Length(max=80))
    rep = Id(metadata={"description": "the id of a sales rep"})
    team = Text(validate=validate.Length(max=80))
    product_line = Text(validate=validate.Length(max=40))
    month = Text(validate=check_month, metadata={"description": "YYYY-MM"})

    @validates("by")
    def _known_dimensions(self, value: str, **_kwargs) -> None:
        unknown = [name for name in _names(value) if name not in DIMENSIONS]
        if unknown:
            raise ValidationError(str(_l("Unknown dimension: %(names)s. Use %(known)s.", names=", ".join(unknown),
                                         known=", ".join(DIMENSIONS))))


class SalesLinesArgs(SalesArgs):
    measure = Text(required=True, validate=validate.OneOf([m for m in MEASURES if m != "orders"], error=str(
        _l("Unknown measure. Use booked, shipped, cost, margin, invoiced or collected."))))
    page = Int(load_default=1, validate=validate.Range(min=1))
    per_page = Int(load_default=25, validate=validate.Range(min=1, max=200))


def _names(value: str) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def by_dimensions(value: str) -> tuple[str, ...]:
    """The `by` argument as dimension names, each once, in the order given."""
    return tuple(dict.fromkeys(_names(value)))


SalesRowSchema = Schema.from_dict({
    **{name: fields.Raw(allow_none=True) for name in ("source", "tier", "region", "team", "product_line", "month")},
    "rep_id": fields.Integer(allow_none=True), "rep_name": fields.String(allow_none=True),
    "orders": fields.Integer(),
    **{name: fields.Decimal(as_string=True) for name in MEASURES if name != "orders"},
}, name="SalesRowSchema")


class SalesReportSchema(Schema):
    rows = fields.List(fields.Nested(SalesRowSchema))
    totals = fields.Nested(SalesRowSchema)
    as_of = fields.DateTime()


class SalesLineSchema(Schema):
    document = fields.String()
    number = fields.String()
    date = fields.Date()
    customer_id = fields.Integer()
    product_id = fields.Integer(allow_none=True)
    measure = fields.String()
    amount = fields.Decimal(as_string=True)


class RefreshSchema(Schema):
    rolled_up = fields.Integer()
    as_of = fields.DateTime()
