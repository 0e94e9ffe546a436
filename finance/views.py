"""The web UI of finance: credit control on the sales order page (the customer's limit, exposure and
available credit as a fragment, and finance's approval of one order over the limit); receivables,
invoicing shipped orders, payment entry and allocation, and the aging table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import clock
from core import queries as core_queries
from core.errors import DomainError, InvalidInput, NotFound
from core.formatting import money
from core.forms import load_form, load_input
from core.schemas import DATE_MAX, DATE_MIN
from core.views import act, guard, load_or_abort, refusal
from core.web import can, get_session, get_uow
from finance import queries
from finance.credit import holds, services
from finance.invoicing import services as invoicing
from finance.models import InvoiceState, PaymentMethod
from finance.payments import services as payment_services
from finance.receivables import aging as reports
from finance.receivables.responses import BUCKET_LABELS, aging_workbook_response, statement_response
from finance.schemas import (
    AllocateSchema,
    ApproveCreditSchema,
    CreateInvoiceSchema,
    CreatePaymentSchema,
    LiftCreditHoldSchema,
)

bp = Blueprint("finance_web", __name__, template_folder="templates", url_prefix="/finance")


@bp.route("/credit/fragment")
@login_required
def credit_fragment():
    """A customer's credit, for the order page; with the approval form for finance on a draft."""
    guard("read", "credit")
    status = load_or_abort(services.customer_credit, request.args.get("customer_id", type=int))
    return render_template("finance/_credit.html", status=status,
                           sales_order_id=request.args.get("sales_order_id", type=int),
                           draft=request.args.get("state", "draft") == "draft")


@bp.route("/credit-approvals", methods=["POST"])
@login_required
def approve_credit():
    """Finance lets one draft order through the credit limit, with a reason."""
    guard("create", "credit_approval")
    order_id = request.form.get("sales_order_id", type=int)
    if order_id is None:
        abort(400)

    def refuse(exc: DomainError) -> str:
        if isinstance(exc, InvalidInput) and "reason" in exc.fields:
            return _("Give a reason for the approval; nothing was approved.")
        return exc.message

    return act(lambda: services.approve_credit(get_uow(), order_id, **load_form(ApproveCreditSchema, request.form)),
               lambda approval: _("Approved over the credit limit up to %(total)s. The order can now be confirmed.",
                                  total=f"{approval.approved_total:,.2f}"),
               url_for("crm_web.order_detail", order_id=order_id), refuse)


# --------------------------------------------------------------------------- receivables, invoices, payments, aging

INVOICE_STATE_LABELS = {
    InvoiceState.DRAFT: _l("Draft"), InvoiceState.POSTED: _l("Posted"),
    InvoiceState.PARTIALLY_PAID: _l("Partially paid"), InvoiceState.PAID: _l("Paid"),
    InvoiceState.CANCELLED: _l("Cancelled"),
}
METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"), PaymentMethod.CASH: _l("Cash"),
    PaymentMethod.CHEQUE: _l("Cheque"), PaymentMethod.CARD: _l("Card"), PaymentMethod.OTHER: _l("Other"),
}


@bp.app_context_processor
def _finance_labels():
    return {"invoice_state_label": lambda state: INVOICE_STATE_LABELS.get(state, state),
            "payment_method_label": lambda method: METHOD_LABELS.get(method, method)}


def request_day(name: str) -> date | None:
    """A YYYY-MM-DD date of the request's query or form, or None when absent or unreadable."""
    try:
        day = date.fromisoformat(request.values.get(name, "").strip())
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None  # a derived date (an aging bucket) stays in range


