"""The "Sent mail" page: every e-mail the suite wrote (the weekly digest to management), newest first,
whether it went out through the mail server or, without one, is kept here; each with its PDF to open.
Admin may send this week's digest at once. Views parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import NotFound
from core.formatting import china_time
from core.views import act, guard
from core.web import can, get_session, get_uow
from reports import digest

bp = Blueprint("reports_mail_web", __name__, template_folder="templates", url_prefix="/reports")


@bp.route("/sent-mail")
@login_required
def sent_mail():
    guard("read", digest.MAIL_RESOURCE)
    page = digest.sent_mail(get_session(), current_user, page=request.args.get("page", 1, type=int) or 1)
    return render_template("reports/sent_mail.html", page=page, china=china_time,
                           may_send=can(current_user, "create", digest.MAIL_RESOURCE))


@bp.route("/sent-mail/<int:mail_id>/attachment")
@login_required
def attachment(mail_id: int):
    guard("read", digest.MAIL_RESOURCE)
    try:
        name, kind, data = digest.mail_attachment(get_session(), current_user, mail_id)
    except NotFound:
        abort(404)
    return Response(data, mimetype=kind, headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/sent-mail/digest", methods=["POST"])
@login_required
def send_digest():
    """Send this week's digest now (admin); nothing when it went out already this week."""
    guard("create", digest.MAIL_RESOURCE)

    def said(mail) -> str:
        if mail is None:
            return _("This week's digest was sent already, or no active management user has an e-mail address.")
        return _("This week's digest was sent to %(recipients)s.", recipients=", ".join(mail.recipients))

    return act(lambda: digest.send_weekly_digest(get_uow()), said, url_for("reports_mail_web.sent_mail"))
