"""Wiring of the front office (leads and the pipeline): permissions with data scope, the web
blueprint, its menu entries and the Celery task. Called from `crm.init_app`."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.models import Contact, Role
from core.permissions import SALES, AnyOf, Follows, OwnerScope, Pool, follows_customer
from core.registry import Registry


def init_app(app: Flask) -> None:
    from crm.leads import tasks, views  # noqa: F401  (tasks: registers crm.recycle_overdue_leads)
    from crm.leads.models import Lead, LeadStatus
    from crm.pipeline.models import Activity, Opportunity
    from crm.quotes.models import Quote

    # a rep works own leads and reads the public pool; a manager works the team's and the unowned ones
    lead_scope = OwnerScope(Lead.owner_id, rep_pool=Pool(Lead.status, LeadStatus.POOL),
                            manager_pool=Pool(Lead.owner_id, actions=None))
    opportunity_scope = OwnerScope(Opportunity.owner_id)
    registry: Registry = app.extensions["registry"]
    permissions = registry.permissions
    permissions.register("lead", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=lead_scope)
    permissions.register("lead_settings", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": frozenset({Role.SALES_MANAGER, Role.ADMIN}),
        "update": frozenset({Role.SALES_MANAGER, Role.ADMIN}),
    })
    permissions.register("opportunity", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=opportunity_scope)

    # quotes and contacts follow their customer's data scope, as sales orders do
    permissions.register("quote", {
        "read": SALES | {Role.FINANCE, Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=follows_customer(Quote.customer_id))
    permissions.register("quote_approval", {"update": frozenset({Role.SALES_MANAGER, Role.ADMIN})})
    permissions.register("contact", {
        "read": SALES | {Role.FINANCE, Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
    }, scope=follows_customer(Contact.customer_id))
    # an activity is seen by who may see its customer, or work its lead or opportunity
    permissions.register("activity", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
    }, scope=AnyOf((follows_customer(Activity.customer_id, via=None),
                    Follows(Activity.lead_id, Lead, lead_scope, action="update"),
                    Follows(Activity.opportunity_id, Opportunity, opportunity_scope))))

    app.register_blueprint(views.bp)
    app.register_blueprint(views.public_bp)
    registry.add_nav("crm_leads_web.desk", _l("My desk"), ("read", "lead"))
    registry.add_nav("crm_leads_web.pool", _l("Lead pool"), ("read", "lead"))

    # what the pipeline (below the leads: a lead converts into an opportunity) needs of a lead: activities
    # logged on it (its follow-up) and its lists in the sales manager's team view
    from crm.leads import queries, services
    from crm.pipeline.queries import TeamLists
    from crm.pipeline.services import ActivityTarget

    registry.activity_targets.add(ActivityTarget("lead_id", read=services.get_lead, work=services.work_lead))
    registry.team_lists.add(TeamLists(fill=queries.team_leads, numbers=queries.lead_numbers))

    # what the tasks (below the leads and the pipeline, which give out follow-ups) need of the lead or the
    # opportunity a task is about; both pages are this blueprint's
    from crm.tasks.services import TaskSubject

    registry.task_subjects.add(TaskSubject("lead_id", Lead, "lead", _l("Lead"), "crm_leads_web.lead_detail",
                                           caption=lambda lead: lead.company or lead.contact_name))
    registry.task_subjects.add(TaskSubject("opportunity_id", Opportunity, "opportunity", _l("Opportunity"),
                                           "crm_leads_web.opportunity_detail",
                                           caption=lambda opportunity: opportunity.name))