@bp.route("/receivables")
@login_required
def receivables():
    """Invoices with filters: search (number or customer), customer, state, overdue only, due date range
    and the customers' sales owner."""
    guard("read", "invoice")
    session = get_session()
    filters = {"state": request.args.get("state") or None, "q": request.args.get("q") or None,
               "customer_id": request.args.get("customer_id", type=int),
               "owner_id": request.args.get("owner_id", type=int),
               "due_from": request_day("due_from"), "due_to": request_day("due_to")}
    overdue = request.args.get("overdue") == "1"
    page = queries.invoices(session, current_user, overdue_on=clock.today() if overdue else None,
                            page=request.args.get("page", 1, type=int), **filters)
    return render_template("finance/receivables.html", page=page, overdue=overdue, **filters,
                           customers=queries.customer_choices(session), owners=core_queries.sales_users(session),
                           states=INVOICE_STATE_LABELS, today=clock.today())


@bp.route("/to-invoice")
@login_required
def to_invoice():
    """Orders with shipped goods not invoiced yet, each with a button to invoice them."""
    guard("create", "invoice")
    return render_template("finance/to_invoice.html", rows=queries.orders_to_invoice(get_session(), current_user),
                           today=clock.today())


@bp.route("/invoices", methods=["POST"])
@login_required
def create_invoice():
    guard("create", "invoice")
    try:
        data = load_form(CreateInvoiceSchema, request.form, checkboxes=["post"])
        with get_uow() as uow:
            invoice = invoicing.create_invoice(uow, data)
    except DomainError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("finance_web.to_invoice"), 303)
    flash(_("Invoice %(number)s created for %(total)s.", number=invoice.number, total=money(invoice.total)),
          "success")
    return redirect(url_for("finance_web.invoice_detail", invoice_id=invoice.id), 303)


@bp.route("/invoices/all", methods=["POST"])
@login_required
def invoice_all():
    """Month-end: invoice every order of the list, each in its own transaction (a refused order leaves
    the others invoiced), dated the chosen day."""
    guard("create", "invoice")
    try:
        asked = load_form(CreateInvoiceSchema(only=("invoice_date", "post")), request.form, checkboxes=["post"])
    except InvalidInput:
        flash(_("Give the invoice date as YYYY-MM-DD; nothing was invoiced."), "error")
        return redirect(url_for("finance_web.to_invoice"), 303)
    day, post = asked["invoice_date"], asked["post"]
    created, refused = [], []
    for order, _amount in queries.orders_to_invoice(get_session(), current_user):
        number = order.number
        try:
            with get_uow() as uow:
                created.append(invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": post,
                                                              "invoice_date": day}).number)
        except DomainError as exc:
            refused.append(f"{number}: {refusal(exc)}")
    if created:
        flash(_("%(count)s invoices created: %(numbers)s.", count=len(created), numbers=", ".join(created)),
              "success")
    for reason in refused:
        flash(_("Not invoiced: %(reason)s", reason=reason), "error")
    if not created and not refused:
        flash(_("Every shipment is invoiced."), "success")
    return redirect(url_for("finance_web.to_invoice"), 303)


@bp.route("/invoices/<int:invoice_id>")
@login_required
def invoice_detail(invoice_id: int):
    guard("read", "invoice")
    invoice = load_or_abort(invoicing.get_invoice, invoice_id)
    allocations = queries.allocations_of_invoice(get_session(), invoice.id)
    return render_template("finance/invoice.html", invoice=invoice, allocations=allocations)


@bp.route("/invoices/<int:invoice_id>/<any(post, discard):action>", methods=["POST"])
@login_required
def invoice_action(invoice_id: int, action: str):
    guard("update", "invoice")
    target = url_for("finance_web.invoice_detail", invoice_id=invoice_id)
    if action == "post":
        return act(lambda: invoicing.post_invoice(get_uow(), invoice_id),
                   lambda invoice: _("Invoice %(number)s posted.", number=invoice.number), target)
    return act(lambda: invoicing.discard_invoice(get_uow(), invoice_id),
               lambda invoice: _("Draft invoice %(number)s discarded.", number=invoice.number), target)


