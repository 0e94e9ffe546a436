"""Inventory's entries of the customer 360 timeline: the shipments of the customer's orders, dated
when they left, registered into crm's timeline-source registry from `inventory.init_app`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.registry import Registry
from crm.orders.models import SalesOrder
from crm.timeline.registry import TimelineEntry, TimelineSource, first
from inventory.models import Shipment, ShipmentState


def _shipped(customer_id: int):
    return select(Shipment).join(SalesOrder, SalesOrder.id == Shipment.sales_order_id).where(
        SalesOrder.customer_id == customer_id, Shipment.state == ShipmentState.SHIPPED.value)


def _shipments(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from inventory.views import SHIPMENT_STATE_LABELS

    rows = first(session, _shipped(customer_id), Shipment.shipped_at, limit, newest_first, Shipment.id)
    orders = dict(session.execute(select(SalesOrder.id, SalesOrder.number).where(
        SalesOrder.id.in_({s.sales_order_id for s in rows}))).all()) if rows else {}
    return [TimelineEntry(
        kind="shipment", at=s.shipped_at, ref_id=s.id, title=s.number, status=s.state,
        status_label=SHIPMENT_STATE_LABELS.get(s.state, s.state),
        facts=((_l("Sales order"), orders.get(s.sales_order_id, "")), (_l("Lines"), len(s.lines))),
        endpoint="inventory_web.shipment_detail", params={"shipment_id": s.id}, permission=("read", "shipment"),
        details={"sales_order_id": s.sales_order_id, "sales_order_number": orders.get(s.sales_order_id),
                 "backorder_of_id": s.backorder_of_id}) for s in rows]


def _count(session: Session, customer_id: int) -> int:
    return session.scalar(select(func.count()).select_from(_shipped(customer_id).subquery())) or 0


def register(registry: Registry) -> None:
    """Shipments on the customer 360 timeline (from `inventory.init_app`)."""
    registry.timeline_sources.add(TimelineSource("shipment", _l("Shipments"), _shipments, _count, position=35))
