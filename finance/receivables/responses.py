"""The receivables reports as files, served alike by the finance pages and by the API: the aging
workbook and the customer statement PDF. Both sides call these builders, so the API never imports a
page module.

They translate the labels, let `aging` and `statements` produce the bytes, and wrap them in a
`Response` with the file's name. The caller checks the permission; `statement_data` reads in the
actor's scope."""

from __future__ import annotations

from datetime import date

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock
from core.web import get_session
from finance import queries
from finance.receivables import aging, statements

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The aging buckets in words, for the aging page, the customer's account panel and the workbook.
BUCKET_LABELS = {"current": _l("Not yet due"), "1_30": _l("1–30 days"), "31_60": _l("31–60 days"),
                 "61_90": _l("61–90 days"), "over_90": _l("Over 90 days")}


def aging_excel_labels() -> dict[str, str]:
    """The column titles of the aging workbook, in the reader's language."""
    return {"code": _("Customer code"), "name": _("Customer"), **{k: str(v) for k, v in BUCKET_LABELS.items()},
            "total": _("Total"), "sales": _("Sales, last %(days)s days", days=queries.DSO_DAYS),
            "dso": _("DSO (days)"), "totals": _("Total"), "sheet": _("Aging"), "as_of": _("As of")}


def aging_workbook_response(rows, totals, as_of: date) -> Response:
    data = aging.aging_workbook(rows, totals, as_of=as_of, labels=aging_excel_labels())
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="aging-{as_of.isoformat()}.xlsx"'})


def statement_response(actor, customer_id: int, start: date | None, end: date | None) -> Response:
    """The customer statement PDF; the period defaults to the current month up to today."""
    end = end or clock.today()
    start = start or end.replace(day=1)
    data = statements.statement_data(get_session(), actor, customer_id, start=start, end=end)
    return Response(statements.render_statement(data), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="statement-{data.customer_code}-{end.isoformat()}.pdf"'})
