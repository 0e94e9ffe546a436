"""The pipeline's values in words, for every page that shows them: lost reasons, stages, the fields
exit rules ask for, and activity kinds. They live with the pipeline that owns these values, so that
its own pages, the lead and opportunity pages above it and the customer timeline use one set (and
the pipeline's pages never reach up into the leads' views for them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from crm.pipeline.models import ActivityKind, LostReason
from crm.pipeline.services import DEFAULT_STAGE_NAMES

KIND_LABELS = {ActivityKind.CALL: _l("Call"), ActivityKind.VISIT: _l("Visit"), ActivityKind.MEETING: _l("Meeting"),
               ActivityKind.EMAIL: _l("E-mail")}
LOST_LABELS = {LostReason.PRICE: _l("Price"), LostReason.COMPETITOR: _l("Went to a competitor"),
               LostReason.NO_BUDGET: _l("No budget"), LostReason.NO_DECISION: _l("No decision"),
               LostReason.TIMING: _l("Timing"), LostReason.OTHER: _l("Other")}
STAGE_LABELS = {"qualification": _l("Qualification"), "needs_analysis": _l("Needs analysis"),
                "quote": _l("Quote"), "negotiation": _l("Negotiation"), "won": _l("Won"), "lost": _l("Lost")}
FIELD_LABELS = {"amount": _l("Amount"), "budget": _l("Budget"), "decision_maker": _l("Decision maker"),
                "expected_close_date": _l("Expected close date"), "contact_id": _l("Contact")}


def stage_label(stage) -> str:
    """A stage in words: a default stage under its default name is translated; a renamed or a
    configured stage shows its own name."""
    label = STAGE_LABELS.get(stage.code)
    if label is not None and stage.name == DEFAULT_STAGE_NAMES.get(stage.code):
        return label
    return stage.name


def template_helpers() -> dict:
    """What the pages' templates call: `stage_label`, `lost_reason_label` and `activity_kind_label`."""
    return {"activity_kind_label": lambda k: KIND_LABELS.get(k, k),
            "stage_label": stage_label,
            "lost_reason_label": lambda r: LOST_LABELS.get(r, r)}
