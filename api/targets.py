"""Sales targets: monthly targets per rep, team or product line on booked, invoiced or collected amounts,
annual targets split into months by weight, and the attainment report (also as a workbook)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.queries import paginate
from core.schemas import DateTime, Id, money
from core.web import get_session, get_uow
from reports import targets
from reports.workbook import XLSX, workbook_response

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("targets", __name__, description="Sales targets and their attainment")


class TargetSchema(Schema):
    id = Id()
    period = fields.String(metadata={"description": "YYYY-MM"})
    subject = fields.String(metadata={"description": "rep, team or product_line"})
    rep_id = Id(allow_none=True)
    rep_name = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    product_line = fields.String(allow_none=True)
    basis = fields.String(metadata={"description": "booked, invoiced or collected"})
    amount = money()
    created_by_id = Id(allow_none=True)
    created_at = DateTime()


class TargetListQuery(targets.TargetListArgs, PageArgs):
    pass


class AnnualTargetsSchema(Schema):
    items = fields.List(fields.Nested(TargetSchema))


class AttainmentRowSchema(Schema):
    target_id = Id()
    period = fields.String()
    basis = fields.String()
    rep_id = Id()
    rep_name = fields.String()
    team = fields.String()
    product_line = fields.String()
    product_line_name = fields.String()
    product_line_name_zh = fields.String()
    target = money()
    actual = money(minimum=None)
    attainment = fields.Decimal(places=4, as_string=True, allow_none=True,
                                metadata={"description": "actual / target, four decimals; null for a zero target"})
    gap = money(metadata={"description": "target - actual, never below zero"})


class AttainmentSchema(Schema):
    period = fields.String()
    by = fields.String()
    basis = fields.String(allow_none=True)
    rows = fields.List(fields.Nested(AttainmentRowSchema))
    as_of = DateTime()


def _binary(description: str) -> dict:
    return {"responses": {"200": {"description": description,
                                  "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


@blp.route("/targets")
class Targets(MethodView):
    @blp.arguments(TargetListQuery, location="query")
    @blp.response(200, page_schema(TargetSchema))
    def get(self, args):
        """The targets the caller may read (management, finance, admin: all; a sales manager: the team's
        reps' and the team's; a sales rep: their own), newest month first; filters period, basis, rep_id,
        team, product_line."""
        page, per_page = args.pop("page"), args.pop("per_page")
        return page_body(paginate(get_session(), targets.target_query(get_uow(), args), page, per_page))

    @idempotent
    @blp.arguments(targets.CreateTargetSchema)
    @blp.response(201, TargetSchema)
    @blp.alt_response(403, description="a sales manager naming a rep or a team outside their team, or a product line")
    @blp.alt_response(409, description="`target_exists`: the subject has a target on this basis for the month")
    def post(self, data):
        """A month's target: `period` (YYYY-MM), exactly one of `rep_id`, `team` or `product_line`, `basis`
        (booked, invoiced or collected) and `amount` (admin; a sales manager for the team's reps and the team)."""
        return targets.set_target(get_uow(), data)


@blp.route("/targets/annual")
class AnnualTargets(MethodView):
    @idempotent
    @blp.arguments(targets.AnnualTargetSchema)
    @blp.response(201, AnnualTargetsSchema)
    @blp.alt_response(409, description="`target_exists`: one of the twelve months has a target already "
                                       "(nothing is created)")
    def post(self, data):
        """The twelve monthly targets of `year` for one subject and basis: `amount` split by `weights` (twelve
        non-negative numbers, January first; equal when left out), each month rounded to the cent and December
        taking the remainder."""
        return {"items": targets.set_annual_targets(get_uow(), data)}


@blp.route("/targets/<int:target_id>")
class TargetItem(MethodView):
    @blp.response(200, TargetSchema)
    def get(self, target_id):
        """One target."""
        return targets.get_target(get_uow(), target_id)

    @blp.arguments(targets.ChangeTargetSchema)
    @blp.response(200, TargetSchema)
    def patch(self, data, target_id):
        """A new `amount` for the target (its month, subject and basis stay)."""
        return targets.change_target(get_uow(), target_id, data)


@blp.route("/reports/targets")
class AttainmentReport(MethodView):
    @blp.arguments(targets.AttainmentArgs, location="query")
    @blp.response(200, AttainmentSchema)
    def get(self, args):
        """Targets against actual for a month (`period`, this month by default) by `rep`, `team` or
        `product_line`, on one `basis` or all: a row per target the caller may read with `target`, `actual`
        (the sales entries of the target's measure dated in the month), `attainment` (actual / target) and
        `gap` (target - actual, never below zero), and `as_of`."""
        return targets.attainment(get_uow(), args)


@blp.route("/reports/targets.xlsx")
class AttainmentWorkbook(MethodView):
    @blp.arguments(targets.AttainmentArgs, location="query")
    @blp.doc(**_binary("The attainment report as an Excel workbook"))
    def get(self, args):
        """`GET /reports/targets` as a workbook: a row per target."""
        report = targets.attainment(get_uow(), args)
        return workbook_response(targets.attainment_workbook(report), f"targets-{report['period']}.xlsx")
