"""Finance: credit control (a customer's exposure, approval of one order over the limit), invoices,
payments and their allocation, receivable aging and the customer summary."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core import clock
from core.schemas import Date, Id
from core.web import get_session, get_uow
from finance import queries
from finance.credit import holds, services
from finance.invoicing import services as invoicing
from finance.payments import services as payments
from finance.plans import services as plans
from finance.plans.schemas import (
    AcceptOrderSchema,
    InstallmentSchema,
    PaymentPlanSchema,
    SetPaymentPlanSchema,
)
from finance.receivables import responses as files
from finance.schemas import (
    AgingSchema,
    AllocateSchema,
    AllocationResultSchema,
    AllocationSchema,
    ApproveCreditSchema,
    CreateInvoiceSchema,
    CreatePaymentSchema,
    CreditApprovalSchema,
    CreditHoldCheckSchema,
    CreditStatusSchema,
    CustomerSummarySchema,
    InvoiceSchema,
    LiftCreditHoldSchema,
    PaymentSchema,
)

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("finance", __name__, description="Credit control, invoices, payments and receivables")


@blp.route("/customers/<int:customer_id>/credit")
class CustomerCredit(MethodView):
    @blp.response(200, CreditStatusSchema)
    def get(self, customer_id):
        """Limit, hold, receivable, unbilled orders, exposure and available credit."""
        return services.customer_credit(get_uow(), customer_id)


@blp.route("/customers/<int:customer_id>/credit-hold/lift")
class LiftCreditHold(MethodView):
    @idempotent
    @blp.arguments(LiftCreditHoldSchema)
    @blp.response(200, CreditStatusSchema)
    def post(self, data, customer_id):
        """Lift the customer's credit hold (finance), with a reason; audited. The invoices overdue past
        `CREDIT_HOLD_OVERDUE_DAYS` now are excused: the daily automatic hold comes back only when another
        invoice goes overdue that long. Lifting a customer not on hold changes nothing."""
        uow = get_uow()
        holds.lift_credit_hold(uow, customer_id, reason=data["reason"],
                               days=current_app.config["SETTINGS"].credit_hold_overdue_days)
        return services.customer_credit(uow, customer_id)


@blp.route("/credit-holds/check")
class CheckCreditHolds(MethodView):
    @blp.response(200, CreditHoldCheckSchema)
    def post(self):
        """Run the daily overdue check now (finance, e.g. at month end): customers with an invoice overdue
        more than `CREDIT_HOLD_OVERDUE_DAYS` go on credit hold, their owner and finance are notified. Running
        it again holds nobody twice."""
        held = holds.hold_overdue_customers(get_uow(), today=clock.today(),
                                            days=current_app.config["SETTINGS"].credit_hold_overdue_days)
        return {"held": [{"customer_id": h.customer_id, "invoice_numbers": list(h.invoice_numbers)} for h in held]}


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


# --------------------------------------------------------------------------- invoices, payments, aging, summary


class InvoiceArgs(PageArgs):
    customer_id = Id()
    sales_order_id = Id()
    state = fields.String(metadata={"description": "draft, posted, partially_paid, paid, cancelled or open"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "open and past due today"})
    q = fields.String()
    due_from = Date(metadata={"description": "due on this day or later"})
    due_to = Date(metadata={"description": "due on this day or earlier"})
    owner_id = Id(metadata={"description": "of the customers this sales user owns"})


class PaymentArgs(PageArgs):
    customer_id = Id()
    unapplied = fields.Boolean(load_default=False, metadata={"description": "only payments with money left"})


class AgingArgs(Schema):
    as_of = Date(load_default=None, metadata={"description": "the day the ages are counted to (today)"})
    customer_id = Id()


@blp.route("/invoices")
class Invoices(MethodView):
    @blp.arguments(InvoiceArgs, location="query")
    @blp.response(200, page_schema(InvoiceSchema))
    def get(self, args):
        """Invoices, newest first, by customer, order, state (`open`: posted or partly paid) or overdue."""
        overdue = clock.today() if args.pop("overdue") else None
        return page_body(queries.invoices(get_session(), g.actor, overdue_on=overdue, **args))

    @idempotent
    @blp.arguments(CreateInvoiceSchema)
    @blp.response(201, InvoiceSchema)
    @blp.alt_response(409, description="`nothing_to_invoice`, `not_invoiceable`, `invoiced_by_payment_plan`, "
                                       "`invoiced_by_lines` or `exceeds_order_amount`")
    def post(self, data):
        """A draft invoice (`post: true` posts it) of what the sales order shipped and is not invoiced yet,
        or of explicit `lines` (`{description, product_id?, qty, unit_price, vat_rate}`) for `customer_id`
        and optionally one of its orders, which they count against (never more than the order's amount
        not invoiced yet). An order with a payment plan is invoiced by its installments only.
        The due date follows the customer's payment terms."""
        return invoicing.create_invoice(get_uow(), data)


