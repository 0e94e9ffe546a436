"""Lead services on the database: capture, duplicates, scoring, assignment, deadlines, recycling,
the pool and its claiming limits, and conversion. The clock is passed in (`now`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput, NotFound
from core.models import AuditEntry, Contact, Customer, OutboxMessage
from crm.leads import services
from crm.leads.conversion import convert_lead
from crm.leads.models import Lead
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity
from tests.conftest import make_user, uow_for

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 China time


def rules(db, manager=None):
    uow = uow_for(db, manager)
    services.create_scoring_rule(uow, {"field": "industry", "value": "manufacturing", "points": 40,
                                       "label": "Manufacturing"})
    services.create_scoring_rule(uow, {"field": "company_size", "value": "200", "points": 25, "label": "200+"})
    services.create_scoring_rule(uow, {"field": "event", "value": "replied", "points": 30, "label": "Replied"})


def capture(db, now=MONDAY_10, actor=None, **data):
    body = {"company": "Test Co", "phone": None, "email": None, **data}
    if not body.get("phone") and not body.get("email"):
        body["email"] = f"{abs(hash(body['company'])) % 10**8}@example.com"
    return services.capture_lead(uow_for(db, actor), body, now=now)


def a_lead(db, **data):
    """A grade A lead (manufacturing, 500 people: 65 points)."""
    return capture(db, industry="manufacturing", company_size=500, **data)


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


# --------------------------------------------------------------------------- capture and duplicates


def test_a_captured_lead_records_source_channel_and_campaign_and_is_scored_and_assigned(db):
    rules(db)
    rep = make_user(db, "sales_rep")

    lead = a_lead(db, company="宁波精工机械有限公司", email="buyer@nbjg.cn", channel="trade show",
                  utm_source="baidu", utm_medium="cpc", utm_campaign="pumps-2026")

    assert lead.number.startswith("LD-2026-")
    assert (lead.source, lead.channel, lead.utm_campaign) == ("api", "trade show", "pumps-2026")
    assert (lead.score, lead.grade) == (65, "A")
    assert [r["label"] for r in lead.score_detail] == ["Manufacturing", "200+"]
    assert (lead.status, lead.owner_id, lead.assigned_by) == ("assigned", rep.id, "round_robin")
    assert lead.follow_up_due == MONDAY_10 + timedelta(hours=4)


def test_a_lead_without_a_way_to_reach_it_is_refused_naming_the_fields_and_nothing_is_stored(db):
    before = count(db, Lead)
    with pytest.raises(InvalidInput) as refused:
        services.capture_lead(uow_for(db), {"company": "", "contact_name": "", "email": "not-an-address"},
                              now=MONDAY_10)
    assert set(refused.value.fields) == {"company", "email"}
    with pytest.raises(InvalidInput) as refused:
        services.capture_lead(uow_for(db), {"company": "X"}, now=MONDAY_10)
    assert set(refused.value.fields) == {"phone"}
    assert count(db, Lead) == before


def test_a_chinese_company_already_a_customer_is_flagged_and_linked_not_dropped(db):
    customer = core_services.create_customer(uow_for(db), {"code": "C-BG", "name": "上海宝钢（集团）股份有限公司"})

    lead = capture(db, company="上海宝钢有限公司", email="new@baosteel.example")

    assert lead.id is not None
    assert (lead.is_duplicate, lead.duplicate_kind, lead.duplicate_id, lead.duplicate_on) == (
        True, "customer", customer.id, "company")


@pytest.mark.parametrize("customer_name, lead_company", [
    ("深圳市华南泵业有限公司", "华南泵业(深圳)有限公司"),
    ("华南泵业（深圳）有限公司", "深圳市华南泵业有限公司"),
    ("广东省深圳市华南泵业有限公司", "华南泵业有限公司"),
])
def test_a_company_named_with_its_city_in_brackets_or_in_front_is_the_same_company(db, customer_name,
                                                                                   lead_company):
    customer = core_services.create_customer(uow_for(db), {"code": "C-HN", "name": customer_name})

    lead = capture(db, company=lead_company, email="buyer@hnpump.example")

    assert (lead.is_duplicate, lead.duplicate_kind, lead.duplicate_id, lead.duplicate_on) == (
        True, "customer", customer.id, "company")


def test_companies_that_differ_once_their_city_is_dropped_stay_apart(db):
    core_services.create_customer(uow_for(db), {"code": "C-HN", "name": "深圳市华南泵业有限公司"})

    lead = capture(db, company="深圳市华北泵业有限公司", email="buyer@hbpump.example")

    assert lead.is_duplicate is False


def test_an_english_lead_matching_an_earlier_lead_by_company_is_flagged(db):
    first = capture(db, company="ACME Co., Ltd.", email="a@acme.example")

    second = capture(db, company="Acme Limited", email="b@acme.example")

    assert (second.duplicate_kind, second.duplicate_id, second.duplicate_on) == ("lead", first.id, "company")
    assert first.is_duplicate is False


def test_a_lead_matching_a_contact_by_phone_or_email_is_flagged_on_that_key(db):
    customer = core_services.create_customer(uow_for(db), {"code": "C-WW", "name": "Water Works"})
    contact = Contact(customer_id=customer.id, name="Li Wei", phone="+86 138 0013 8000", email="Li.Wei@WW.example")
    db.add(contact)
    db.flush()

    by_phone = capture(db, company="Someone Else", phone="13800138000")
    by_email = capture(db, company="Another", email="li.wei@ww.example")

    assert (by_phone.duplicate_kind, by_phone.duplicate_id, by_phone.duplicate_on) == ("contact", contact.id, "phone")
    assert (by_email.duplicate_kind, by_email.duplicate_id, by_email.duplicate_on) == ("contact", contact.id, "email")


def test_the_web_form_refuses_a_filled_honeypot_and_stores_nothing(db):
    before = count(db, Lead)
    with pytest.raises(services.SpamRejected):
        services.capture_web_form(uow_for(db), {"company": "Bot", "email": "bot@spam.example",
                                                "website": "http://spam.example"}, address="10.0.0.9",
                                  now=MONDAY_10)
    assert count(db, Lead) == before


def test_the_web_form_limits_each_address_per_hour(db):
    uow = uow_for(db)
    for i in range(5):
        lead = services.capture_web_form(uow, {"company": f"Visitor {i}", "email": f"v{i}@x.example"},
                                         address="10.0.0.7", now=MONDAY_10 + timedelta(minutes=i))
        assert (lead.source, lead.events) == ("web_form", ["form_submitted"])
    with pytest.raises(services.RateLimited):
        services.capture_web_form(uow, {"company": "Visitor 6", "email": "v6@x.example"}, address="10.0.0.7",
                                  now=MONDAY_10 + timedelta(minutes=10))
    other = services.capture_web_form(uow, {"company": "Neighbour", "email": "n@x.example"}, address="10.0.0.8",
                                      now=MONDAY_10 + timedelta(minutes=10))
    later = services.capture_web_form(uow, {"company": "Visitor 7", "email": "v7@x.example"}, address="10.0.0.7",
                                      now=MONDAY_10 + timedelta(hours=1, minutes=5))
    assert other.id and later.id
    assert count(db, Lead, Lead.source_address == "10.0.0.7") == 6


def test_a_behaviour_event_rescores_the_lead(db):
    rules(db)
    make_user(db, "sales_rep")
    lead = capture(db, industry="manufacturing")
    assert (lead.score, lead.grade) == (40, "B")

    services.record_event(uow_for(db), lead.id, "replied")

    assert (lead.score, lead.grade) == (70, "A")
    assert services.explain_score(uow_for(db), lead.id)["rules"][-1]["label"] == "Replied"


# --------------------------------------------------------------------------- assignment


def test_an_assignment_rule_by_region_wins_over_round_robin(db):
    rules(db)
    make_user(db, "sales_rep")
    east = make_user(db, "sales_rep")
    make_user(db, "sales_rep")
    services.create_assignment_rule(uow_for(db), {"field": "region", "value": "East", "user_id": east.id})

    leads = [a_lead(db, company=f"East {i}", region="east") for i in range(3)]

    assert {lead.owner_id for lead in leads} == {east.id}
    assert leads[0].assigned_by.startswith("rule:")


def test_round_robin_gives_each_rep_the_same_number_of_leads(db):
    rules(db)
    reps = [make_user(db, "sales_rep") for _ in range(3)]

    leads = [a_lead(db, company=f"RR {i}") for i in range(9)]

    owners = [lead.owner_id for lead in leads]
    assert {rep.id: owners.count(rep.id) for rep in reps} == {rep.id: 3 for rep in reps}
    assert owners[:3] == sorted(owners[:3])  # in turn, not at random


def test_a_rep_at_capacity_is_skipped_and_with_everyone_full_the_lead_goes_to_the_pool(db):
    rules(db)
    services.update_policy(uow_for(db), {"rep_capacity": 1})
    first, second = make_user(db, "sales_rep"), make_user(db, "sales_rep")

    leads = [a_lead(db, company=f"Cap {i}") for i in range(3)]

    assert [lead.owner_id for lead in leads[:2]] == [first.id, second.id]
    assert (leads[2].status, leads[2].owner_id, leads[2].follow_up_due) == ("pool", None, None)


def test_a_grade_c_lead_goes_to_nurturing_without_owner_or_deadline(db):
    rules(db)
    make_user(db, "sales_rep")

    lead = capture(db, company="Small Shop")

    assert (lead.grade, lead.status, lead.owner_id, lead.follow_up_due) == ("C", "nurturing", None, None)


# --------------------------------------------------------------------------- deadlines and the pool


def test_an_overdue_lead_goes_back_to_the_pool_and_rep_and_manager_are_notified(db):
    rules(db)
    rep = make_user(db, "sales_rep", team="east")
    manager = make_user(db, "sales_manager", team="east")
    make_user(db, "sales_manager", team="west")
    lead = a_lead(db, company="Late Co")
    outbox_before = count(db, OutboxMessage)

    assert services.recycle_overdue_leads(uow_for(db), now=MONDAY_10 + timedelta(hours=3, minutes=59)) == []
    recycled = services.recycle_overdue_leads(uow_for(db), now=MONDAY_10 + timedelta(hours=4, minutes=1))

    assert recycled == [lead.id]
    assert (lead.status, lead.owner_id, lead.previous_owner_id, lead.recycled_count) == ("pool", None, rep.id, 1)
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notify.user")
                          .order_by(OutboxMessage.id).offset(outbox_before)).all()
    assert [m.payload["user_id"] for m in messages] == [rep.id, manager.id]
    assert lead.number in messages[0].payload["message"] and messages[0].payload["link"] == f"/leads/{lead.id}"
    assert services.recycle_overdue_leads(uow_for(db), now=MONDAY_10 + timedelta(days=3)) == []  # idempotent
    moves = db.scalars(select(AuditEntry).where(AuditEntry.entity == "Lead", AuditEntry.entity_id == str(lead.id),
                                                AuditEntry.action == "update")).all()
    assert any(e.changes.get("status") == ["assigned", "pool"] for e in moves)


def test_a_followed_up_lead_is_not_recycled(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    lead = a_lead(db, company="Worked Co")

    pipeline.log_activity(uow_for(db, rep), {"kind": "call", "lead_id": lead.id, "note": "Called, interested"},
                          now=MONDAY_10 + timedelta(hours=1))

    assert services.recycle_overdue_leads(uow_for(db), now=MONDAY_10 + timedelta(days=2)) == []
    assert (lead.status, lead.owner_id, lead.follow_up_due) == ("assigned", rep.id, None)


def pooled_lead(db, company):
    services.update_policy(uow_for(db), {"rep_capacity": 0})
    lead = a_lead(db, company=company)
    services.update_policy(uow_for(db), {"rep_capacity": 50})
    assert lead.status == "pool"
    return lead


def test_a_rep_claims_a_pool_lead_and_gets_a_deadline_by_its_grade(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    lead = pooled_lead(db, "Pool Co")

    services.claim_lead(uow_for(db, rep), lead.id, now=MONDAY_10)

    assert (lead.status, lead.owner_id, lead.assigned_by) == ("assigned", rep.id, "claim")
    assert lead.follow_up_due == MONDAY_10 + timedelta(hours=4)


def test_claiming_beyond_the_limit_is_refused_and_nothing_changes(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    services.update_policy(uow_for(db), {"claim_limit": 1})
    first, second = pooled_lead(db, "Pool A"), pooled_lead(db, "Pool B")
    services.claim_lead(uow_for(db, rep), first.id, now=MONDAY_10)

    with pytest.raises(DomainError) as refused:
        services.claim_lead(uow_for(db, rep), second.id, now=MONDAY_10)

    assert (refused.value.status, refused.value.code) == (409, "claim_limit_reached")
    db.refresh(second)
    assert (second.status, second.owner_id) == ("pool", None)


def test_claiming_another_reps_lead_is_forbidden(db):
    rules(db)
    owner = make_user(db, "sales_rep")
    lead = a_lead(db, company="Owned Co")
    other = make_user(db, "sales_rep")

    with pytest.raises(Forbidden):
        services.claim_lead(uow_for(db, other), lead.id, now=MONDAY_10)
    db.refresh(lead)
    assert lead.owner_id == owner.id


# --------------------------------------------------------------------------- conversion


def test_a_lead_converts_into_customer_contact_and_opportunity_in_one_step(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    lead = a_lead(db, company="杭州水泵有限公司", contact_name="王芳", title="采购经理", phone="13900001111",
                  region="East")

    lead, opportunity = convert_lead(uow_for(db, rep), lead.id, {"amount": Decimal("120000")},
                                     now=MONDAY_10)

    customer = db.get(Customer, lead.customer_id)
    contact = db.get(Contact, lead.contact_id)
    assert (customer.name, customer.owner_id, customer.region) == ("杭州水泵有限公司", rep.id, "East")
    assert (contact.name, contact.title, contact.customer_id, contact.is_primary) == ("王芳", "采购经理", customer.id, True)
    assert (opportunity.customer_id, opportunity.contact_id, opportunity.lead_id, opportunity.owner_id) == (
        customer.id, contact.id, lead.id, rep.id)
    assert (opportunity.stage.code, opportunity.amount, opportunity.state) == ("qualification", Decimal("120000"), "open")
    assert (lead.status, lead.opportunity_id) == ("converted", opportunity.id)


def test_a_duplicate_lead_joins_the_existing_customer_instead_of_creating_one(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    customer = core_services.create_customer(uow_for(db), {"code": "C-NB", "name": "宁波精工（集团）有限公司",
                                                           "owner_id": rep.id})
    lead = a_lead(db, company="宁波精工有限公司", contact_name="赵强")
    customers_before = count(db, Customer)

    lead, opportunity = convert_lead(uow_for(db, rep), lead.id, now=MONDAY_10)

    assert lead.customer_id == customer.id == opportunity.customer_id
    assert count(db, Customer) == customers_before
    assert [c.name for c in db.get(Customer, customer.id).contacts] == ["赵强"]


def test_a_lead_matching_another_owners_customer_is_not_converted_and_nothing_changes(db):
    rules(db)
    other = make_user(db, "sales_rep")
    core_services.create_customer(uow_for(db), {"code": "C-OT", "name": "Other Owner Ltd", "owner_id": other.id})
    services.update_policy(uow_for(db), {"rep_capacity": 0})
    lead = a_lead(db, company="Other Owner Limited")
    services.update_policy(uow_for(db), {"rep_capacity": 50})
    rep = make_user(db, "sales_rep")
    services.claim_lead(uow_for(db, rep), lead.id, now=MONDAY_10)
    opportunities_before = count(db, Opportunity)

    with pytest.raises(DomainError) as refused:
        convert_lead(uow_for(db, rep), lead.id, now=MONDAY_10)

    assert refused.value.code == "customer_of_another_owner"
    db.refresh(lead)
    assert (lead.status, lead.customer_id) == ("assigned", None)
    assert count(db, Opportunity) == opportunities_before


def test_a_pool_lead_cannot_be_converted(db):
    rules(db)
    admin = make_user(db, "admin")
    lead = pooled_lead(db, "Unowned Co")

    with pytest.raises(DomainError) as refused:
        convert_lead(uow_for(db, admin), lead.id, now=MONDAY_10)
    assert refused.value.code == "not_convertible"


def test_the_beat_schedule_runs_the_recycling_task_which_recycles_and_notifies(app, db):
    from core.models import Notification

    celery = app.extensions["celery"]
    assert any(entry["task"] == "crm.recycle_overdue_leads" for entry in celery.conf.beat_schedule.values())
    rules(db)
    rep = make_user(db, "sales_rep")
    lead = a_lead(db, company="Week Old Co", now=MONDAY_10 - timedelta(days=7))

    with app.app_context():
        recycled = celery.tasks["crm.recycle_overdue_leads"].apply().get()

    assert recycled >= 1
    db.expire_all()
    assert (db.get(Lead, lead.id).status, db.get(Lead, lead.id).previous_owner_id) == ("pool", rep.id)
    assert count(db, Notification, Notification.user_id == rep.id) == 1  # relayed through the outbox


def test_the_owner_releases_a_lead_to_the_pool_and_another_rep_cannot(db):
    rules(db)
    owner = make_user(db, "sales_rep")
    lead = a_lead(db, company="Released Co")
    other = make_user(db, "sales_rep")

    with pytest.raises(NotFound):  # another rep's lead stays hidden
        services.release_lead(uow_for(db, other), lead.id)
    services.release_lead(uow_for(db, owner), lead.id)

    assert (lead.status, lead.owner_id, lead.previous_owner_id, lead.follow_up_due) == ("pool", None, owner.id, None)
