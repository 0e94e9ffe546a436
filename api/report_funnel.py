"""Management reports on the way to an order: the funnel of a cohort of leads by source or rep, the time
opportunities spend in each stage, and the forecast against what was booked; each also as a workbook."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.schemas import Date, DateTime, Id, Int, Text
from core.web import get_uow
from reports import forecast, funnel
from reports.labels import sales_titles
from reports.schemas import PeriodArgs, check_month
from reports.workbook import XLSX, table_workbook, workbook_response

blp = Blueprint("report_funnel", __name__,
                description="Management reports: the lead funnel, time in each stage, forecast against actual")

RATE = {"places": 4, "as_string": True, "allow_none": True}


def _binary(description: str) -> dict:
    return {"responses": {"200": {"description": description,
                                  "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


# --------------------------------------------------------------------------- arguments


class FunnelArgs(PeriodArgs):
    by = Text(load_default="source", validate=validate.OneOf(funnel.BY, error=str(_l("Use source or rep."))),
              metadata={"description": "the row dimension: source or rep"})
    rep_id = Id(metadata={"description": "keep one sales rep's leads (within the reader's scope)"})


class StageTimesArgs(PeriodArgs):
    rep_id = Id(metadata={"description": "keep one sales rep's opportunities (within the reader's scope)"})


class ForecastArgs(Schema):
    months = Int(load_default=6, minimum=1, maximum=forecast.MAX_MONTHS,
                 metadata={"description": "how many months, ending with `until`"})
    until = Text(validate=check_month, metadata={"description": "the last month, YYYY-MM (default: last month)"})
    rep_id = Id(metadata={"description": "keep one sales rep (within the reader's scope)"})


# --------------------------------------------------------------------------- answers


ConversionSchema = Schema.from_dict({step: fields.Decimal(**RATE) for step in funnel.STEPS[1:]},
                                    name="FunnelConversionSchema")


class FunnelRowSchema(Schema):
    source = fields.String(metadata={"description": "by source: the leads' acquisition source"})
    rep_id = Id(allow_none=True, metadata={"description": "by rep: the leads' owner (null: nobody)"})
    rep_name = fields.String()
    leads = Int()
    qualified = Int()
    converted = Int()
    opportunities = Int()
    quoted = Int()
    won = Int()
    lost = Int()
    won_amount = fields.Decimal(places=2, as_string=True)
    avg_cycle_days = fields.Decimal(places=1, as_string=True, allow_none=True)
    conversion = fields.Nested(ConversionSchema, metadata={
        "description": "each step over the step before it (qualified/leads, converted/qualified, "
                       "opportunities/converted, quoted/opportunities, won/quoted), 4 decimals; null when "
                       "the step before is 0"})


class FunnelSchema(Schema):
    by = fields.String()
    date_from = Date()
    date_to = Date()
    rows = fields.List(fields.Nested(FunnelRowSchema))
    totals = fields.Nested(FunnelRowSchema)
    as_of = DateTime()


class StageTimeSchema(Schema):
    pipeline_id = Id()
    pipeline_name = fields.String()
    stage_id = Id()
    stage_code = fields.String()
    stage_name = fields.String()
    position = Int()
    entered = Int(metadata={"description": "opportunities that were in the stage"})
    left = Int(metadata={"description": "of those, the ones that have left it"})
    in_stage = Int(metadata={"description": "of those, the ones in it now"})
    avg_days = fields.Decimal(places=1, as_string=True, allow_none=True, metadata={
        "description": "mean days the ones that left spent in the stage (null: none left yet)"})


class StageTimesSchema(Schema):
    date_from = Date()
    date_to = Date()
    opportunities = Int()
    rows = fields.List(fields.Nested(StageTimeSchema))
    as_of = DateTime()


class ForecastAccuracyRowSchema(Schema):
    rep_id = Id()
    rep_name = fields.String()
    month = fields.String()
    forecast = fields.Decimal(places=2, as_string=True)
    booked = fields.Decimal(places=2, as_string=True)
    accuracy = fields.Decimal(**RATE)


class ForecastAccuracyRepSchema(Schema):
    rep_id = Id()
    rep_name = fields.String()
    months = Int(metadata={"description": "the months with a forecast"})
    forecast = fields.Decimal(places=2, as_string=True)
    booked = fields.Decimal(places=2, as_string=True)
    mean_accuracy = fields.Decimal(**RATE)


class ForecastAccuracySchema(Schema):
    months = fields.List(fields.String())
    rows = fields.List(fields.Nested(ForecastAccuracyRowSchema))
    reps = fields.List(fields.Nested(ForecastAccuracyRepSchema))
    as_of = DateTime()


def _funnel(args) -> dict:
    answer = funnel.funnel(get_uow(), date_from=args.get("date_from"), date_to=args.get("date_to"), by=args["by"],
                           rep_id=args.get("rep_id"))
    return {"by": answer.by, "date_from": answer.date_from, "date_to": answer.date_to,
            "rows": [row.as_dict(answer.by) for row in answer.rows], "totals": answer.totals.as_dict(None),
            "as_of": answer.as_of}


def _stage_times(args) -> dict:
    answer = funnel.stage_times(get_uow(), date_from=args.get("date_from"), date_to=args.get("date_to"),
                                rep_id=args.get("rep_id"))
    return {"date_from": answer.date_from, "date_to": answer.date_to, "opportunities": answer.opportunities,
            "rows": [row.as_dict() for row in answer.rows], "as_of": answer.as_of}


def _forecast(args) -> dict:
    answer = forecast.forecast_accuracy(get_uow(), months=args["months"], until=args.get("until"),
                                        rep_id=args.get("rep_id"))
    return {"months": answer.months, "rows": [row.as_dict() for row in answer.rows],
            "reps": [rep.as_dict() for rep in answer.reps], "as_of": answer.as_of}


# --------------------------------------------------------------------------- routes


@blp.route("/reports/funnel")
class FunnelReport(MethodView):
    @blp.arguments(FunnelArgs, location="query")
    @blp.response(200, FunnelSchema)
    def get(self, args):
        """The leads created in the range (default: the twelve months up to today), by acquisition source
        or by rep (their owner): leads, qualified (grade A or B), converted, then the opportunities opened
        from them, quoted (a quote submitted to the customer), won and lost; the untaxed total of the
        confirmed orders of the won ones, the mean days from lead to win, and each step's conversion."""
        return _funnel(args)


