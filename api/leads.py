"""Leads: capture, lists scoped by role, the public pool's claim, behaviour events, score
explanation and conversion into customer, contact and opportunity."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from core.imports import read_table
from core.queries import Page
from core.schemas import Id
from core.web import get_session, get_uow
from crm.leads import conversion, imports, queries, services
from crm.leads.schemas import (
    AssignmentRuleSchema,
    CaptureLeadSchema,
    ConvertedLeadSchema,
    ConvertLeadSchema,
    CreateAssignmentRuleSchema,
    CreateScoringRuleSchema,
    LeadEventSchema,
    LeadImportReportSchema,
    LeadPolicySchema,
    LeadSchema,
    ScoreExplanationSchema,
    ScoringRuleSchema,
    UpdateLeadPolicySchema,
)

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("leads", __name__, description="Leads: capture, scoring, assignment, the public pool, conversion")


class LeadListArgs(PageArgs):
    q = fields.String(metadata={"description": "search in company, contact and number"})
    status = fields.String()
    grade = fields.String(validate=validate.OneOf(["A", "B", "C"]))
    owner_id = Id()
    is_duplicate = fields.Boolean()


class StrictConvertLeadSchema(ConvertLeadSchema):
    class Meta:
        unknown = "raise"


@blp.route("/leads")
class Leads(MethodView):
    @blp.arguments(LeadListArgs, location="query")
    @blp.response(200, page_schema(LeadSchema))
    def get(self, args):
        """The leads the caller may see (a rep: own leads and the public pool)."""
        return page_body(queries.leads(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CaptureLeadSchema)
    @blp.response(201, LeadSchema)
    @blp.alt_response(422, description="A field is not valid")
    def post(self, data):
        """Capture a lead: duplicates are flagged and linked, it is scored and routed."""
        return services.capture_lead(get_uow(), data, source="api")


class LeadImportArgs(Schema):
    commit = fields.Boolean(load_default=False, metadata={"description": "true: load the valid rows"})


class LeadImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "a .csv, .xlsx or .xls file with a header row"})


@blp.route("/leads/import")
class ImportLeads(MethodView):
    @blp.arguments(LeadImportArgs, location="query")
    @blp.arguments(LeadImportFileSchema, location="files")
    @blp.response(200, LeadImportReportSchema)
    @blp.alt_response(422, description="`import_unreadable`: the file is not CSV or Excel, or has no known column")
    def post(self, query, files):
        """Check (dry run) or load a CSV or Excel file of leads.

        Columns: company, contact name, title, phone, email, industry, region, company size, channel
        (or source), utm_source, utm_medium, utm_campaign, note (English or Chinese headers). Every row is
        captured as through `POST /leads` (duplicates flagged, scored, assigned); the report gives each
        row's errors or outcome. With `commit=true` the valid rows are kept in one transaction."""
        rows = read_table(files["file"].filename, files["file"].read())
        return imports.import_leads(get_uow(), rows, commit=query["commit"])


@blp.route("/leads/<int:lead_id>")
class LeadItem(MethodView):
    @blp.response(200, LeadSchema)
    def get(self, lead_id):
        """One lead."""
        return services.get_lead(get_uow(), lead_id)


@blp.route("/leads/<int:lead_id>/score")
class LeadScore(MethodView):
    @blp.response(200, ScoreExplanationSchema)
    def get(self, lead_id):
        """The score, the grade, the thresholds and every rule that fired."""
        return services.explain_score(get_uow(), lead_id)


@blp.route("/leads/<int:lead_id>/events")
class LeadEvents(MethodView):
    @blp.arguments(LeadEventSchema)
    @blp.response(200, LeadSchema)
    def post(self, data, lead_id):
        """Record a behaviour event (form_submitted, replied, visited); the lead is scored again."""
        return services.record_event(get_uow(), lead_id, data["event"])


@blp.route("/leads/<int:lead_id>/claim")
class ClaimLead(MethodView):
    @blp.response(200, LeadSchema)
    @blp.alt_response(403, description="Another rep's lead")
    @blp.alt_response(409, description="`claim_limit_reached` or `not_in_pool`; nothing changed")
    def post(self, lead_id):
        """Claim a lead from the public pool; it gets a follow-up deadline by its grade."""
        return services.claim_lead(get_uow(), lead_id)


@blp.route("/leads/<int:lead_id>/convert")
class ConvertLead(MethodView):
    @blp.arguments(StrictConvertLeadSchema)
    @blp.response(200, ConvertedLeadSchema)
    @blp.alt_response(409, description="Not convertible, or it matches another owner's customer")
    def post(self, data, lead_id):
        """Turn the lead into a customer (or join the one found), a contact and an opportunity."""
        lead, opportunity = conversion.convert_lead(get_uow(), lead_id, data)
        return {"lead": lead, "opportunity": opportunity}


# --------------------------------------------------------------------------- settings (sales managers and admin change them)


@blp.route("/lead-settings/policy")
class LeadPolicyResource(MethodView):
    @blp.response(200, LeadPolicySchema)
    def get(self):
        """Grade thresholds, rep capacity, claim limit and the web form's hourly limit per address."""
        return services.read_settings(get_uow())[0]

    @blp.arguments(UpdateLeadPolicySchema)
    @blp.response(200, LeadPolicySchema)
    def patch(self, data):
        """Change the thresholds and limits (grade A must need more points than grade B)."""
        return services.update_policy(get_uow(), data)


@blp.route("/lead-settings/scoring-rules")
class ScoringRules(MethodView):
    @blp.response(200, page_schema(ScoringRuleSchema))
    def get(self):
        """The active scoring rules."""
        found = services.read_settings(get_uow())[1]
        return page_body(Page(found, len(found), 1, max(len(found), 1)))

    @blp.arguments(CreateScoringRuleSchema)
    @blp.response(201, ScoringRuleSchema)
    def post(self, data):
        """A rule: `field` industry/title/region (`equals`, `contains`), company_size (`at_least`) or
        event (form_submitted, replied, visited) adds `points` when it matches."""
        return services.create_scoring_rule(get_uow(), data)


@blp.route("/lead-settings/assignment-rules")
class AssignmentRules(MethodView):
    @blp.response(200, page_schema(AssignmentRuleSchema))
    def get(self):
        """The active assignment rules, in the order they are tried."""
        found = services.read_settings(get_uow())[2]
        return page_body(Page(found, len(found), 1, max(len(found), 1)))

    @blp.arguments(CreateAssignmentRuleSchema)
    @blp.response(201, AssignmentRuleSchema)
    def post(self, data):
        """Leads whose region or industry equals `value` go to `user_id` while the rep has room."""
        return services.create_assignment_rule(get_uow(), data)
