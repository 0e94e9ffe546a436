"""Bank reconciliation: bank accounts and their CSV mappings, statement import (matched, suggested
and unmatched lines), and the actions on a line: confirm, split, create a payment, ignore."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from core.schemas import Id
from core.web import get_uow
from finance.bank import services as bank
from finance.bank.models import LineState
from finance.bank.schemas import (
    BankAccountInputSchema,
    BankAccountSchema,
    BankStatementSchema,
    ConfirmLineSchema,
    IgnoreLineSchema,
    ImportQuerySchema,
    PaymentFromLineSchema,
    RematchSchema,
    SplitLineSchema,
    StatementImportSchema,
    StatementLineSchema,
)

from . import PageArgs, idempotent, page_schema

blp = Blueprint("bank", __name__, description="Bank accounts, statement import and reconciliation")


LINE_COLUMNS = ("id", "statement_id", "row_number", "line_date", "amount", "reference", "counterparty", "bank_line_id",
                "state", "rule", "customer_id", "invoice_ids", "payment_id", "note", "reconciled_at")


def _lines_out(uow, lines) -> list[dict]:
    """The lines as the answer shows them, with the numbers of the invoices they name."""
    invoices = bank.invoices_for(uow, lines)
    out = []
    for line in lines:
        body = {column: getattr(line, column) for column in LINE_COLUMNS}
        body["invoice_numbers"] = [invoices[i].number for i in line.invoice_ids or [] if i in invoices]
        out.append(body)
    return out


@blp.route("/bank-accounts")
class BankAccounts(MethodView):
    @blp.response(200, BankAccountSchema(many=True))
    def get(self):
        """The company's bank accounts and how each bank's CSV export is read."""
        return bank.list_accounts(get_uow())

    @idempotent
    @blp.arguments(BankAccountInputSchema)
    @blp.response(201, BankAccountSchema)
    def post(self, data):
        """A bank account (CNY) with its column mapping: `date`, `amount` or `credit`/`debit`, `reference`,
        `counterparty`, optional `line_id` and `currency`; `date_format` and `decimal_separator`."""
        return bank.create_bank_account(get_uow(), data)


@blp.route("/bank-accounts/<int:account_id>")
class BankAccountDetail(MethodView):
    @blp.response(200, BankAccountSchema)
    def get(self, account_id):
        return bank.get_bank_account(get_uow(), account_id)

    @blp.arguments(BankAccountInputSchema)
    @blp.response(200, BankAccountSchema)
    def patch(self, data, account_id):
        """Change the account or its mapping (what is named is changed)."""
        return bank.update_bank_account(get_uow(), account_id, data)


class StatementFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "the bank's CSV export (UTF-8, with or without BOM, or GB18030)"})


class StatementArgs(PageArgs):
    bank_account_id = Id()


class LineArgs(PageArgs):
    state = fields.String(metadata={"description": ", ".join(s.value for s in LineState)})


@blp.route("/bank-statements")
class BankStatements(MethodView):
    @blp.arguments(StatementArgs, location="query")
    @blp.response(200, page_schema(BankStatementSchema))
    def get(self, args):
        """Imported statements, newest first."""
        items, total = bank.list_statements(get_uow(), bank_account_id=args.get("bank_account_id"),
                                            page=args["page"], per_page=args["per_page"])
        return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}

    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(StatementFileSchema, location="files")
    @blp.response(201, StatementImportSchema)
    @blp.alt_response(200, description="The same file, or only lines imported before: nothing new was created")
    @blp.alt_response(422, description="Missing columns, bad rows (`fields.rows`: row number -> field -> why), "
                                       "a foreign currency or a repeated line; nothing was stored")
    def post(self, query, files):
        """Import a bank CSV (multipart `file`) into `?bank_account_id=`: every line is matched to a payment or an open invoice,
        suggested, or left unmatched. The answer lists the statement's lines by outcome. The same file
        (or lines already imported) creates nothing new."""
        upload = files["file"]
        uow = get_uow()
        result = bank.import_statement(uow, query["bank_account_id"], upload.read(), filename=upload.filename or "")
        body = {"statement": result.statement, "created": result.created, "imported": result.imported,
                "skipped": result.skipped, "counts": result.counts, "matched": [], "suggested": [], "unmatched": []}
        if result.statement is not None:
            lines, _total = bank.list_lines(uow, result.statement.id, page=1, per_page=bank.MAX_LINES)
            for state, out in zip(("matched", "suggested", "unmatched"), (body["matched"], body["suggested"],
                                                                          body["unmatched"]), strict=True):
                out.extend(_lines_out(uow, [line for line in lines if line.state == state]))
        return body, 201 if result.created else 200


@blp.route("/bank-statements/<int:statement_id>")
class BankStatementDetail(MethodView):
    @blp.response(200, BankStatementSchema)
    def get(self, statement_id):
        return bank.get_statement(get_uow(), statement_id)


@blp.route("/bank-statements/<int:statement_id>/lines")
class BankStatementLines(MethodView):
    @blp.arguments(LineArgs, location="query")
    @blp.response(200, page_schema(StatementLineSchema))
    def get(self, args, statement_id):
        """The statement's lines in date order, by state."""
        uow = get_uow()
        bank.get_statement(uow, statement_id)
        lines, total = bank.list_lines(uow, statement_id, state=args.get("state"), page=args["page"],
                                       per_page=args["per_page"])
        return {"items": _lines_out(uow, lines), "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/bank-statements/<int:statement_id>/rematch")
