"""Pure unit tests (no database): scoring and grades, company-name normalization, working-hour deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

from crm.leads.clock import add_working_hours, follow_up_due
from crm.leads.matching import company_key, normalize_company, normalize_email, normalize_phone
from crm.leads.models import Lead, LeadStatus
from crm.leads.scoring import Rule, grade_for, score_lead

RULES = [
    Rule(1, "Manufacturing", "industry", "equals", "manufacturing", 20),
    Rule(2, "Decision maker title", "title", "contains", "director", 15),
    Rule(3, "200+ employees", "company_size", "at_least", "200", 15),
    Rule(4, "East China", "region", "equals", "East", 10),
    Rule(5, "Replied", "event", "equals", "replied", 10),
    Rule(6, "Form submitted", "event", "equals", "form_submitted", 5),
]


def test_matching_profile_and_behaviour_rules_add_their_points_and_explain_themselves():
    profile = {"industry": "Manufacturing", "title": "Purchasing Director", "company_size": 500, "region": "east"}

    result = score_lead(profile, {"replied", "visited"}, RULES, a_min=60, b_min=30)

    assert result.points == 70
    assert result.grade == "A"
    assert [f["rule_id"] for f in result.fired] == [1, 2, 3, 4, 5]
    assert result.fired[2] == {"rule_id": 3, "label": "200+ employees", "field": "company_size",
                               "operator": "at_least", "value": "200", "points": 15}


def test_a_small_company_below_the_size_threshold_does_not_fire_the_size_rule():
    result = score_lead({"industry": "manufacturing", "company_size": 199}, set(), RULES, a_min=60, b_min=30)

    assert (result.points, result.grade, [f["rule_id"] for f in result.fired]) == (20, "C", [1])


def test_a_behaviour_rule_fires_once_however_often_the_event_happened():
    once = score_lead({}, ["replied"], RULES, a_min=60, b_min=30)
    thrice = score_lead({}, ["replied", "replied", "replied"], RULES, a_min=60, b_min=30)

    assert once.points == thrice.points == 10


def test_grades_follow_the_thresholds_inclusively():
    assert [grade_for(p, a_min=60, b_min=30) for p in (0, 29, 30, 59, 60, 100)] == ["C", "C", "B", "B", "A", "A"]


def test_chinese_company_names_ignore_legal_suffixes_and_brackets():
    same = {normalize_company(n) for n in (
        "上海宝钢有限公司", "上海宝钢股份有限公司", "上海宝钢（集团）有限公司", "上海宝钢集团", "上海宝钢(集团)股份有限公司",
        " 上海宝钢 有限公司 ")}
    assert same == {"上海宝钢"}
    assert normalize_company("上海宝山有限公司") != "上海宝钢"


def test_a_province_or_city_in_front_or_in_brackets_is_ignored_when_comparing_company_names():
    assert {company_key(n) for n in ("华南泵业(深圳)有限公司", "深圳市华南泵业有限公司", "深圳华南泵业有限公司",
                                     "华南泵业（深圳市）有限公司", "广东省深圳市华南泵业有限公司",
                                     "华南泵业有限公司")} == {"华南泵业"}
    assert company_key("内蒙古伊利实业集团股份有限公司") == company_key("伊利(内蒙古)股份有限公司") == "伊利"
    # a bracket that is no place, and a name that is nothing but a place, keep their words
    assert company_key("上海宝钢（集团）有限公司") == "宝钢"
    assert company_key("上海有限公司") == "上海" and company_key("深圳") == "深圳"
    assert company_key("ACME Co., Ltd.") == "acme" and company_key(None) is None


def test_english_company_names_ignore_case_punctuation_and_legal_suffixes():
    assert {normalize_company(n) for n in ("ACME Co., Ltd.", "Acme Limited", "acme inc", "Acme (Group) Corp.")} == {
        "acme"}
    assert normalize_company("Acme Tools Ltd") == "acmetools"


def test_phones_and_emails_normalize_to_comparable_keys():
    assert {normalize_phone(p) for p in ("+86 138-0013-8000", "0086 13800138000", "13800138000",
                                         "(138) 0013 8000")} == {"13800138000"}
    assert normalize_email("  Li.Wei@Example.COM ") == "li.wei@example.com"
    assert normalize_phone("") is None and normalize_email(None) is None


def test_grade_a_is_due_within_four_working_hours_and_b_within_one_working_day():
    monday_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 China time
    assert follow_up_due("A", monday_10) == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00
    assert follow_up_due("B", monday_10) == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00
    assert follow_up_due("C", monday_10) is None


def test_working_hours_skip_evenings_and_weekends():
    friday_16 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 16:00 China time
    assert add_working_hours(friday_16, 4) == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 11:00
    saturday = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    assert add_working_hours(saturday, 4) == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 13:00


def test_the_lead_transition_table_refuses_claiming_a_converted_lead():
    import pytest

    from core.errors import InvalidTransition

    lead = Lead(status=LeadStatus.CONVERTED.value, number="LD-1")
    with pytest.raises(InvalidTransition):
        lead.assign(1, at=datetime(2026, 1, 1, tzinfo=UTC), due=None, by="claim")
    assert lead.status == "converted"