@bp.route("/payments", methods=["GET", "POST"])
@login_required
def payments_page():
    """Payments, newest first, and the form that records a new one."""
    guard("read", "payment")
    form = {}
    errors: dict = {}
    if request.method == "POST":
        guard("create", "payment")
        form = request.form.to_dict()
        try:
            data = load_form(CreatePaymentSchema, request.form, message=payment_services.NOT_RECORDED)
            with get_uow() as uow:
                payment = payment_services.record_payment(uow, data)
            flash(_("Payment %(number)s recorded: %(amount)s.", number=payment.number, amount=money(payment.amount)),
                  "success")
            return redirect(url_for("finance_web.payment_detail", payment_id=payment.id), 303)
        except DomainError as exc:
            errors = exc.fields
            flash(refusal(exc), "error")
    page = queries.payments(get_session(), current_user, customer_id=request.args.get("customer_id", type=int),
                            unapplied=request.args.get("unapplied") == "1", page=request.args.get("page", 1, type=int))
    customers = queries.customer_choices(get_session())
    return render_template("finance/payments.html", page=page, customers=customers, form=form, errors=errors,
                           methods=METHOD_LABELS, today=clock.today()), 422 if errors else 200



@bp.route("/payments/<int:payment_id>")
@login_required
def payment_detail(payment_id: int):
    """A payment, its allocations (with undo), and the customer's open invoices to allocate to."""
    guard("read", "payment")
    payment = load_or_abort(payment_services.get_payment, payment_id)
    undone = {row.reverses_id for row in payment.allocations if row.reverses_id}
    return render_template("finance/payment.html", payment=payment, undone=undone,
                           open_invoices=queries.open_invoices_of(get_session(), payment.customer_id))


@bp.route("/payments/<int:payment_id>/allocate", methods=["POST"])
@login_required
def allocate(payment_id: int):
    """By hand (an amount per invoice) or automatically."""
    guard("update", "payment")
    if request.form.get("auto"):
        def call():
            return payment_services.allocate(get_uow(), payment_id, auto=True)
    else:
        # one `amount-<invoice id>` input per open invoice; those left blank are not allocated to
        wanted = [{"invoice_id": key.removeprefix("amount-"), "amount": value.strip()}
                  for key, value in request.form.items() if key.startswith("amount-") and value.strip()]

        def call():
            asked = load_input(AllocateSchema, {"allocations": wanted}, message="The allocation was not made.")
            return payment_services.allocate(get_uow(), payment_id, allocations=asked["allocations"])
    return act(call, lambda made: _("Allocated %(amount)s to %(count)s invoice(s).",
                                    amount=money(sum((row.amount for row in made), Decimal(0))), count=len(made)),
               url_for("finance_web.payment_detail", payment_id=payment_id))


@bp.route("/payments/<int:payment_id>/allocations/<int:allocation_id>/undo", methods=["POST"])
@login_required
def undo_allocation(payment_id: int, allocation_id: int):
    guard("update", "payment")
    return act(lambda: payment_services.undo_allocation(get_uow(), payment_id, allocation_id),
               lambda reversal: _("Allocation undone: %(amount)s is unapplied again.", amount=money(-reversal.amount)),
               url_for("finance_web.payment_detail", payment_id=payment_id))


@bp.route("/aging")
@login_required
def aging():
    """The aging table with each customer's DSO, the stacked bar chart, and the Excel export button."""
    guard("read", "receivable")
    as_of = request_day("as_of") or clock.today()
    rows, totals = queries.aging(get_session(), current_user, as_of=as_of)
    chart = reports.aging_chart(rows, totals, labels=BUCKET_LABELS, others=_("Other customers"))
    return render_template("finance/aging.html", rows=rows, totals=totals, as_of=as_of, buckets=BUCKET_LABELS,
                           chart=chart, dso_days=queries.DSO_DAYS)


