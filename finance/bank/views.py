"""The web UI of bank reconciliation: bank accounts with their CSV column mapping, statement upload,
and the reconciliation screen (each line beside its candidate matches; confirm with one click
through htmx, split, create a payment, ignore)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from core.errors import DomainError, NotFound
from core.formatting import money
from core.forms import form_input, load_form, load_input
from core.queries import Page
from core.views import guard, load_or_abort, refusal
from core.web import get_session, get_uow
from finance.bank import services as bank
from finance.bank.models import LineState
from finance.bank.schemas import (
    BankAccountInputSchema,
    ConfirmLineSchema,
    CreateBankAccountSchema,
    IgnoreLineSchema,
    PaymentFromLineSchema,
    SplitLineSchema,
)
from finance.models import Payment

bp = Blueprint("bank_web", __name__, template_folder="../templates", url_prefix="/finance/bank")

LINE_STATE_LABELS = {LineState.UNMATCHED: _l("Unmatched"), LineState.SUGGESTED: _l("Suggested"),
                     LineState.MATCHED: _l("Matched"), LineState.RECONCILED: _l("Reconciled"),
                     LineState.IGNORED: _l("Ignored")}
RULE_LABELS = {"payment": _l("a recorded payment of the same amount and reference"),
               "invoice_number": _l("the invoice number in the memo"),
               "amount_and_name": _l("the customer's name and the exact amount"),
               "name": _l("the customer's name"), "amount": _l("the exact amount")}
MAPPING_LABELS = {"date": _l("Date column"), "amount": _l("Amount column (signed)"),
                  "credit": _l("Money in column"), "debit": _l("Money out column"),
                  "reference": _l("Memo or reference column"), "counterparty": _l("Payer name column"),
                  "line_id": _l("Bank line id column"), "currency": _l("Currency column")}
PER_PAGE = 50


@bp.app_context_processor
def _bank_labels():
    return {"line_state_label": lambda state: LINE_STATE_LABELS.get(state, state),
            "match_rule_label": lambda rule: RULE_LABELS.get(rule, rule or "")}


# --------------------------------------------------------------------------- bank accounts


def _save_account(schema, save, *, editing: bool = False) -> tuple[dict, dict | None]:
    """Load the account form through `schema` (the one the service loads) and `save(uow, data)`: the
    values typed (to show again) and, when refused, the messages per field (None when saved). On the
    edit form a field left blank is cleared (and refused where it is required), not left as it was."""
    values, _rows = form_input(schema, request.form, checkboxes=["active"])
    try:
        data = load_form(schema, request.form, checkboxes=["active"], message=bank.NOT_SAVED,
                         blank_as_none=("name", "account_number", "currency", "date_format") if editing else False)
        with get_uow() as uow:
            save(uow, data)
    except DomainError as exc:
        flash(refusal(exc), "error")
        return values, exc.fields
    return values, None


@bp.route("/accounts", methods=["GET", "POST"])
@login_required
def accounts():
    """The bank accounts, and the form for a new one with its column mapping."""
    guard("read", "bank_account")
    values, errors = {}, {}
    if request.method == "POST":
        guard("create", "bank_account")
        values, errors = _save_account(CreateBankAccountSchema, bank.create_bank_account)
        if errors is None:
            flash(_("Bank account %(name)s saved.", name=values["name"]), "success")
            return redirect(url_for("bank_web.accounts"), 303)
    return render_template("finance/bank_accounts.html", accounts=bank.list_accounts(get_uow()), values=values,
                           errors=errors, fields=MAPPING_LABELS), 422 if errors else 200


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@login_required
def account_edit(account_id: int):
    guard("read", "bank_account")
    account = load_or_abort(bank.get_bank_account, account_id)
    errors = {}
    values = {"name": account.name, "account_number": account.account_number, "currency": account.currency,
              "mapping": dict(account.mapping or {}), "date_format": account.date_format,
              "decimal_separator": account.decimal_separator, "active": account.active}
    if request.method == "POST":
        guard("update", "bank_account")
        values, errors = _save_account(BankAccountInputSchema,
                                       lambda uow, data: bank.update_bank_account(uow, account_id, data), editing=True)
        if errors is None:
            flash(_("Bank account %(name)s saved.", name=values.get("name", account.name)), "success")
            return redirect(url_for("bank_web.accounts"), 303)
    return render_template("finance/bank_account.html", account=account, values=values, errors=errors,
                           fields=MAPPING_LABELS), 422 if errors else 200


# --------------------------------------------------------------------------- statements


@bp.route("/statements", methods=["GET", "POST"])
@login_required
def statements():
    """Imported statements, and the upload form."""
    guard("read", "bank_statement")
    report = None
    if request.method == "POST":
        guard("create", "bank_statement")
        upload = request.files.get("file")
        account_id = request.form.get("bank_account_id", type=int)
        if upload is None or not upload.filename or account_id is None:
            flash(_("Choose the bank account and the statement file."), "error")
        else:
            try:
                with get_uow() as uow:
                    result = bank.import_statement(uow, account_id, upload.read(), filename=upload.filename)
            except NotFound:
                abort(404)
            except DomainError as exc:
                flash(exc.message, "error")
                report = exc.fields
            else:
                if result.created:
                    flash(_("%(count)s lines imported: %(matched)s matched, %(suggested)s suggested, "
                            "%(unmatched)s unmatched.", count=result.imported, matched=result.counts["matched"],
                            suggested=result.counts["suggested"], unmatched=result.counts["unmatched"]), "success")
                else:
                    flash(_("This statement was imported before; nothing new was added."), "info")
                if result.statement is not None:
                    return redirect(url_for("bank_web.statement", statement_id=result.statement.id), 303)
    items, total = bank.list_statements(get_uow(), page=request.args.get("page", 1, type=int))
    page = Page(items, total, request.args.get("page", 1, type=int), 25)
    return render_template("finance/bank_statements.html", page=page, report=report,
                           accounts=bank.list_accounts(get_uow(), active_only=True)), 422 if report else 200


@bp.route("/statements/<int:statement_id>")
@login_required
def statement(statement_id: int):
    """The reconciliation screen: the statement's lines (by state) beside their candidate matches."""
    guard("read", "bank_statement")
    record = load_or_abort(bank.get_statement, statement_id)
    state = request.args.get("state") or None
    if state not in {s.value for s in LineState}:
        state = None
    number = request.args.get("page", 1, type=int)
    lines, total = bank.list_lines(get_uow(), statement_id, state=state, page=number, per_page=PER_PAGE)
    return render_template("finance/bank_statement.html", statement=record, lines=lines, state=state,
                           page=Page(lines, total, number, PER_PAGE), counts=bank.state_counts(get_uow(), statement_id),
                           states=LINE_STATE_LABELS, customers=bank.active_customers(get_uow()), **bank.line_references(get_uow(), lines))


