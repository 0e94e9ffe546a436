"""Lead scoring: rules add points, thresholds give the grade, and the result says which rules fired.

Pure functions over plain data (no database), so the rules are easy to test and to explain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROFILE_FIELDS = ("industry", "title", "company_size", "region")
RULE_FIELDS = (*PROFILE_FIELDS, "event")
OPERATORS = ("equals", "contains", "at_least")


def default_operator(field: str | None) -> str:
    """How a rule compares when it does not say: a company size is at least a number, the rest equal."""
    return "at_least" if field == "company_size" else "equals"


@dataclass(frozen=True)
class Rule:
    id: int | None
    label: str
    field: str
    operator: str
    value: str
    points: int


@dataclass(frozen=True)
class Score:
    points: int
    grade: str
    fired: list[dict[str, Any]]


def _fires(rule: Rule, profile: dict[str, Any], events: set[str]) -> bool:
    if rule.field == "event":
        return rule.value in events
    actual = profile.get(rule.field)
    if actual in (None, ""):
        return False
    if rule.operator == "at_least":
        try:
            return int(actual) >= int(rule.value)
        except (TypeError, ValueError):
            return False
    left, right = str(actual).strip().lower(), rule.value.strip().lower()
    return right in left if rule.operator == "contains" else left == right


def grade_for(points: int, *, a_min: int, b_min: int) -> str:
    if points >= a_min:
        return "A"
    return "B" if points >= b_min else "C"


def score_lead(profile: dict[str, Any], events: set[str] | list[str], rules: list[Rule], *,
               a_min: int, b_min: int) -> Score:
    """Each rule fires at most once (a behaviour rule fires when the event happened at least once)."""
    events = set(events)
    fired = [{"rule_id": r.id, "label": r.label, "field": r.field, "operator": r.operator, "value": r.value,
              "points": r.points} for r in rules if _fires(r, profile, events)]
    points = sum(f["points"] for f in fired)
    return Score(points, grade_for(points, a_min=a_min, b_min=b_min), fired)
