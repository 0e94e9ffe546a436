"""Demo front office: lead rules, leads, opportunities, quotes, tasks, tickets and sales orders.

Everything goes through the services, so numbering, audit, events and the exit rules apply; the
reps' own steps (releasing a lead, converting it, logging a call) run with that rep as the actor.
Loading twice changes nothing: each part looks for its marker (a demo lead's e-mail, an order's
customer reference) before creating. Random choices use a fixed seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from core import clock
from core.db import utcnow
from core.models import Customer, Product, User
from core.uow import UnitOfWork
from crm.leads import conversion
from crm.leads import services as leads
from crm.leads.models import Lead, ScoringRule
from crm.orders import services as orders
from crm.orders.models import SalesOrder
from crm.pipeline import services as pipeline
from crm.quotes import services as quotes
from crm.tasks import services as tasks
from crm.tickets import services as tickets

LEAD_DOMAIN = "demo-leads.example.cn"
ORDER_REFERENCE = "DEMO-PO-{:02d}"
INDUSTRIES = ["chemical", "water", "hvac", "mining", "food", "paper"]
LEAD_REGIONS = ["East China", "South China", "North China", "Central China"]
TITLES = ["Purchasing manager", "Engineer", "Plant manager", "Buyer", "Project manager", "Assistant"]
FIRST = ["Zhang", "Wang", "Li", "Zhao", "Chen", "Yang", "Huang", "Zhou", "Wu", "Xu"]
CITIES = ["Kunshan", "Changzhou", "Jiaxing", "Zhuhai", "Xiamen", "Hefei", "Jinan", "Nanchang"]


@contextmanager
def acting(uow: UnitOfWork, user: User | None) -> Iterator[None]:
    """Run service calls as `user` (who owns the step), then go back to the system actor."""
    before = uow.actor
    uow.actor, uow.session.info["actor_id"] = user, user.id if user else None
    try:
        yield
    finally:
        uow.actor, uow.session.info["actor_id"] = before, before.id if before else None


def _users(uow: UnitOfWork) -> dict[str, User]:
    return {u.username: u for u in uow.session.scalars(select(User))}


def lead_rules(uow: UnitOfWork, users: dict[str, User]) -> None:
    """The demo's lead scoring and assignment rules (once); the demo history grades its leads by them too."""
    if uow.session.scalar(select(ScoringRule.id).limit(1)) is not None:
        return
    for field, operator, value, points in [("industry", "equals", "chemical", 30), ("industry", "equals", "water", 20),
                                           ("industry", "equals", "hvac", 20),
                                           ("company_size", "at_least", "100", 20), ("company_size", "at_least", "300", 20),
                                           ("title", "contains", "manager", 20), ("event", "equals", "replied", 20)]:
        leads.create_scoring_rule(uow, {"field": field, "operator": operator, "value": value, "points": points})
    for region, user in (("East China", users["sales_rep"]), ("South China", users["sales_rep2"])):
        leads.create_assignment_rule(uow, {"field": "region", "value": region, "user_id": user.id, "priority": 10})


def _capture(uow: UnitOfWork, rng: random.Random, n: int, now: datetime) -> Lead:
    industry = INDUSTRIES[n % len(INDUSTRIES)]
    return leads.capture_lead(uow, {
        "company": f"{CITIES[n % len(CITIES)]} {industry.title()} Equipment Co. {n}",
        "contact_name": f"{FIRST[n % len(FIRST)]} {rng.choice('ABCDEFGH')}.", "title": TITLES[n % len(TITLES)],
        "email": f"lead{n}@{LEAD_DOMAIN}", "phone": f"+86 139 {5000_0000 + n * 7919:08d}",
        "industry": industry, "region": LEAD_REGIONS[n % len(LEAD_REGIONS)],
        "company_size": rng.choice([20, 50, 120, 300, 800]), "channel": rng.choice(["website", "trade_show", "referral"]),
    }, source="import", now=now - timedelta(minutes=30 * (30 - n)))