@blp.route("/invoices/<int:invoice_id>")
class InvoiceDetail(MethodView):
    @blp.response(200, InvoiceSchema)
    def get(self, invoice_id):
        return invoicing.get_invoice(get_uow(), invoice_id)


@blp.route("/invoices/<int:invoice_id>/post")
class InvoicePost(MethodView):
    @blp.response(200, InvoiceSchema)
    @blp.alt_response(409, description="The invoice is not a draft")
    def post(self, invoice_id):
        """Post a draft: it becomes receivable and the order's invoiced amount grows."""
        return invoicing.post_invoice(get_uow(), invoice_id)


@blp.route("/invoices/<int:invoice_id>/cancel")
class InvoiceCancel(MethodView):
    @blp.response(200, InvoiceSchema)
    @blp.alt_response(409, description="Only a draft is discarded; a posted invoice needs a credit note")
    def post(self, invoice_id):
        """Discard a draft invoice; its shipped quantities can be invoiced again."""
        return invoicing.discard_invoice(get_uow(), invoice_id)


@blp.route("/payments")
class Payments(MethodView):
    @blp.arguments(PaymentArgs, location="query")
    @blp.response(200, page_schema(PaymentSchema))
    def get(self, args):
        """Customer payments, newest first (`unapplied=true`: those with money still to apply)."""
        return page_body(queries.payments(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreatePaymentSchema)
    @blp.response(201, PaymentSchema)
    def post(self, data):
        """Record a customer receipt: `customer_id`, `amount` (> 0), `date`, `method`, `reference`."""
        return payments.record_payment(get_uow(), data)


@blp.route("/payments/<int:payment_id>")
class PaymentDetail(MethodView):
    @blp.response(200, PaymentSchema)
    def get(self, payment_id):
        return payments.get_payment(get_uow(), payment_id)


@blp.route("/payments/<int:payment_id>/allocate")
class PaymentAllocate(MethodView):
    @blp.arguments(AllocateSchema)
    @blp.response(200, AllocationResultSchema)
    @blp.alt_response(409, description="`over_allocation` or `nothing_to_allocate`; nothing was allocated")
    def post(self, data, payment_id):
        """Apply the payment: `allocations: [{invoice_id, amount}]`, or `{"auto": true}` (invoice numbers
        in the reference first, then oldest due first). The rest stays as unapplied credit."""
        made = payments.allocate(get_uow(), payment_id, allocations=data.get("allocations"), auto=data["auto"])
        return {"payment": payments.get_payment(get_uow(), payment_id), "allocations": made}


@blp.route("/payments/<int:payment_id>/allocations/<int:allocation_id>/undo")
class AllocationUndo(MethodView):
    @blp.response(201, AllocationSchema)
    @blp.alt_response(409, description="`already_undone` or `is_reversal`")
    def post(self, payment_id, allocation_id):
        """Undo one allocation with a reversing row; the invoice reopens and the money is unapplied again."""
        return payments.undo_allocation(get_uow(), payment_id, allocation_id)


@blp.route("/receivables/aging")
class Aging(MethodView):
    @blp.arguments(AgingArgs, location="query")
    @blp.response(200, AgingSchema)
    def get(self, args):
        """Open receivable per customer in the buckets `current`, `1_30`, `31_60`, `61_90`, `over_90`
        (days past due on `as_of`)."""
        as_of = args.get("as_of") or clock.today()
        rows, totals = queries.aging(get_session(), g.actor, as_of=as_of, customer_id=args.get("customer_id"))
        return {"as_of": as_of, "items": [row.as_dict() for row in rows], "totals": totals.as_dict()}


@blp.route("/customers/<int:customer_id>/summary")
class CustomerSummary(MethodView):
    @blp.response(200, CustomerSummarySchema)
    def get(self, customer_id):
        """The customer's exposure block: receivable, unbilled, exposure, credit limit, available credit,
        overdue, unapplied credit, and each order's shipment and payment status."""
        return queries.customer_summary(get_session(), g.actor, customer_id)


class StatementArgs(Schema):
    start = Date(data_key="from", load_default=None,
                 metadata={"description": "first day of the period (default: the first of `to`'s month)"})
    end = Date(data_key="to", load_default=None, metadata={"description": "last day of the period (today)"})


def _binary(content_type: str, description: str) -> dict:
    return {"responses": {"200": {"description": description,
                                  "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}}


@blp.route("/receivables/aging.xlsx")
class AgingWorkbook(MethodView):
    @blp.arguments(AgingArgs, location="query")
    @blp.doc(**_binary(files.XLSX, "The aging report as an Excel workbook"))
    def get(self, args):
        """The aging report of `GET /receivables/aging` as an Excel workbook: a row per customer with the
        buckets, total, sales of the last 90 days and DSO, and a totals row."""
        as_of = args.get("as_of") or clock.today()
        rows, totals = queries.aging(get_session(), g.actor, as_of=as_of, customer_id=args.get("customer_id"))
        return files.aging_workbook_response(rows, totals, as_of)


@blp.route("/customers/<int:customer_id>/statement.pdf")
class CustomerStatement(MethodView):
    @blp.arguments(StatementArgs, location="query")
    @blp.doc(**_binary("application/pdf", "The customer statement, Chinese and English"))
    def get(self, args, customer_id):
        """The customer statement of a period (`from`, `to`): opening balance, invoices, payments with the
        invoices they are applied to, closing balance and the aging on `to`."""
        return files.statement_response(g.actor, customer_id, args["start"], args["end"])


# --------------------------------------------------------------------------- payment plans


class InstallmentArgs(PageArgs):
    status = fields.String(metadata={"description": "planned, invoiced, partially_paid or paid"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "open and past due today"})


@blp.route("/sales-orders/<int:order_id>/payment-plan")
class OrderPaymentPlan(MethodView):
    @blp.response(200, PaymentPlanSchema)
    def get(self, order_id):
        """The order's installments, each with its amount, trigger, due date, invoice, status
        (`planned`, `invoiced`, `partially_paid`, `paid`, `cancelled`) and overdue flag."""
        order, plan = plans.get_plan(get_uow(), order_id)
        return plans.plan_view(order, plan, today=clock.today())

    @blp.arguments(SetPaymentPlanSchema)
    @blp.response(200, PaymentPlanSchema)
    @blp.alt_response(409, description="`order_already_invoiced` or `not_plannable`; nothing changed")
    def put(self, data, order_id):
        """Set or replace the plan: `installments: [{label, percent | amount, trigger, days_after, due_date}]`
        or a `template` (`30/60/10`, `30/70`, `50/50`, `100/delivery`). Percentages must make 100% of the
        order total (422 field by field otherwise). Installments already triggered are invoiced at once."""
        plan = plans.set_payment_plan(get_uow(), order_id, data)
        order, plan = plans.get_plan(get_uow(), order_id)
        return plans.plan_view(order, plan, today=clock.today())

    @blp.response(204)
    @blp.alt_response(409, description="`order_already_invoiced`")
    def delete(self, order_id):
        """Remove the plan of an order not invoiced yet (it is then invoiced by its shipments)."""
        plans.remove_payment_plan(get_uow(), order_id)


@blp.route("/sales-orders/<int:order_id>/accept")
class AcceptOrder(MethodView):
    @blp.arguments(AcceptOrderSchema)
    @blp.response(200, PaymentPlanSchema)
    @blp.alt_response(409, description="`no_payment_plan`, `not_delivered` or `already_accepted`")
    def post(self, data, order_id):
        """Mark a fully shipped order accepted by the customer (finance or its sales owner): the installments
        after acceptance are invoiced."""
        plans.accept_order(get_uow(), order_id, on=data.get("accepted_on"))
        order, plan = plans.get_plan(get_uow(), order_id)
        return plans.plan_view(order, plan, today=clock.today())


@blp.route("/payment-installments")
class Installments(MethodView):
    @blp.arguments(InstallmentArgs, location="query")
    @blp.response(200, page_schema(InstallmentSchema))
    def get(self, args):
        """Installments of every payment plan, soonest due first (finance)."""
        return page_body(plans.installments_page(get_session(), g.actor, status=args.get("status"),
                                                 overdue=args["overdue"], page=args["page"],
                                                 per_page=args["per_page"]))
