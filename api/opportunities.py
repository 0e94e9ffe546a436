"""Opportunities (stages with exit rules, lost reasons) and activities."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.errors import InvalidInput
from core.schemas import DecimalText, Id, Int
from core.web import get_session, get_uow
from crm.leads import queries
from crm.leads.schemas import (
    ActivitySchema,
    CreateOpportunitySchema,
    MoveOpportunitySchema,
    OpportunitySchema,
    UpdateOpportunitySchema,
)
from crm.pipeline import forecast as forecasting
from crm.pipeline import services, settings
from crm.pipeline.schemas import CreatePipelineSchema, CreateStageSchema, LogActivitySchema, UpdateStageSchema

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("opportunities", __name__, description="Opportunities and activities")


class OpportunityListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(["open", "won", "lost"]))
    customer_id = Id()
    owner_id = Id()


class ActivityListArgs(PageArgs):
    customer_id = Id()
    lead_id = Id()
    opportunity_id = Id()
    kind = fields.String(validate=validate.OneOf(["call", "visit", "meeting", "email"]))


@blp.route("/opportunities")
class Opportunities(MethodView):
    @blp.arguments(OpportunityListArgs, location="query")
    @blp.response(200, page_schema(OpportunitySchema))
    def get(self, args):
        """The opportunities the caller may see."""
        return page_body(queries.opportunities(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateOpportunitySchema)
    @blp.response(201, OpportunitySchema)
    def post(self, data):
        """Open an opportunity in the first stage of the chosen pipeline (`pipeline_id`, else the default)."""
        return services.create_opportunity(get_uow(), data)


@blp.route("/opportunities/<int:opportunity_id>")
class OpportunityItem(MethodView):
    @blp.response(200, OpportunitySchema)
    def get(self, opportunity_id):
        """One opportunity."""
        return services.get_opportunity(get_uow(), opportunity_id)

    @blp.arguments(UpdateOpportunitySchema)
    @blp.response(200, OpportunitySchema)
    def patch(self, data, opportunity_id):
        """Fill in amount, budget, decision maker, expected close date or contact."""
        return services.update_opportunity(get_uow(), opportunity_id, data)


@blp.route("/opportunities/<int:opportunity_id>/move")
class MoveOpportunity(MethodView):
    @blp.arguments(MoveOpportunitySchema)
    @blp.response(200, OpportunitySchema)
    @blp.alt_response(409, description="`exit_rule` (with `fields` naming what is missing) or a closed opportunity")
    def post(self, data, opportunity_id):
        """Move to another stage (by `stage_id` or `stage` code); lost needs a `lost_reason`."""
        if data.get("stage_id") is None and not data.get("stage"):
            raise InvalidInput({"stage_id": ["Give stage_id or stage."]})
        return services.move_opportunity(get_uow(), opportunity_id, stage_id=data.get("stage_id"),
                                         stage_code=data.get("stage"), lost_reason=data.get("lost_reason"),
                                         lost_note=data.get("lost_note"))


class ForecastArgs(Schema):
    group = fields.String(load_default="month", validate=validate.OneOf(forecasting.GROUPS))


class ForecastRowSchema(Schema):
    key = fields.Raw(metadata={"description": "`YYYY-MM`, a user id, or null (no close date / no owner)"})
    label = fields.String()
    count = Int()
    amount = fields.Decimal(places=2, as_string=True)
    weighted = fields.Decimal(places=2, as_string=True)


class ForecastTotalsSchema(Schema):
    count = Int()
    amount = fields.Decimal(places=2, as_string=True)
    weighted = fields.Decimal(places=2, as_string=True)


class ForecastSchema(Schema):
    group = fields.String()
    items = fields.List(fields.Nested(ForecastRowSchema), attribute="rows")
    totals = fields.Nested(ForecastTotalsSchema)


@blp.route("/forecast")
class Forecast(MethodView):
    @blp.arguments(ForecastArgs, location="query")
    @blp.response(200, ForecastSchema)
    def get(self, args):
        """The weighted forecast of the open opportunities the caller may see: amount times the stage's
        win probability, by expected close month (`group=month`) or by rep (`group=rep`)."""
        return forecasting.weighted_forecast(get_uow(), group=args["group"])


@blp.route("/activities")
class Activities(MethodView):
    @blp.arguments(ActivityListArgs, location="query")
    @blp.response(200, page_schema(ActivitySchema))
    def get(self, args):
        """The activities the caller may see, newest first (a rep: those of own customers, own leads and
        own opportunities); filters `customer_id`, `lead_id`, `opportunity_id`, `kind`."""
        return page_body(services.list_activities(get_uow(), **args))

    @idempotent
    @blp.arguments(LogActivitySchema)
    @blp.response(201, ActivitySchema)
    @blp.alt_response(422, description="No or more than one of `lead_id`, `opportunity_id`, `customer_id`, "
                                       "or a bad `kind`")
    def post(self, data):
        """Log a call, visit, meeting or e-mail on a lead (its follow-up), an opportunity or a customer."""
        return services.log_activity(get_uow(), data)


# --------------------------------------------------------------------------- pipeline settings


class StageSchema(Schema):
    id = Id()
    pipeline_id = Id()
    code = fields.String()
    name = fields.String()
    position = Int(metadata={"description": "open stages 1..n, then won and lost; 0 when retired"})
    probability = DecimalText(4)
    exit_fields = fields.List(fields.String())
    outcome = fields.String(metadata={"description": "`open`, `won` or `lost`"})
    active = fields.Boolean()


class PipelineSchema(Schema):
    id = Id()
    name = fields.String()
    code = fields.String(allow_none=True)
    is_default = fields.Boolean()
    stages = fields.List(fields.Nested(StageSchema))


@blp.route("/pipelines")
class Pipelines(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(PipelineSchema))
    def get(self, args):
        """Every pipeline with its stages, the default one first."""
        found = settings.list_pipelines(get_uow())
        start = (args["page"] - 1) * args["per_page"]
        return {"items": found[start:start + args["per_page"]], "total": len(found), "page": args["page"],
                "per_page": args["per_page"]}

    @idempotent
    @blp.arguments(CreatePipelineSchema)
    @blp.response(201, PipelineSchema)
    def post(self, data):
        """A new pipeline (sales manager, admin) with one open stage, then won and lost."""
        return settings.create_pipeline(get_uow(), data)


@blp.route("/pipelines/<int:pipeline_id>")
class PipelineItem(MethodView):
    @blp.response(200, PipelineSchema)
    def get(self, pipeline_id):
        """One pipeline with its stages (retired ones too, `active: false`)."""
        return settings.get_pipeline(get_uow(), pipeline_id)


@blp.route("/pipelines/<int:pipeline_id>/stages")
class PipelineStages(MethodView):
    @blp.arguments(CreateStageSchema)
    @blp.response(201, StageSchema)
    def post(self, data, pipeline_id):
        """Add an open stage (sales manager, admin); won and lost stay last."""
        return settings.add_stage(get_uow(), pipeline_id, data)


@blp.route("/stages/<int:stage_id>")
class StageItem(MethodView):
    @blp.arguments(UpdateStageSchema)
    @blp.response(200, StageSchema)
    @blp.alt_response(409, description="`stage_in_use` (open opportunities in it) or `last_open_stage`")
    def patch(self, data, stage_id):
        """Rename, reprice, reorder, change the exit fields of, retire or bring back a stage."""
        return settings.update_stage(get_uow(), stage_id, data)
