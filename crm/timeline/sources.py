"""crm's own timeline sources: activities, tasks, opportunities, quotes, sales orders (with their
shipment, invoice and payment status) and tickets. Registered by `crm.timeline.wiring`.

Each entry is dated by when it was recorded (an activity by when it took place); the business
dates (order date, due time) are among its facts. The label maps of the pages are looked up when an
entry is built, so the words follow the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.formatting import china_time
from core.registry import Registry
from crm.orders.models import SalesOrder
from crm.pipeline.models import Activity, Opportunity
from crm.quotes.models import Quote
from crm.tasks.models import Task
from crm.tickets.models import Ticket
from crm.timeline.registry import TimelineEntry, TimelineSource, counter, first


def _activities(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from crm.pipeline.labels import KIND_LABELS

    rows = first(session, select(Activity).where(Activity.customer_id == customer_id), Activity.at, limit,
                 newest_first, Activity.id)
    entries = []
    for a in rows:
        facts = [(_l("By"), a.user.display_name if a.user else "")]
        if a.next_step:
            facts.append((_l("Next step"), f"{a.next_step} {a.next_step_date or ''}".strip()))
        if a.opportunity_id:
            endpoint, params, permission = ("crm_leads_web.opportunity_detail", {"opportunity_id": a.opportunity_id},
                                            ("read", "opportunity"))
        elif a.lead_id:
            endpoint, params, permission = "crm_leads_web.lead_detail", {"lead_id": a.lead_id}, ("read", "lead")
        else:  # logged on the customer itself
            endpoint, params, permission = None, {}, None
        entries.append(TimelineEntry(
            kind="activity", at=a.at, ref_id=a.id, title=str(KIND_LABELS.get(a.kind, a.kind)), status=a.kind,
            note=a.note or None, facts=tuple(facts), endpoint=endpoint, params=params, permission=permission,
            details={"activity_kind": a.kind, "next_step": a.next_step,
                     "next_step_date": a.next_step_date.isoformat() if a.next_step_date else None,
                     "user_id": a.user_id, "lead_id": a.lead_id, "opportunity_id": a.opportunity_id}))
    return entries


def _tasks(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from crm.tasks.views import SOURCE_LABELS, STATE_LABELS

    rows = first(session, select(Task).where(Task.customer_id == customer_id), Task.created_at, limit,
                 newest_first, Task.id)
    return [TimelineEntry(
        kind="task", at=t.created_at, ref_id=t.id, title=t.title, status=t.state,
        status_label=STATE_LABELS.get(t.state, t.state), note=t.notes or None,
        facts=((_l("Due (China time)"), china_time(t.due_at)), (_l("Owner"), t.owner.display_name),
               (_l("Source"), SOURCE_LABELS.get(t.source, t.source))),
        endpoint="crm_tasks_web.detail", params={"task_id": t.id}, permission=("read", "task"),
        details={"due_at": t.due_at.isoformat(), "owner_id": t.owner_id, "source": t.source,
                 "completed_at": t.completed_at.isoformat() if t.completed_at else None}) for t in rows]


def _opportunities(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from crm.pipeline.labels import LOST_LABELS, stage_label

    rows = first(session, select(Opportunity).where(Opportunity.customer_id == customer_id),
                 Opportunity.created_at, limit, newest_first, Opportunity.id)
    entries = []
    for o in rows:
        stage = stage_label(o.stage)
        facts = [(_l("Stage"), stage)]
        if o.lost_reason:
            facts.append((_l("Lost reason"), LOST_LABELS.get(o.lost_reason, o.lost_reason)))
        entries.append(TimelineEntry(
            kind="opportunity", at=o.created_at, ref_id=o.id, title=f"{o.number} {o.name}", status=o.state,
            status_label=stage, amount=o.amount, facts=tuple(facts),
            endpoint="crm_leads_web.opportunity_detail", params={"opportunity_id": o.id},
            permission=("read", "opportunity"),
            details={"number": o.number, "stage": o.stage.code, "lost_reason": o.lost_reason,
                     "owner_id": o.owner_id}))
    return entries


def _quotes(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from crm.leads.views import QUOTE_STATE_LABELS

    rows = first(session, select(Quote).where(Quote.customer_id == customer_id), Quote.created_at, limit,
                 newest_first, Quote.id)
    return [TimelineEntry(
        kind="quote", at=q.created_at, ref_id=q.id, title=q.label, status=q.state,
        status_label=QUOTE_STATE_LABELS.get(q.state, q.state), amount=q.total,
        endpoint="crm_leads_web.quote_detail", params={"quote_id": q.id}, permission=("read", "quote"),
        details={"number": q.number, "version": q.version, "opportunity_id": q.opportunity_id,
                 "sales_order_id": q.sales_order_id}) for q in rows]


def _orders(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from crm.orders.views import PROGRESS_LABELS, STATE_LABELS

    rows = first(session, select(SalesOrder).where(SalesOrder.customer_id == customer_id), SalesOrder.created_at,
                 limit, newest_first, SalesOrder.id)
    invoice_labels = {"none": _l("not invoiced"), "partial": _l("partly invoiced"), "invoiced": _l("invoiced")}
    return [TimelineEntry(
        kind="order", at=o.created_at, ref_id=o.id, title=o.number, status=o.state,
        status_label=STATE_LABELS.get(o.state, o.state), amount=o.total,
        facts=((_l("Order date"), o.order_date.isoformat()),
               (_l("Shipment"), PROGRESS_LABELS.get(o.shipment_status, o.shipment_status)),
               (_l("Invoicing"), invoice_labels.get(o.invoice_status, o.invoice_status)),
               (_l("Payment"), PROGRESS_LABELS.get(o.payment_status, o.payment_status))),
        endpoint="crm_web.order_detail", params={"order_id": o.id}, permission=("read", "sales_order"),
        details={"number": o.number, "order_date": o.order_date.isoformat(), "shipment_status": o.shipment_status,
                 "invoice_status": o.invoice_status, "payment_status": o.payment_status}) for o in rows]


def _tickets(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from crm.tickets.views import PRIORITY_LABELS, STATUS_LABELS

    rows = first(session, select(Ticket).where(Ticket.customer_id == customer_id), Ticket.created_at, limit,
                 newest_first, Ticket.id)
    return [TimelineEntry(
        kind="ticket", at=t.created_at, ref_id=t.id, title=t.number, status=t.status,
        status_label=STATUS_LABELS.get(t.status, t.status), note=t.subject,
        facts=((_l("Priority"), PRIORITY_LABELS.get(t.priority, t.priority)),
               (_l("Due (China time)"), china_time(t.due_at))),
        endpoint="crm_tickets_web.detail", params={"ticket_id": t.id}, permission=("read", "ticket"),
        details={"number": t.number, "priority": t.priority, "sales_order_id": t.sales_order_id,
                 "satisfaction": t.satisfaction}) for t in rows]


def register(registry: Registry) -> None:
    """crm's own kinds of entry, each a source of the app's timeline (`crm.timeline.wiring`)."""
    for position, (kind, label, fetch, count) in enumerate((
        ("opportunity", _l("Opportunities"), _opportunities, counter(Opportunity, Opportunity.customer_id)),
        ("quote", _l("Quotes"), _quotes, counter(Quote, Quote.customer_id)),
        ("order", _l("Sales orders"), _orders, counter(SalesOrder, SalesOrder.customer_id)),
        ("activity", _l("Activities"), _activities, counter(Activity, Activity.customer_id)),
        ("task", _l("Tasks"), _tasks, counter(Task, Task.customer_id)),
        ("ticket", _l("Tickets"), _tickets, counter(Ticket, Ticket.customer_id)),
    ), start=1):
        registry.timeline_sources.add(TimelineSource(kind, label, fetch, count, position=position * 10))