@bp.route("/aging.xlsx")
@login_required
def aging_xlsx():
    guard("read", "receivable")
    as_of = request_day("as_of") or clock.today()
    rows, totals = queries.aging(get_session(), current_user, as_of=as_of)
    return aging_workbook_response(rows, totals, as_of)


@bp.route("/customers/<int:customer_id>/statement.pdf")
@login_required
def customer_statement(customer_id: int):
    guard("read", "receivable")
    try:
        return statement_response(current_user, customer_id, request_day("from"), request_day("to"))
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("core_web.customers_detail", ident=customer_id), 303)


@bp.route("/customers/<int:customer_id>/account")
@login_required
def customer_account(customer_id: int):
    """The customer page's receivables panel: the aging row, DSO, and the statement form."""
    guard("read", "receivable")
    today = clock.today()
    rows, _totals = queries.aging(get_session(), current_user, as_of=today, customer_id=customer_id)
    return render_template("finance/_account.html", row=rows[0] if rows else None, buckets=BUCKET_LABELS,
                           customer_id=customer_id, start=today.replace(day=1), end=today,
                           dso_days=queries.DSO_DAYS)


# --------------------------------------------------------------------------- credit holds and overdue alerts


def _overdue_days() -> int:
    return current_app.config["SETTINGS"].credit_hold_overdue_days


def _sales_customers(user):
    """Sales users see the overdue invoices of the customers in their scope; finance, management and admin all."""
    return None if can(user, "read", "invoice") else queries.sales_customer_ids(user)


def overdue_alert(user) -> tuple[str, str] | None:
    """The home page alert: open invoices past due (a sales user's: of the customers in their scope)."""
    if not can(user, "read", "credit"):
        return None
    count = holds.overdue_count(get_session(), today=clock.today(), customer_ids=_sales_customers(user))
    if not count:
        return None
    return (_("Overdue invoices: %(count)s", count=count),
            url_for("finance_web.overdue"))


@bp.route("/overdue")
@login_required
def overdue():
    """Open invoices past due, oldest due first (a sales rep's: of the customers they own)."""
    guard("read", "credit")
    today = clock.today()
    invoices = queries.overdue_invoices(get_session(), today=today, customer_ids=_sales_customers(current_user))
    return render_template("finance/overdue.html", invoices=invoices, today=today, hold_days=_overdue_days())


@bp.route("/credit-holds")
@login_required
def credit_holds():
    """Customers on credit hold, each with the overdue invoices past the limit and a form to lift the hold."""
    guard("read", "credit_approval")
    session = get_session()
    overdue_by_customer = holds.overdue_past(session, today=clock.today(), days=0)
    return render_template("finance/credit_holds.html", customers=holds.customers_on_hold(session),
                           overdue=overdue_by_customer, hold_days=_overdue_days())


@bp.route("/credit-holds/check", methods=["POST"])
@login_required
def check_credit_holds():
    """Run the nightly overdue check now (month-end), with the same rule and notifications."""
    guard("update", "customer_credit")
    held = holds.hold_overdue_customers(get_uow(), today=clock.today(), days=_overdue_days())
    flash(_("Overdue check done: %(count)s customers put on credit hold.", count=len(held)), "success")
    return redirect(url_for("finance_web.credit_holds"), 303)


@bp.route("/credit-holds/<int:customer_id>/lift", methods=["POST"])
@login_required
def lift_credit_hold(customer_id: int):
    guard("update", "customer_credit")

    def refuse(exc: DomainError) -> str:
        if isinstance(exc, InvalidInput) and "reason" in exc.fields:
            return _("Give a reason for lifting the hold; the customer stays on hold.")
        return refusal(exc)

    return act(lambda: holds.lift_credit_hold(get_uow(), customer_id, **load_form(LiftCreditHoldSchema, request.form),
                                              days=_overdue_days()),
               lambda customer: _("Credit hold lifted for %(name)s.", name=customer.name),
               url_for("finance_web.credit_holds"), refuse)
