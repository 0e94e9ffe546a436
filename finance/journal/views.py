"""The journal's pages (read-only): the chart of accounts with the trial balance, the entries with
filters, and one entry's lines. For finance and management."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import NotFound
from core.models import Customer
from core.views import guard
from core.web import get_session
from finance.journal import booking as journal
from finance.journal.models import Account
from finance.views import request_day

bp = Blueprint("finance_journal_web", __name__, template_folder="../templates", url_prefix="/finance")

SOURCE_LABELS = {"invoice": _l("Invoice"), "credit_note": _l("Credit note"), "payment": _l("Payment"),
                 "allocation": _l("Allocation"), "refund": _l("Refund"), "refund_undone": _l("Refund undone"),
                 "stock_move": _l("Stock move"), "customer_merge": _l("Customer merge"),
                 "opening": _l("Opening balances")}
TYPE_LABELS = {"asset": _l("Asset"), "liability": _l("Liability"), "equity": _l("Equity"),
               "revenue": _l("Revenue"), "expense": _l("Expense")}


@bp.app_context_processor
def _journal_labels():
    def account_name(account: Account) -> str:
        return account.name_zh if str(get_locale() or "").startswith("zh") else account.name_en

    return {"account_name": account_name, "journal_source_label": lambda s: SOURCE_LABELS.get(s, s),
            "account_type_label": lambda t: TYPE_LABELS.get(t, t)}


@bp.route("/accounts")
@login_required
def accounts():
    """The chart of accounts with each account's debits, credits and balance (up to a date)."""
    guard("read", "journal")
    up_to = request_day("up_to")
    rows = journal.trial_balance(get_session(), current_user, up_to=up_to)
    debit = sum((row.debit for row in rows), start=journal.ZERO)
    credit = sum((row.credit for row in rows), start=journal.ZERO)
    return render_template("finance/accounts.html", rows=rows, up_to=up_to, debit=debit, credit=credit)


@bp.route("/journal")
@login_required
def entries():
    """Journal entries, newest first, with filters."""
    guard("read", "journal")
    session = get_session()
    customer_id = request.args.get("customer_id", type=int)
    filters = {"date_from": request_day("from"), "date_to": request_day("to"), "account": request.args.get("account") or None,
               "source_type": request.args.get("source") or None, "customer_id": customer_id,
               "q": request.args.get("q") or None}
    page = journal.entries(session, current_user, **filters, page=request.args.get("page", 1, type=int))
    return render_template("finance/journal.html", page=page, filters=filters,
                           accounts=journal.trial_balance(session, current_user), sources=SOURCE_LABELS,
                           customer=session.get(Customer, customer_id) if customer_id else None)


@bp.route("/journal/<int:entry_id>")
@login_required
def entry_detail(entry_id: int):
    guard("read", "journal")
    session = get_session()
    try:
        entry = journal.get_entry(session, current_user, entry_id)
    except NotFound:
        abort(404)
    customers, products = journal.entry_references(session, entry)
    return render_template("finance/journal_entry.html", entry=entry, customers=customers, products=products,
                           source_url=_source_url(entry))


def _source_url(entry) -> str | None:
    """A link to the document the entry books, where it has a page."""
    if entry.source_type == "invoice":
        return url_for("finance_web.invoice_detail", invoice_id=entry.source_id)
    if entry.source_type == "payment":
        return url_for("finance_web.payment_detail", payment_id=entry.source_id)
    return None
