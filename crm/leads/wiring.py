"""Wiring of the front office (leads and the pipeline): permissions with data scope, the web
blueprint and the Celery task. Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from core.models import Role, User
from core.permissions import SALES, register

R = Role


def _team(actor):
    return select(User.id).where(User.team == actor.team)


def _lead_scope(actor, action):
    from crm.leads.models import Lead, LeadStatus

    if actor.role == R.SALES_REP:
        own = Lead.owner_id == actor.id
        return or_(own, Lead.status == LeadStatus.POOL) if action == "read" else own
    if actor.role == R.SALES_MANAGER:
        team = Lead.owner_id.in_(_team(actor)) if actor.team else Lead.owner_id == actor.id
        return or_(team, Lead.owner_id.is_(None))
    return None


def _lead_in_scope(actor, action, lead) -> bool:
    if actor.role == R.SALES_REP:
        return lead.owner_id == actor.id or (action == "read" and lead.status == "pool")
    if actor.role == R.SALES_MANAGER:
        if lead.owner_id is None or lead.owner_id == actor.id:
            return True
        return bool(actor.team and lead.owner is not None and lead.owner.team == actor.team)
    return True


def _opportunity_scope(actor, action):
    from crm.pipeline.models import Opportunity

    if actor.role == R.SALES_REP:
        return Opportunity.owner_id == actor.id
    if actor.role == R.SALES_MANAGER:
        return Opportunity.owner_id.in_(_team(actor)) if actor.team else Opportunity.owner_id == actor.id
    return None


def _opportunity_in_scope(actor, action, opportunity) -> bool:
    if actor.role == R.SALES_REP:
        return opportunity.owner_id == actor.id
    if actor.role == R.SALES_MANAGER:
        owner = opportunity.owner
        return opportunity.owner_id == actor.id or bool(actor.team and owner and owner.team == actor.team)
    return True


def _quote_scope(actor, action):
    """Quotes follow their customer's data scope, as sales orders do."""
    from core.models import Customer
    from core.permissions import SCOPES
    from crm.quotes.models import Quote

    clause = SCOPES["customer"][0](actor, action)
    return None if clause is None else Quote.customer_id.in_(select(Customer.id).where(clause))


def _quote_in_scope(actor, action, quote) -> bool:
    from core.permissions import SCOPES

    return SCOPES["customer"][1](actor, action, quote.customer)


def _contact_scope(actor, action):
    """Contacts follow their customer's data scope."""
    from core.models import Contact, Customer
    from core.permissions import SCOPES

    clause = SCOPES["customer"][0](actor, action)
    return None if clause is None else Contact.customer_id.in_(select(Customer.id).where(clause))


def _contact_in_scope(actor, action, contact) -> bool:
    from core.permissions import SCOPES

    return SCOPES["customer"][1](actor, action, contact.customer)


def _activity_scope(actor, action):
    """An activity is seen by who may see its customer, or work its lead or opportunity."""
    from core.models import Customer
    from core.permissions import SCOPES
    from crm.leads.models import Lead
    from crm.pipeline.models import Activity, Opportunity

    customer = SCOPES["customer"][0](actor, action)
    if customer is None:
        return None
    lead, opportunity = _lead_scope(actor, "update"), _opportunity_scope(actor, action)
    return or_(Activity.customer_id.in_(select(Customer.id).where(customer)),
               Activity.lead_id.in_(select(Lead.id).where(lead)),
               Activity.opportunity_id.in_(select(Opportunity.id).where(opportunity)))


def _activity_in_scope(actor, action, activity) -> bool:
    from core.models import Customer
    from core.permissions import SCOPES
    from crm.leads.models import Lead
    from crm.pipeline.models import Opportunity

    if actor.role not in (R.SALES_REP, R.SALES_MANAGER):
        return True
    session = object_session(activity)
    if activity.customer_id and SCOPES["customer"][1](actor, action, session.get(Customer, activity.customer_id)):
        return True
    if activity.lead_id and _lead_in_scope(actor, "update", session.get(Lead, activity.lead_id)):
        return True
    return bool(activity.opportunity_id and _opportunity_in_scope(actor, action,
                                                                  session.get(Opportunity, activity.opportunity_id)))


def init_app(app: Flask) -> None:
    register("lead", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_lead_scope, _lead_in_scope))
    register("lead_settings", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": frozenset({R.SALES_MANAGER, R.ADMIN}),
        "update": frozenset({R.SALES_MANAGER, R.ADMIN}),
    })
    register("opportunity", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_opportunity_scope, _opportunity_in_scope))

    register("quote", {
        "read": SALES | {R.FINANCE, R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_quote_scope, _quote_in_scope))
    register("quote_approval", {"update": frozenset({R.SALES_MANAGER, R.ADMIN})})
    register("contact", {
        "read": SALES | {R.FINANCE, R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
    }, scope=(_contact_scope, _contact_in_scope))
    register("activity", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
    }, scope=(_activity_scope, _activity_in_scope))

    from crm.leads import tasks, views  # noqa: F401  (tasks: registers crm.recycle_overdue_leads)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.public_bp)
