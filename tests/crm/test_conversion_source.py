"""A customer converted from a lead takes the lead's acquisition source (its channel, else its UTM source,
as a slug, else `direct`) and its industry; how the lead was captured is not a source."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import services as core_services
from core.models import Customer
from crm.leads import services
from crm.leads.conversion import convert_lead
from tests.conftest import make_user, uow_for

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def converted_customer(db, *, source="api", **lead) -> Customer:
    """A lead captured `source`-wise (no scoring rules: grade C, so it waits in nurturing, owned by nobody),
    converted by an administrator."""
    admin = make_user(db, "admin")
    captured = services.capture_lead(uow_for(db), {"company": "Qingdao Valve Works", "email": "buyer@qdvw.cn", **lead},
                                     source=source, now=MONDAY_10)
    assert captured.source == source
    converted, _ = convert_lead(uow_for(db, admin), captured.id, now=MONDAY_10)
    return db.get(Customer, converted.customer_id)


@pytest.mark.parametrize("lead,expected", [
    ({"channel": "Trade Show", "utm_source": "baidu"}, "trade_show"),
    ({"channel": "b2b-Marketplace"}, "b2b_marketplace"),
    ({"channel": "  ", "utm_source": "Baidu Ads"}, "baidu_ads"),
    ({"utm_source": "WeChat"}, "wechat"),
    ({}, "direct"),
])
def test_the_new_customer_takes_the_leads_channel_else_its_utm_source_as_a_slug_else_direct(db, lead, expected):
    customer = converted_customer(db, **lead)

    assert customer.source == expected


@pytest.mark.parametrize("capture", ["web_form", "import", "manual"])
def test_the_way_a_lead_was_captured_is_not_the_customers_source(db, capture):
    customer = converted_customer(db, source=capture)

    assert customer.source == "direct"


def test_the_new_customer_takes_the_leads_industry(db):
    customer = converted_customer(db, channel="referral", industry="petrochemical")

    assert (customer.source, customer.industry) == ("referral", "petrochemical")


def test_a_lead_joining_an_existing_customer_leaves_that_customers_source_alone(db):
    rep = make_user(db, "sales_rep")
    existing = core_services.create_customer(uow_for(db), {"code": "C-QD", "name": "Qingdao Valve Works",
                                                           "email": "buyer@qdvw.cn", "owner_id": rep.id,
                                                           "source": "cold_call"})
    captured = services.capture_lead(uow_for(db), {"company": "Qingdao Valve Works", "email": "buyer@qdvw.cn",
                                                   "channel": "website"}, now=MONDAY_10)

    converted, _ = convert_lead(uow_for(db, make_user(db, "admin")), captured.id, now=MONDAY_10)

    assert converted.customer_id == existing.id
    assert db.get(Customer, existing.id).source == "cold_call"
