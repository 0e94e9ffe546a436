"""Lead, opportunity and activity schemas: shape only. Decimals travel as strings."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.schemas import (
    Date,
    DateTime,
    DecimalText,
    Id,
    InputSchema,
    Int,
    StrictInputSchema,
    Text,
    money,
    text,
)
from crm.leads import scoring
from crm.leads.matching import normalize_phone
from crm.leads.models import BehaviourEvent
from crm.pipeline.models import LostReason


def email_address(value: str | None) -> None:
    """An e-mail address that looks like one (something@domain.tld); blank means none."""
    address = (value or "").strip()
    if address and ("@" not in address or "." not in address.split("@")[-1]):
        raise ValidationError("Not a valid e-mail address.")


def phone_number(value: str | None) -> None:
    """A phone number with at least six digits once its spaces, dashes and prefix are gone."""
    if value and len(normalize_phone(value) or "") < 6:
        raise ValidationError("Not a valid phone number.")


class CaptureLeadSchema(StrictInputSchema):
    """A lead as captured (API, public form, import row): whom it is about (a company or a contact name)
    and how to reach them (a phone number or an e-mail address)."""

    company = text(200)
    contact_name = text(200)
    title = text(120)
    phone = text(40, validate=[phone_number])
    email = text(200, validate=[email_address])
    industry = text(80)
    region = text(80)
    company_size = Int(allow_none=True, strict=False, validate=validate.Range(min=0, max=10_000_000))
    note = text(4000)
    channel = text(80)
    utm_source = text(120)
    utm_medium = text(120)
    utm_campaign = text(120)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _reachable(self, _data, original, **_kwargs):
        def given(key: str) -> bool:  # as sent: a field refused for its shape still counts as given
            return bool(str(original.get(key) or "").strip()) if isinstance(original, dict) else False

        errors: dict[str, list[str]] = {}
        if not given("company") and not given("contact_name"):
            errors["company"] = ["Give the company or the contact name."]
        if not given("phone") and not given("email"):
            errors["phone"] = ["Give a phone number or an e-mail address."]
        if errors:
            raise ValidationError(errors)


class WebFormLeadSchema(CaptureLeadSchema, InputSchema):
    """The public form: unknown fields (the CSRF token, the button) are ignored; `website` is the honeypot."""

    website = fields.String(load_default="")


class LeadEventSchema(StrictInputSchema):
    event = fields.String(required=True, validate=validate.OneOf(
        [e.value for e in BehaviourEvent], error=f"One of {', '.join(e.value for e in BehaviourEvent)}."))


class ConvertLeadSchema(InputSchema):
    name = Text(allow_none=True, validate=validate.Length(max=200),
                metadata={"description": "the new opportunity's name; the customer's and the lead's number if blank"})
    pipeline_id = Id(allow_none=True, strict=False,
                     metadata={"description": "the pipeline of the new opportunity; the default one "
                                                          "if not given"})
    amount = money(allow_none=True)
    expected_close_date = Date(allow_none=True)


class LeadSchema(Schema):
    id = Id()
    number = fields.String()
    company = fields.String()
    contact_name = fields.String()
    title = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    company_size = Int(allow_none=True)
    source = fields.String()
    channel = fields.String(allow_none=True)
    utm_source = fields.String(allow_none=True)
    utm_medium = fields.String(allow_none=True)
    utm_campaign = fields.String(allow_none=True)
    status = fields.String()
    score = Int()
    grade = fields.String()
    owner_id = Id(allow_none=True)
    follow_up_due = DateTime(allow_none=True)
    followed_up_at = DateTime(allow_none=True)
    is_duplicate = fields.Boolean()
    duplicate_of = fields.Method("_duplicate")
    customer_id = Id(allow_none=True)
    contact_id = Id(allow_none=True)
    opportunity_id = Id(allow_none=True)
    created_at = DateTime()

    def _duplicate(self, lead):
        if not lead.is_duplicate:
            return None
        return {"kind": lead.duplicate_kind, "id": lead.duplicate_id, "matched_on": lead.duplicate_on}


class FiredRuleSchema(Schema):
    rule_id = Id(allow_none=True)
    label = fields.String()
    field = fields.String()
    operator = fields.String()
    value = fields.String()
    points = Int()


class ScoreExplanationSchema(Schema):
    lead_id = Id()
    score = Int()
    grade = fields.String()
    thresholds = fields.Dict(keys=fields.String(), values=Int())
    rules = fields.List(fields.Nested(FiredRuleSchema))


class OpportunitySchema(Schema):
    id = Id()
    number = fields.String()
    name = fields.String()
    customer_id = Id()
    customer_name = fields.Function(lambda o: o.customer.name)
    contact_id = Id(allow_none=True)
    lead_id = Id(allow_none=True)
    owner_id = Id(allow_none=True)
    pipeline_id = Id()
    stage_id = Id()
    stage = fields.Function(lambda o: o.stage.code)
    probability = fields.Function(lambda o: str(o.stage.probability.quantize(o.stage.probability.__class__("0.01"))))
    state = fields.String()
    amount = money(allow_none=True)
    budget = money(allow_none=True)
    decision_maker = fields.String(allow_none=True)
    expected_close_date = Date(allow_none=True)
    lost_reason = fields.String(allow_none=True)
    closed_at = DateTime(allow_none=True)
    created_at = DateTime()


class ConvertedLeadSchema(Schema):
    lead = fields.Nested(LeadSchema)
    opportunity = fields.Nested(OpportunitySchema)


class CreateOpportunitySchema(StrictInputSchema):
    customer_id = Id(required=True, strict=False)
    pipeline_id = Id(allow_none=True, strict=False,
                     metadata={"description": "the pipeline to open it in; the default one if not given"})
    contact_id = Id(allow_none=True, strict=False)
    name = Text(required=True, validate=[validate.Length(min=1, error="Give the opportunity a name."),
                                         validate.Length(max=200)],
                error_messages={"required": "Give the opportunity a name.", "null": "Give the opportunity a name."})
    amount = money(allow_none=True)
    budget = money(allow_none=True)
    decision_maker = text(200)
    expected_close_date = Date(allow_none=True)


class UpdateOpportunitySchema(StrictInputSchema):
    contact_id = Id(allow_none=True, strict=False)
    name = text(200)
    amount = money(allow_none=True)
    budget = money(allow_none=True)
    decision_maker = text(200)
    expected_close_date = Date(allow_none=True)


class MoveOpportunitySchema(StrictInputSchema):
    stage_id = Id(strict=False)
    stage = fields.String(metadata={"description": "stage code, instead of stage_id"})
    lost_reason = fields.String(allow_none=True, validate=validate.OneOf([r.value for r in LostReason]))
    lost_note = text(2000)


def _contact_name(*, required: bool) -> Text:
    give = "Give the contact's name."
    return Text(required=required, error_messages={"required": give, "null": give},
                validate=[validate.Length(min=1, error=give), validate.Length(max=200)])


class CreateContactSchema(StrictInputSchema):
    customer_id = Id(required=True, strict=False)
    name = _contact_name(required=True)
    title = text(120)
    phone = text(40)
    email = text(200, validate=[email_address])
    is_primary = fields.Boolean(load_default=False)


class UpdateContactSchema(StrictInputSchema):
    name = _contact_name(required=False)
    title = text(120)
    phone = text(40)
    email = text(200, validate=[email_address], metadata={"description": "empty to clear it"})
    is_primary = fields.Boolean()


class ContactSchema(Schema):
    id = Id()
    customer_id = Id()
    customer_name = fields.Function(lambda c: c.customer.name)
    name = fields.String()
    title = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    is_primary = fields.Boolean()


class ActivitySchema(Schema):
    id = Id()
    kind = fields.String()
    note = fields.String()
    next_step = fields.String(allow_none=True)
    next_step_date = Date(allow_none=True)
    at = DateTime()
    user_id = Id(allow_none=True)
    lead_id = Id(allow_none=True)
    opportunity_id = Id(allow_none=True)
    customer_id = Id(allow_none=True)


EVENTS = [e.value for e in BehaviourEvent]


class CreateScoringRuleSchema(StrictInputSchema):
    label = text(200)
    field = fields.String(required=True, validate=validate.OneOf(
        scoring.RULE_FIELDS, error=f"One of {', '.join(scoring.RULE_FIELDS)}."))
    operator = fields.String(allow_none=True, validate=validate.OneOf(
        scoring.OPERATORS, error=f"One of {', '.join(scoring.OPERATORS)}."),
        metadata={"description": "at_least for company_size, equals for the others when not given"})
    value = text(200, required=True)
    points = Int(required=True, strict=False, validate=validate.Range(min=-1000, max=1000))

    @validates_schema(skip_on_field_errors=False)
    def _value_fits(self, data, **_kwargs):
        """An event rule names a known event; an `at_least` rule a whole number."""
        value = data.get("value")
        if value is None:
            return
        if data.get("field") == "event" and value not in EVENTS:
            raise ValidationError(f"One of {', '.join(EVENTS)}.", "value")
        if (data.get("operator") or scoring.default_operator(data.get("field"))) == "at_least" \
                and not str(value).isdigit():
            raise ValidationError("A whole number.", "value")


class ScoringRuleSchema(Schema):
    id = Id()
    label = fields.String()
    field = fields.String()
    operator = fields.String()
    value = fields.String()
    points = Int()
    active = fields.Boolean()


class CreateAssignmentRuleSchema(StrictInputSchema):
    field = fields.String(required=True, validate=validate.OneOf(["region", "industry"],
                                                                 error="One of region, industry."))
    value = text(200, required=True)
    user_id = Id(required=True, strict=False)
    priority = Int(strict=False, validate=validate.Range(min=0, max=10000))


class AssignmentRuleSchema(Schema):
    id = Id()
    field = fields.String()
    value = fields.String()
    user_id = Id()
    priority = Int()
    active = fields.Boolean()


class LeadPolicySchema(Schema):
    grade_a_min = Int()
    grade_b_min = Int()
    rep_capacity = Int()
    claim_limit = Int()
    web_form_per_hour = Int()
    discount_approval_threshold = DecimalText(4)


class UpdateLeadPolicySchema(StrictInputSchema):
    grade_a_min = Int(strict=False, validate=validate.Range(min=1, max=100000))
    grade_b_min = Int(strict=False, validate=validate.Range(min=0, max=100000))
    rep_capacity = Int(strict=False, validate=validate.Range(min=0, max=100000))
    claim_limit = Int(strict=False, validate=validate.Range(min=0, max=100000))
    web_form_per_hour = Int(strict=False, validate=validate.Range(min=1, max=100000))
    discount_approval_threshold = DecimalText(4, validate=[validate.Range(max=1, error="A fraction between 0 and 1.")])


class QuoteLineInputSchema(StrictInputSchema):
    product_id = Id(required=True, strict=False)
    qty = DecimalText(4, required=True, validate=[validate.Range(min=0, min_inclusive=False,
                                                                 error="Must be greater than 0.")])
    unit_price = DecimalText(4, allow_none=True)
    discount = DecimalText(4, allow_none=True, validate=[
        validate.Range(max=1, error="A discount is a fraction between 0 and 1.")])


class CreateQuoteSchema(StrictInputSchema):
    opportunity_id = Id(allow_none=True, strict=False)
    customer_id = Id(allow_none=True, strict=False)
    valid_until = Date(allow_none=True)
    note = text(4000)
    lines = fields.List(fields.Nested(QuoteLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=500, error="Give 1 to 500 lines."),
                        error_messages={"required": "Give 1 to 500 lines."})


class UpdateQuoteSchema(StrictInputSchema):
    valid_until = Date(allow_none=True)
    note = text(4000)
    lines = fields.List(fields.Nested(QuoteLineInputSchema),
                        validate=validate.Length(min=1, max=500, error="Give 1 to 500 lines."))


class QuoteLineSchema(Schema):
    id = Id()
    position = Int()
    product_id = Id()
    sku = fields.Function(lambda line: line.product.sku)
    qty = DecimalText(4)
    unit_price = DecimalText(4)
    discount = DecimalText(4)
    tax_rate = DecimalText(4)
    untaxed = money()
    tax = money()
    total = money()


class QuoteSchema(Schema):
    id = Id()
    number = fields.String()
    version = Int()
    opportunity_id = Id(allow_none=True)
    customer_id = Id()
    state = fields.String()
    valid_until = Date(allow_none=True)
    currency = fields.String()
    untaxed = money()
    tax = money()
    total = money()
    approved_by_id = Id(allow_none=True)
    sales_order_id = Id(allow_none=True)
    lines = fields.List(fields.Nested(QuoteLineSchema))


# --------------------------------------------------------------------------- import


class LeadImportErrorSchema(Schema):
    field = fields.String()
    reason = fields.String()


class LeadImportDuplicateSchema(Schema):
    kind = fields.String(metadata={"description": "lead, contact or customer"})
    id = Id()
    matched_on = fields.String(metadata={"description": "email, phone or company"})
    row = Int(allow_none=True, metadata={"description": "the earlier row of the same file it repeats"})


class LeadImportRowSchema(Schema):
    row = Int(metadata={"description": "row of the file; 2 is the first row under the header"})
    action = fields.String(metadata={"description": "create or error"})
    errors = fields.List(fields.Nested(LeadImportErrorSchema))
    number = fields.String()
    company = fields.String()
    contact_name = fields.String()
    score = Int()
    grade = fields.String()
    status = fields.String()
    owner_id = Id(allow_none=True)
    owner = fields.String(allow_none=True)
    duplicate = fields.Nested(LeadImportDuplicateSchema, allow_none=True)


class LeadImportReportSchema(Schema):
    committed = fields.Boolean()
    total = Int()
    valid = Int()
    invalid = Int()
    created = Int()
    duplicates = Int()
    ignored_columns = fields.List(fields.String())
    rows = fields.List(fields.Nested(LeadImportRowSchema))
