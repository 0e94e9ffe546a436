"""E-mail through the outbox.

An act that sends mail writes the message (`core.models.MailMessage`: subject, recipients, body and
one attachment) and an outbox message `mail.send` naming it, in its own transaction, so a mail is
never lost when a worker or the mail server is down, and never sent for an act that rolled back.
The consumer (`MailSender`, subscribed by the app factory) delivers it:

- with `SMTP_HOST` set, through that server (`smtplib`: TLS from the start on port 465, else STARTTLS
  when the server offers it; a login when `SMTP_USER` is set). A server that refuses or cannot be
  reached raises, so the outbox keeps the message and the next sweep tries again;
- without it (the embedded default), the message stays in the database as it is, marked `stored`,
  and the "Sent mail" page shows it with its attachment.

Either way `sent_at` and `transport` record what happened, and a message already sent is not sent
again when the outbox redelivers."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.models import MailMessage
from core.uow import UnitOfWork

TOPIC = "mail.send"
SMTP_TIMEOUT = 30  # seconds


def queue_mail(uow: UnitOfWork, *, kind: str, subject: str, recipients: Sequence[str], body: str = "",
               attachment: bytes | None = None, attachment_name: str | None = None,
               attachment_type: str | None = None, key: str | None = None) -> MailMessage:
    """Write one e-mail and its `mail.send` outbox message in the caller's transaction (the caller
    commits). `key`, when given, is unique: a second message with it fails the commit."""
    mail = MailMessage(kind=kind, key=key, subject=subject, recipients=list(recipients), body=body,
                       attachment=attachment, attachment_name=attachment_name, attachment_type=attachment_type)
    uow.session.add(mail)
    uow.session.flush()  # its id, for the outbox message
    uow.enqueue(TOPIC, {"mail_id": mail.id})
    return mail


def compose(mail: MailMessage, sender: str) -> EmailMessage:
    """The message as it goes over SMTP: plain text, with the attachment when there is one."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = ", ".join(mail.recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.body or "")
    if mail.attachment is not None:
        maintype, _, subtype = (mail.attachment_type or "application/octet-stream").partition("/")
        message.add_attachment(mail.attachment, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=mail.attachment_name or "attachment")
    return message


class MailSender:
    """The consumer of `mail.send`, bound to the app's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, session: Session, payload: dict[str, Any], _message_id: int) -> None:
        mail = session.get(MailMessage, payload.get("mail_id"))
        if mail is None or mail.sent_at is not None:
            return
        if self.settings.smtp_host and mail.recipients:
            self.send(compose(mail, self.settings.smtp_from))
            mail.transport = "smtp"
        else:
            mail.transport = "stored"
        mail.sent_at = utcnow()

    def send(self, message: EmailMessage) -> None:
        settings = self.settings
        if settings.smtp_port == 465:
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
        with server:
            server.ehlo()
            if settings.smtp_port != 465 and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password or "")
            server.send_message(message)