@blp.route("/reports/funnel.xlsx")
class FunnelWorkbook(MethodView):
    @blp.arguments(FunnelArgs, location="query")
    @blp.doc(**_binary("The funnel as an Excel workbook"))
    def get(self, args):
        """`GET /reports/funnel` as a workbook: a row per answer row, then the totals."""
        answer = _funnel(args)
        titles = sales_titles()
        dimension = "source" if answer["by"] == "source" else "rep_name"
        columns = {dimension: titles["source" if dimension == "source" else "rep"], **funnel_titles()}
        rows = [_flat(row) for row in answer["rows"]]
        for row in rows:
            if dimension == "rep_name" and row["rep_id"] is None:
                row["rep_name"] = _("No owner")
        rows.append({**_flat(answer["totals"]), dimension: _("Total")})
        data = table_workbook(_("Lead funnel"), columns, rows, as_of=answer["as_of"], sheet=_("Lead funnel"))
        return workbook_response(data, "funnel.xlsx")


@blp.route("/reports/stage-times")
class StageTimesReport(MethodView):
    @blp.arguments(StageTimesArgs, location="query")
    @blp.response(200, StageTimesSchema)
    def get(self, args):
        """For the opportunities opened in the range (default: the twelve months up to today), per open
        stage from their stage history: how many entered it, have left it or are in it now, and the mean
        days the ones that left spent in it."""
        return _stage_times(args)


@blp.route("/reports/stage-times.xlsx")
class StageTimesWorkbook(MethodView):
    @blp.arguments(StageTimesArgs, location="query")
    @blp.doc(**_binary("The time in each stage as an Excel workbook"))
    def get(self, args):
        """`GET /reports/stage-times` as a workbook: a row per stage."""
        answer = _stage_times(args)
        columns = {"pipeline_name": _("Pipeline"), "stage_name": _("Stage"), "entered": _("Entered"),
                   "left": _("Left"), "in_stage": _("In the stage now"), "avg_days": _("Average days in the stage")}
        data = table_workbook(_("Time in each stage"), columns, answer["rows"], as_of=answer["as_of"],
                              sheet=_("Time in each stage"))
        return workbook_response(data, "stage-times.xlsx")


@blp.route("/reports/forecast")
class ForecastReport(MethodView):
    @blp.arguments(ForecastArgs, location="query")
    @blp.response(200, ForecastAccuracySchema)
    def get(self, args):
        """Per rep and month, the weighted pipeline snapshotted at the start of the month against what the
        rep booked in it: accuracy = 1 - |booked - forecast| / forecast within [0, 1] (null without a
        forecast); per rep the totals and the mean accuracy of the months."""
        return _forecast(args)


@blp.route("/reports/forecast.xlsx")
class ForecastWorkbook(MethodView):
    @blp.arguments(ForecastArgs, location="query")
    @blp.doc(**_binary("The forecast against actual as an Excel workbook"))
    def get(self, args):
        """`GET /reports/forecast` as a workbook: a row per rep and month."""
        answer = _forecast(args)
        titles = sales_titles()
        columns = {"rep_name": titles["rep"], "month": titles["month"], "forecast": _("Forecast"),
                   "booked": titles["booked"], "accuracy": _("Accuracy")}
        data = table_workbook(_("Forecast against actual"), columns, answer["rows"], as_of=answer["as_of"],
                              sheet=_("Forecast against actual"))
        return workbook_response(data, "forecast.xlsx")


def funnel_titles() -> dict[str, str]:
    """The funnel's measures by name, then each step's conversion (`rate_<step>`)."""
    return {"leads": _("Leads"), "qualified": _("Qualified"), "converted": _("Converted"),
            "opportunities": _("Opportunities"), "quoted": _("Quoted"), "won": _("Won"), "lost": _("Lost"),
            "won_amount": _("Won amount"), "avg_cycle_days": _("Average days to win"),
            "rate_qualified": _("Qualified / leads"), "rate_converted": _("Converted / qualified"),
            "rate_opportunities": _("Opportunities / converted"), "rate_quoted": _("Quoted / opportunities"),
            "rate_won": _("Won / quoted")}


def _flat(row: dict) -> dict:
    return {**row, **{f"rate_{step}": value for step, value in row["conversion"].items()}}
