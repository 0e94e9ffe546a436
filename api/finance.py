"""Credit control: a customer's exposure, and finance's approval of one order over the limit."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from core.web import get_uow
from finance import services
from finance.schemas import ApproveCreditSchema, CreditApprovalSchema, CreditStatusSchema

from . import idempotent

blp = Blueprint("finance", __name__, description="Credit control")


@blp.route("/customers/<int:customer_id>/credit")
class CustomerCredit(MethodView):
    @blp.response(200, CreditStatusSchema)
    def get(self, customer_id):
        """Limit, hold, receivable, unbilled orders, exposure and available credit."""
        return services.customer_credit(get_uow(), customer_id)


@blp.route("/sales-orders/<int:order_id>/credit-approval")
class CreditApproval(MethodView):
    @idempotent
    @blp.arguments(ApproveCreditSchema)
    @blp.response(201, CreditApprovalSchema)
    @blp.alt_response(409, description="The order is not a draft")
    def post(self, data, order_id):
        """Approve this draft order over the customer's credit limit (finance), with a reason.
        The order can then be confirmed as long as its total does not grow."""
        return services.approve_credit(get_uow(), order_id, reason=data["reason"])
