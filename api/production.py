"""BOMs and work orders."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from core.queries import paginate
from core.schemas import Id
from core.web import get_session, get_uow, scoped
from production import execution, services
from production.models import Bom, WorkOrder
from production.schemas import (
    BomSchema,
    CompleteWorkOrderSchema,
    CreateBomSchema,
    ReleaseWorkOrderSchema,
    WorkOrderSchema,
)

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("production", __name__, description="BOMs and work orders")


class BomArgs(PageArgs):
    product_id = Id()
    active = fields.Boolean()


class WorkOrderArgs(PageArgs):
    sales_order_id = Id()
    sales_order_line_id = Id()
    parent_work_order_id = Id()
    product_id = Id()
    state = fields.String()


def _filtered(stmt, model, filters: dict):
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    return stmt


@blp.route("/boms")
class Boms(MethodView):
    @blp.arguments(BomArgs, location="query")
    @blp.response(200, page_schema(BomSchema))
    def get(self, args):
        """BOMs, filtered by product and whether active."""
        page, per_page = args.pop("page"), args.pop("per_page")
        stmt = _filtered(scoped(g.actor, "bom", select(Bom)), Bom, args).order_by(Bom.product_id, Bom.id)
        return page_body(paginate(get_session(), stmt, page, per_page))

    @idempotent
    @blp.arguments(CreateBomSchema)
    @blp.response(201, BomSchema)
    @blp.alt_response(422, description="A field is not valid, or the BOM would make a cycle")
    def post(self, data):
        """Create the active BOM of a make product (the previous one steps down)."""
        return services.create_bom(get_uow(), data)


@blp.route("/boms/<int:bom_id>")
class BomItem(MethodView):
    @blp.response(200, BomSchema)
    def get(self, bom_id):
        """One BOM with its components."""
        return services.get_bom(get_uow(), bom_id)


@blp.route("/work-orders")
class WorkOrders(MethodView):
    @blp.arguments(WorkOrderArgs, location="query")
    @blp.response(200, page_schema(WorkOrderSchema))
    def get(self, args):
        """Work orders, filtered by the sales order they serve, state or product."""
        page, per_page = args.pop("page"), args.pop("per_page")
        stmt = _filtered(scoped(g.actor, "work_order", select(WorkOrder)), WorkOrder, args).order_by(WorkOrder.id)
        return page_body(paginate(get_session(), stmt, page, per_page))


@blp.route("/work-orders/<int:work_order_id>")
class WorkOrderItem(MethodView):
    @blp.response(200, WorkOrderSchema)
    def get(self, work_order_id):
        """One work order with its components."""
        return services.get_work_order(get_uow(), work_order_id)


@blp.route("/work-orders/<int:work_order_id>/release")
class ReleaseWorkOrder(MethodView):
    @blp.arguments(ReleaseWorkOrderSchema)
    @blp.response(200, WorkOrderSchema)
    @blp.alt_response(409, description="`components_not_reserved` (without an override), or not planned")
    def post(self, data, work_order_id):
        """Release a planned work order. Every component must be reserved, unless an admin (the production
        manager) gives an `override_reason`."""
        return execution.release_work_order(get_uow(), work_order_id, override_reason=data.get("override_reason"))


@blp.route("/work-orders/<int:work_order_id>/start")
class StartWorkOrder(MethodView):
    @blp.response(200, WorkOrderSchema)
    @blp.alt_response(409, description="`components_not_reserved`, or not released")
    def post(self, work_order_id):
        """Start a released work order: its reserved components are issued to work in progress."""
        return execution.start_work_order(get_uow(), work_order_id)


@blp.route("/work-orders/<int:work_order_id>/complete")
class CompleteWorkOrder(MethodView):
    @blp.arguments(CompleteWorkOrderSchema)
    @blp.response(200, WorkOrderSchema)
    @blp.alt_response(409, description="`over_completion` beyond the work order's quantity, or not started")
    def post(self, data, work_order_id):
        """Complete `qty` (partial allowed): finished goods into stock at the rolled-up cost, reserved for the
        demand the work order serves (the parent's component or the sales order line)."""
        return execution.complete_work_order(get_uow(), work_order_id, qty=data["qty"])


@blp.route("/work-orders/<int:work_order_id>/cancel")
class CancelWorkOrder(MethodView):
    @blp.response(200, WorkOrderSchema)
    @blp.alt_response(409, description="A started (or finished) work order cannot be cancelled")
    def post(self, work_order_id):
        """Cancel a work order that has not started: its locks are released and its plans cancelled."""
        return execution.cancel_work_order(get_uow(), work_order_id)
