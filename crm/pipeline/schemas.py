"""Pipeline payloads of the API and the web pages: the rules of the fields live here.

Pipeline settings: a clean code, names, a probability from 0 to 1, known exit fields; the settings
service checks what needs the database (unique names and codes, a position among the pipeline's open
stages, what a won or lost stage may change). Activities: a known kind, about exactly one lead,
opportunity or customer; the activity service checks that record in the actor's sight."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.schemas import Date, DecimalText, Id, InputSchema, Int, StrictInputSchema, Text, text
from crm.pipeline.models import EXIT_FIELDS, ActivityKind

CODE = r"^[a-z][a-z0-9_]{0,39}$"
REQUIRED = {"required": "Required.", "null": "Required."}


def _name(*, required: bool) -> Text:
    return Text(required=required, error_messages=REQUIRED,
                validate=[validate.Length(min=1, error="Required."),
                          validate.Length(max=120, error="At most {max} characters.")])


def _code() -> Text:
    return Text(required=True, error_messages=REQUIRED,
                validate=[validate.Length(min=1, error="Required."),
                          validate.Length(max=40, error="At most {max} characters."),
                          validate.Regexp(CODE, error="Lower-case letters, digits and _, starting with a letter.")])


def _probability(**kwargs) -> DecimalText:
    between = "A number from 0 to 1, e.g. 0.25."
    return DecimalText(4, minimum=None, integer_digits=1,
                       error_messages={**REQUIRED, "invalid": between, "special": between},
                       validate=[validate.Range(min=0, max=1, error=between)], **kwargs)


def _known_exit_fields(value: list[str]) -> None:
    unknown = [f for f in value if f not in EXIT_FIELDS]
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(unknown)}; use {', '.join(EXIT_FIELDS)}.")


def _exit_fields() -> fields.List:
    return fields.List(fields.String(), allow_none=True, validate=_known_exit_fields,
                       error_messages={"invalid": f"A list of fields among {', '.join(EXIT_FIELDS)}."},
                       metadata={"description": f"fields among {', '.join(EXIT_FIELDS)} that must be filled "
                                                "in before an opportunity leaves the stage"})


class CreatePipelineSchema(StrictInputSchema):
    name = _name(required=True)
    code = _code()


class CreateStageSchema(StrictInputSchema):
    code = _code()
    name = _name(required=True)
    probability = _probability(required=True)
    position = Int(allow_none=True, strict=False,
                   metadata={"description": "1..n+1 among the open stages; the last open one if not given"})
    exit_fields = _exit_fields()


class UpdateStageSchema(StrictInputSchema):
    name = _name(required=False)
    probability = _probability(allow_none=True)
    position = Int(allow_none=True, strict=False)
    exit_fields = _exit_fields()
    active = fields.Boolean(allow_none=True, error_messages={"invalid": "true or false."},
                            metadata={"description": "false retires an open stage without open opportunities"})


# --------------------------------------------------------------------------- activities

KINDS = [k.value for k in ActivityKind]
SUBJECTS = ("lead_id", "opportunity_id", "customer_id")


class LogActivitySchema(StrictInputSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS, error=f"One of {', '.join(KINDS)}."))
    note = text(4000)
    next_step = text(200)
    next_step_date = Date(allow_none=True)
    lead_id = Id(allow_none=True, strict=False)
    opportunity_id = Id(allow_none=True, strict=False)
    customer_id = Id(allow_none=True, strict=False)

    @validates_schema(skip_on_field_errors=False)
    def _one_subject(self, data, **_kwargs):
        if len([key for key in SUBJECTS if data.get(key)]) != 1:
            raise ValidationError("Give one of a lead, an opportunity or a customer.", "lead_id")


class ActivityFormSchema(LogActivitySchema, InputSchema):
    pass