def _front_office(uow: UnitOfWork, users: dict[str, User], rng: random.Random) -> int:
    """Thirty leads, five opportunities along the pipeline, two quotes, today's tasks, two tickets."""
    if uow.session.scalar(select(Lead.id).where(Lead.email == f"lead1@{LEAD_DOMAIN}")) is not None:
        return 0
    rep, rep2, manager = users["sales_rep"], users["sales_rep2"], users["sales_manager"]
    now = utcnow()
    captured = [_capture(uow, rng, n, now) for n in range(1, 29)]
    # two duplicates: the same person again, and a demo customer's buyer writing in as a new lead
    captured.append(leads.capture_lead(uow, {"company": captured[0].company, "contact_name": captured[0].contact_name,
                                             "email": captured[0].email, "industry": "chemical"}, now=now))
    captured.append(leads.capture_lead(uow, {"company": "Suzhou Water Works", "contact_name": "Gu Ming",
                                             "email": "purchasing4@example.cn", "region": "East China"}, now=now))
    mine = [lead for lead in captured if lead.owner_id == rep.id and lead.status == "assigned" and not lead.is_duplicate]
    theirs = [lead for lead in captured if lead.owner_id == rep2.id and lead.status == "assigned"]
    for lead in (mine[-2:] if len(mine) > 12 else []) + theirs[-2:]:  # a few go back to the public pool
        with acting(uow, uow.session.get(User, lead.owner_id)):
            leads.release_lead(uow, lead.id)
    mine = [lead for lead in mine if lead.status == "assigned"]
    today = clock.today()
    with acting(uow, rep):
        plans = [("needs_analysis", 48_000, 40), ("quote", 126_000, 25), ("negotiation", 82_000, 14),
                 ("qualification", 35_000, 60), ("won", 21_600, 0), ("lost", 56_000, 0)]
        opportunities = []
        for lead, (stage, amount, days) in zip(mine, plans, strict=False):
            _, opportunity = conversion.convert_lead(uow, lead.id, {
                "amount": Decimal(amount), "expected_close_date": today + timedelta(days=days or 7)})
            if stage != "qualification":
                pipeline.update_opportunity(uow, opportunity.id, {"budget": Decimal(amount + 10_000),
                                                                   "decision_maker": lead.contact_name})
                pipeline.move_opportunity(uow, opportunity.id, stage_code=stage,
                                          lost_reason="competitor" if stage == "lost" else None)
            opportunities.append((stage, opportunity))
        at_quote = next(o for s, o in opportunities if s == "quote")
        at_negotiation = next(o for s, o in opportunities if s == "negotiation")
        pumps = {p.sku: p for p in uow.session.scalars(select(Product).where(Product.sku.in_(
            ["CP-50", "CP-80", "MP-65", "SVC-INSTALL", "TRD-004"])))}
        quote = quotes.create_quote(uow, {"opportunity_id": at_quote.id, "valid_until": today + timedelta(days=30),
                                          "lines": [{"product_id": pumps["MP-65"].id, "qty": Decimal(20)},
                                                    {"product_id": pumps["SVC-INSTALL"].id, "qty": Decimal(16)}]})
        quotes.submit_quote(uow, quote.id)
        accepted = quotes.create_quote(uow, {"opportunity_id": at_negotiation.id,
                                             "valid_until": today + timedelta(days=30),
                                             "lines": [{"product_id": pumps["CP-80"].id, "qty": Decimal(12)},
                                                       {"product_id": pumps["TRD-004"].id, "qty": Decimal(12)}]})
        quotes.submit_quote(uow, accepted.id)
        quotes.accept_quote(uow, accepted.id)  # a draft sales order waits for the rep to confirm it
        for lead in mine[len(plans):len(plans) + 3]:
            pipeline.log_activity(uow, {"lead_id": lead.id, "kind": "call", "note": "First call: needs a quote.",
                                        "next_step": "Send the catalogue", "next_step_date": today})
        pipeline.log_activity(uow, {"opportunity_id": at_quote.id, "kind": "visit",
                                    "note": "Site visit, pump room measured.", "next_step": "Chase the quote",
                                    "next_step_date": today})
        tasks.create_task(uow, title="Call back about the booster set offer", owner_id=rep.id,
                          due_at=now + timedelta(hours=1),
                          opportunity_id=at_negotiation.id)
        tasks.create_task(uow, title="Prepare the quarterly visit plan", owner_id=rep.id,
                          due_at=now - timedelta(hours=1))
    own = list(uow.session.scalars(select(Customer).where(Customer.owner_id == rep.id).order_by(Customer.id)))
    tickets.create_ticket(uow, {"customer_id": own[0].id, "subject": "Seal leaking after two weeks",
                                "priority": "high", "assignee_id": rep.id,
                                "description": "Mechanical seal drips at the shaft; customer asks for a visit."})
    tickets.create_ticket(uow, {"customer_id": own[1].id, "subject": "Request for spare parts list",
                                "priority": "normal", "assignee_id": manager.id})
    return len(captured)


def load_front_office(uow: UnitOfWork) -> str:
    users = _users(uow)
    if "sales_rep" not in users:
        return ""
    rng = random.Random(2027)
    lead_rules(uow, users)
    made = _front_office(uow, users, rng)
    return f"{made} leads with opportunities, quotes, tasks and tickets." if made else ""


# --------------------------------------------------------------------------- sales orders

ORDER_SKUS = ["CP-25", "CP-32", "CP-40", "CP-50", "CP-65", "CP-100", "CP-125", "CP-150", "CP-200", "CP-200",
              "CP-80", "CP-80"]


def load_orders(uow: UnitOfWork) -> str:
    """Twelve confirmed orders of the reps' customers, dated over the past five months. They run after
    the bills of materials and the opening stock (registered by finance, whose loaders come last), so
    confirming reserves stock rather than planning everything."""
    if uow.session.scalar(select(SalesOrder.id).where(SalesOrder.customer_reference == ORDER_REFERENCE.format(1))):
        return ""
    users = _users(uow)
    if "sales_rep" not in users:
        return ""
    rng = random.Random(2028)
    reps = [users["sales_rep"], users["sales_rep2"]]
    customers = {rep.id: list(uow.session.scalars(select(Customer).where(Customer.owner_id == rep.id)
                                                  .order_by(Customer.id))) for rep in reps}
    products = {p.sku: p for p in uow.session.scalars(select(Product).where(
        Product.sku.in_(set(ORDER_SKUS) | {"TRD-002", "TRD-006", "TRD-010"})))}
    today = clock.today()
    for n in range(1, 13):
        rep = reps[n % 2]
        customer = customers[rep.id][n // 2 % len(customers[rep.id])]
        on = today - timedelta(days=150 - (n - 1) * 12)
        lines = [{"product_id": products[ORDER_SKUS[n - 1]].id, "qty": Decimal(1)},
                 {"product_id": products[rng.choice(["TRD-002", "TRD-006", "TRD-010"])].id,
                  "qty": Decimal(rng.randint(1, 3))}]
        with acting(uow, rep):
            order = orders.create_order(uow, {"customer_id": customer.id, "customer_reference": ORDER_REFERENCE.format(n),
                                              "requested_date": on + timedelta(days=14), "lines": lines}, on=on)
            orders.confirm_order(uow, order.id, on=on)
    return "12 confirmed sales orders."
