"""Marshmallow schemas of the shared master data: shape only, no database lookups.

Decimals travel as strings (`"12.50"`); input also accepts numbers. The same
input schemas validate API bodies, web forms and import rows."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, fields, validate

from core.models import LifecycleStage, ProductKind, Role, Tier

# The database's INTEGER: every id and every whole number a schema loads fits it, so a number beyond it
# is the client's error (422), never the database's (500).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Dates a schema accepts: wide enough for any business date, narrow enough that a derived date (a due
# date, a schedule, a reminder, an aging bucket) never leaves what Python and the database can hold.
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(9000, 12, 31)

_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
# A decimal as typed: digits, at most one point, no exponent, no thousands separator or underscore
# (Python's Decimal would read "1_000" as 1000, and "1,50" once became 150).
_DECIMAL_TEXT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


def parse_int(text: str) -> int:
    """A whole number typed as text (a query string, a form): digits with an optional sign, within the
    database's INTEGER; anything else is a ValueError, as `int()` would raise for "abc"."""
    text = str(text).strip()
    if not _INTEGER_TEXT.match(text):
        raise ValueError(f"not a whole number: {text[:40]!r}")
    value = int(text) if len(text) <= 12 else INT_MAX + 1  # never converts a thousand digits
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(f"beyond the database's INTEGER: {text[:40]!r}")
    return value


class Int(fields.Integer):
    """A whole number within the database's INTEGER (or the narrower `minimum`/`maximum`).

    Strict about what counts as whole: a JSON integer, a float with nothing after the point, or text of
    digits with an optional sign (forms and query strings send text). "1.5", 1.5, "1_000", "1,000" and
    booleans are refused, where marshmallow's Integer would truncate 1.5 to 1 and read "1_000" as 1000."""

    default_error_messages = {"invalid": "Not a valid integer.",
                              "range": "Must be between {min} and {max}."}

    def __init__(self, *, minimum: int = INT_MIN, maximum: int = INT_MAX, **kwargs):
        if not INT_MIN <= minimum <= maximum <= INT_MAX:
            raise ValueError("An Int's bounds lie within the database's INTEGER.")
        self.minimum, self.maximum = minimum, maximum
        super().__init__(**kwargs)
        # Documented (OpenAPI minimum/maximum) and checked after the field's own validators.
        self.validators.insert(0, validate.Range(min=minimum, max=maximum, error=self.error_messages["range"]))

    def _validated(self, value) -> int:
        if value is True or value is False or (self.strict and not isinstance(value, numbers.Integral)):
            raise self.make_error("invalid", input=value)
        if isinstance(value, str):
            text = value.strip()
            if not _INTEGER_TEXT.match(text):
                raise self.make_error("invalid", input=value)
            value = int(text) if len(text) <= 12 else (INT_MAX + 1 if text[0] != "-" else INT_MIN - 1)
        elif isinstance(value, float | Decimal):  # JSON reads 1.5 as a Decimal here, 1e400 too
            finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
            if not finite or (self.minimum <= value <= self.maximum and value != int(value)):
                raise self.make_error("invalid", input=value)
        elif not isinstance(value, numbers.Integral):
            raise self.make_error("invalid", input=value)
        if not self.minimum <= value <= self.maximum:  # compared before any conversion of a huge number
            raise self.make_error("range", min=self.minimum, max=self.maximum)
        return int(value)


class Id(Int):
    """The id of a record: a positive INTEGER. Every schema's id fields (`id`, `*_id`, `*_ids`) are of
    this type, so an id beyond the database's range is 422 like any unknown id, never a 500."""

    default_error_messages = {"range": "Not a valid id."}

    def __init__(self, **kwargs):
        super().__init__(minimum=1, maximum=INT_MAX, **kwargs)