@bp.route("/statements/<int:statement_id>/rematch", methods=["POST"])
@login_required
def rematch(statement_id: int):
    """Match the open lines again (after invoices were posted); the page reloads with the outcome."""
    guard("update", "bank_statement")
    try:
        with get_uow() as uow:
            result = bank.rematch_statement(uow, statement_id)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(refusal(exc), "error")
    else:
        if result.changed:
            flash(_("%(examined)s open lines matched again: %(changed)s changed; now %(matched)s matched, "
                    "%(suggested)s suggested, %(unmatched)s unmatched.", examined=result.examined,
                    changed=result.changed, matched=result.counts["matched"], suggested=result.counts["suggested"],
                    unmatched=result.counts["unmatched"]), "success")
        else:
            flash(_("%(examined)s open lines matched again: nothing changed.", examined=result.examined), "info")
    return redirect(url_for("bank_web.statement", statement_id=statement_id,
                            state=request.form.get("return_state") or None), 303)


def _answer(line_id: int, call, success):
    """Run one action on a line: with htmx the line's row comes back (with the outcome in it),
    without it the page is reloaded with a flash message."""
    htmx = request.headers.get("HX-Request") == "true"
    error = message = None
    try:
        with get_uow():  # the scope of the action: a refusal leaves nothing of it in the session
            line = call()
    except NotFound:
        abort(404)
    except DomainError as exc:
        error = refusal(exc)
        line = load_or_abort(bank.get_line, line_id)
    else:
        message = success(line)
    if not htmx:
        flash(error or message, "error" if error else "success")
        return redirect(url_for("bank_web.statement", statement_id=line.statement_id,
                                state=request.form.get("return_state") or None) + f"#line-{line.id}", 303)
    return render_template("finance/_bank_line.html", line=line, error=error, message=message,
                           customers=bank.active_customers(get_uow()),
                           **bank.line_references(get_uow(), [line]))


def _paid(line) -> str:
    payment = get_session().get(Payment, line.payment_id)
    return _("Reconciled: payment %(number)s of %(amount)s.", number=payment.number, amount=money(payment.amount))


@bp.route("/lines/<int:line_id>/confirm", methods=["POST"])
@login_required
def confirm(line_id: int):
    guard("update", "bank_statement")
    def call():  # the invoices ticked on the line (`invoice_id`), or what it matched
        chosen = load_input(ConfirmLineSchema, {"invoice_ids": request.form.getlist("invoice_id")},
                            message="The line was not reconciled.")["invoice_ids"]
        return bank.confirm_line(get_uow(), line_id, invoice_ids=chosen or None)
    return _answer(line_id, call, _paid)


@bp.route("/lines/<int:line_id>/split", methods=["POST"])
@login_required
def split(line_id: int):
    guard("update", "bank_statement")
    # the form's rows of invoice number and amount; a row left blank is not a part
    parts = [{"invoice_number": number.strip(), "amount": amount.strip()} for number, amount
             in zip(request.form.getlist("invoice_number"), request.form.getlist("amount"), strict=False)
             if number.strip() or amount.strip()]

    def call():
        data = load_input(SplitLineSchema, {"allocations": parts}, message="The line was not split.")
        return bank.split_line(get_uow(), line_id, data["allocations"])
    return _answer(line_id, call, _paid)


@bp.route("/lines/<int:line_id>/create-payment", methods=["POST"])
@login_required
def create_payment(line_id: int):
    guard("update", "bank_statement")
    return _answer(line_id, lambda: bank.create_payment_from_line(
        get_uow(), line_id, **load_form(PaymentFromLineSchema, request.form, message="No payment was created.")),
                   _paid)


@bp.route("/lines/<int:line_id>/ignore", methods=["POST"])
@login_required
def ignore(line_id: int):
    guard("update", "bank_statement")
    return _answer(line_id, lambda: bank.ignore_line(
        get_uow(), line_id, **load_form(IgnoreLineSchema, request.form, message="The line was not ignored.")),
                   lambda line: _("Ignored: %(reason)s", reason=line.note))