class RematchStatement(MethodView):
    @blp.response(200, RematchSchema)
    def post(self, statement_id):
        """Match the statement's unmatched and suggested lines again against the invoices open now (after
        invoices were posted). Matched, reconciled and ignored lines are not touched, and money that matched
        lines of any statement claim is not claimed again; running it twice changes nothing the second time."""
        result = bank.rematch_statement(get_uow(), statement_id)
        return {"examined": result.examined, "changed": result.changed, "counts": result.counts}


def _line(line_id: int) -> dict:
    uow = get_uow()
    return _lines_out(uow, [bank.get_line(uow, line_id)])[0]


@blp.route("/bank-statement-lines/<int:line_id>/confirm")
class ConfirmLine(MethodView):
    @blp.arguments(ConfirmLineSchema)
    @blp.response(200, StatementLineSchema)
    @blp.alt_response(409, description="`line_closed` (reconciled or ignored before), `nothing_to_confirm`, "
                                       "`not_money_in`, `invoice_not_open`")
    def post(self, data, line_id):
        """One click: the line becomes a payment allocated to the invoices it matched (or `invoice_ids`),
        or is tied to the payment it matched."""
        bank.confirm_line(get_uow(), line_id, invoice_ids=data.get("invoice_ids"))
        return _line(line_id)


@blp.route("/bank-statement-lines/<int:line_id>/split")
class SplitLine(MethodView):
    @blp.arguments(SplitLineSchema)
    @blp.response(200, StatementLineSchema)
    @blp.alt_response(409, description="`over_allocation` or `line_closed`; nothing was changed")
    def post(self, data, line_id):
        """Split the line across invoices of one customer: `allocations: [{invoice_id or invoice_number,
        amount}]`; what is left stays as the customer's unapplied credit."""
        bank.split_line(get_uow(), line_id, data["allocations"])
        return _line(line_id)


@blp.route("/bank-statement-lines/<int:line_id>/create-payment")
class PaymentFromLine(MethodView):
    @blp.arguments(PaymentFromLineSchema)
    @blp.response(200, StatementLineSchema)
    def post(self, data, line_id):
        """A payment of the whole line for `customer_id`, not allocated (unapplied credit)."""
        bank.create_payment_from_line(get_uow(), line_id, customer_id=data["customer_id"])
        return _line(line_id)


@blp.route("/bank-statement-lines/<int:line_id>/ignore")
class IgnoreLine(MethodView):
    @blp.arguments(IgnoreLineSchema)
    @blp.response(200, StatementLineSchema)
    def post(self, data, line_id):
        """Not a customer payment (a bank fee, a transfer between own accounts): ignored, with a reason."""
        bank.ignore_line(get_uow(), line_id, reason=data["reason"])
        return _line(line_id)