class Date(fields.Date):
    """A calendar date between DATE_MIN and DATE_MAX."""

    default_error_messages = {"range": "Use a date between {min} and {max}."}

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not DATE_MIN <= day <= DATE_MAX:
            raise self.make_error("range", min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
        return day


class DateTime(fields.DateTime):
    """A moment whose date lies between DATE_MIN and DATE_MAX, so adding days or a time zone to it
    cannot overflow."""

    default_error_messages = {"range": "Use a date between {min} and {max}."}

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not DATE_MIN <= moment.date() <= DATE_MAX:
            raise self.make_error("range", min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
        return moment


class AwareDateTime(fields.AwareDateTime):
    """A moment with a time zone (`DateTime`'s bounds apply)."""

    default_error_messages = {"range": "Use a date between {min} and {max}."}

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not DATE_MIN <= moment.date() <= DATE_MAX:
            raise self.make_error("range", min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
        return moment


class DecimalText(fields.Decimal):
    """A decimal with at most `places` decimals, carried as a string in JSON. Its messages can be
    worded per field through `error_messages` (`invalid`, `places`, `too_large`, `required`, `null`).

    The one parser of typed decimals, for the API and the web forms alike: text is digits with at most
    one point and an optional sign ("1,50", "1_000", "1e3" are refused, never read as 150, 1000 or
    1000.00); a JSON number is read exactly. A locale-aware reading of what a page shows ("14,209.75")
    belongs here, so that both ways in change together."""

    default_error_messages = {"places": "Use at most {places} decimal places.", "too_large": "The number is too large."}

    def __init__(self, places: int, *, minimum: int | None = 0, integer_digits: int = 14, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        if minimum is not None:
            validators.append(validate.Range(min=minimum, error="Must be at least {min}."))
        super().__init__(as_string=True, allow_nan=False, validate=validators, **kwargs)
        self.max_places = places
        self.integer_digits = integer_digits

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = value.strip()
            if not _DECIMAL_TEXT.match(value):
                raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if number.as_tuple().exponent < -self.max_places and number != number.quantize(Decimal(1).scaleb(-self.max_places)):
            raise self.make_error("places", places=self.max_places)
        if number and number.adjusted() >= self.integer_digits:  # abs(number) >= 10**digits, without overflow
            raise self.make_error("too_large")
        return number.quantize(Decimal(1).scaleb(-self.max_places))

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(Decimal(value).quantize(Decimal(1).scaleb(-self.max_places)))


def money(**kwargs) -> DecimalText:
    return DecimalText(2, **kwargs)


def price(**kwargs) -> DecimalText:
    return DecimalText(4, **kwargs)


def qty(**kwargs) -> DecimalText:
    return DecimalText(4, **kwargs)


class Text(fields.String):
    """Text with the blanks around it removed before it is checked and kept: "  " is empty."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def text(max_len: int, *, required: bool = False, allow_none: bool = True, **kwargs) -> fields.String:
    checks = [validate.Length(max=max_len, error="Use at most {max} characters.")] + list(kwargs.pop("validate", []))
    if required:
        checks.append(validate.Length(min=1, error="This field may not be empty."))
    return fields.String(required=required, allow_none=allow_none and not required, validate=checks, **kwargs)


def choice(values, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf([str(v) for v in values]), **kwargs)


class InputSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # web forms carry csrf tokens and buttons


class StrictInputSchema(Schema):
    """API bodies: an unknown field is an error, not silently dropped."""


# --------------------------------------------------------------------------- customers

class CustomerSchema(Schema):
    id = Id(dump_only=True)
    code = fields.String()
    name = fields.String()
    tax_id = fields.String(allow_none=True)
    tier = fields.String()
    tags = fields.List(fields.String())
    region = fields.String(allow_none=True)
    owner_id = Id(allow_none=True)
    owner_name = fields.Function(lambda c: c.owner.display_name if c.owner else None)
    credit_limit = money()
    payment_terms_days = Int()
    credit_hold = fields.Boolean()
    lifecycle_stage = fields.String()
    source = fields.String(metadata={"description": "acquisition source code (`direct` when entered by hand)"})
    industry = fields.String(allow_none=True)
    currency = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = DateTime()


def _customer_fields(required: bool) -> dict:
    return {
        "code": text(40, required=required, validate=[validate.Regexp(r"^[A-Za-z0-9._-]+$", error="Use letters, digits, dot, dash or underscore.")]),
        "name": text(200, required=required),
        "tax_id": text(40),
        "tier": choice(list(Tier)),
        "tags": fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20)),
        "region": text(80),
        "owner_id": Id(allow_none=True, strict=False),
        "credit_limit": money(),
        "payment_terms_days": Int(validate=validate.Range(min=0, max=365)),
        "credit_hold": fields.Boolean(),
        "lifecycle_stage": choice(list(LifecycleStage)),
        "source": text(80, allow_none=False, metadata={
            "description": "acquisition source: one of the pick list (direct, website, trade_show, referral, "
                           "b2b_marketplace, cold_call, advertising, social_media, partner) or one already in use; "
                           "`direct` when left out"}),
        "industry": text(80),
        "currency": text(3, validate=[validate.Length(equal=3)]),
        "email": fields.Email(allow_none=True, validate=validate.Length(max=200)),
        "phone": text(40),
        "active": fields.Boolean(),
    }


CreateCustomerSchema = StrictInputSchema.from_dict(_customer_fields(True), name="CreateCustomerSchema")
UpdateCustomerSchema = StrictInputSchema.from_dict(_customer_fields(False), name="UpdateCustomerSchema")
CustomerFormSchema = InputSchema.from_dict(_customer_fields(True), name="CustomerFormSchema")


# --------------------------------------------------------------------------- suppliers

class SupplierSchema(Schema):
    id = Id(dump_only=True)
    code = fields.String()
    name = fields.String()
    tax_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    payment_terms_days = Int()
    currency = fields.String()
    active = fields.Boolean()


def _supplier_fields(required: bool) -> dict:
    return {
        "code": text(40, required=required, validate=[validate.Regexp(r"^[A-Za-z0-9._-]+$", error="Use letters, digits, dot, dash or underscore.")]),
        "name": text(200, required=required),
        "tax_id": text(40),
        "email": fields.Email(allow_none=True, validate=validate.Length(max=200)),
        "phone": text(40),
        "payment_terms_days": Int(validate=validate.Range(min=0, max=365)),
        "currency": text(3, validate=[validate.Length(equal=3)]),
        "active": fields.Boolean(),
    }


CreateSupplierSchema = StrictInputSchema.from_dict(_supplier_fields(True), name="CreateSupplierSchema")
UpdateSupplierSchema = StrictInputSchema.from_dict(_supplier_fields(False), name="UpdateSupplierSchema")
SupplierFormSchema = InputSchema.from_dict(_supplier_fields(True), name="SupplierFormSchema")


# --------------------------------------------------------------------------- products

class ProductSchema(Schema):
    id = Id(dump_only=True)
    sku = fields.String()
    name = fields.String()
    kind = fields.String()
    uom = fields.String()
    list_price = price()
    standard_cost = price()
    tax_rate = DecimalText(4)
    lead_time_days = Int()
    default_supplier_id = Id(allow_none=True)
    min_order_qty = qty()
    product_line = fields.String(allow_none=True, metadata={"description": "code of the product's product line"})
    active = fields.Boolean()
    description = fields.String(allow_none=True)


def _product_fields(required: bool) -> dict:
    return {
        "sku": text(40, required=required, validate=[validate.Regexp(r"^[A-Za-z0-9._/-]+$", error="Use letters, digits, dot, slash, dash or underscore.")]),
        "name": text(200, required=required),
        "kind": choice(list(ProductKind), required=required),
        "uom": text(10),
        "list_price": price(),
        "standard_cost": price(),
        "tax_rate": DecimalText(4, validate=[validate.Range(max=1, error="A tax rate is a fraction between 0 and 1.")]),
        "lead_time_days": Int(validate=validate.Range(min=0, max=3650)),
        "default_supplier_id": Id(allow_none=True),
        "min_order_qty": qty(),
        "product_line": text(40, metadata={"description": "code of a product line (`GET /product-lines`)"}),
        "active": fields.Boolean(),
        "description": text(4000),
    }


CreateProductSchema = StrictInputSchema.from_dict(_product_fields(True), name="CreateProductSchema")
UpdateProductSchema = StrictInputSchema.from_dict(_product_fields(False), name="UpdateProductSchema")
ProductFormSchema = InputSchema.from_dict(_product_fields(True), name="ProductFormSchema")


class ProductLineSchema(Schema):
    id = Id(dump_only=True)
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    active = fields.Boolean()


def _product_line_fields(required: bool) -> dict:
    return {
        "code": text(40, required=required, validate=[validate.Regexp(r"^[A-Za-z0-9._-]+$", error="Use letters, digits, dot, dash or underscore.")]),
        "name": text(200, required=required),
        "name_zh": text(200, allow_none=False, metadata={"description": "the Chinese name (empty: the name)"}),
        "active": fields.Boolean(),
    }


CreateProductLineSchema = StrictInputSchema.from_dict(_product_line_fields(True), name="CreateProductLineSchema")
UpdateProductLineSchema = StrictInputSchema.from_dict(
    {k: v for k, v in _product_line_fields(False).items() if k != "code"}, name="UpdateProductLineSchema")
ProductLineFormSchema = InputSchema.from_dict(_product_line_fields(True), name="ProductLineFormSchema")


# --------------------------------------------------------------------------- warehouses, users, audit

class WarehouseSchema(Schema):
    id = Id(dump_only=True)
    code = fields.String()
    name = fields.String()
    is_default = fields.Boolean()


class CreateWarehouseSchema(StrictInputSchema):
    code = text(40, required=True)
    name = text(200, required=True)
    is_default = fields.Boolean()


class CreateUserSchema(StrictInputSchema):
    username = text(80, required=True, validate=[validate.Regexp(r"^[A-Za-z0-9._-]+$", error="Use letters, digits, dot, dash or underscore.")])
    password = fields.String(required=True, load_only=True)  # the service applies the password policy
    role = choice(list(Role), required=True)
    full_name = text(200)
    email = text(200)
    team = text(80)


class AuditEntrySchema(Schema):
    id = Id()
    at = DateTime()
    user_id = Id(allow_none=True)
    username = fields.Function(lambda e: e.user.username if e.user else None)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    changes = fields.Dict()
    note = fields.String(allow_none=True)
