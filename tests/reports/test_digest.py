"""The weekly digest to management: the sales of this month against last month from the sales entries,
the PDF printing the figures of the operations and cash reports, one digest per ISO week whatever runs
the task, delivery through the outbox (SMTP when a server is set, else kept for the "Sent mail" page),
and who reads that page."""

from __future__ import annotations

import re
import socket
import socketserver
import threading
from dataclasses import replace
from datetime import UTC, date
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.mail import MailSender
from core.models import MailMessage, OutboxMessage
from core.outbox import ConsumerRegistry, relay_pending
from reports import digest, tasks
from reports.models import SalesEntry
from tests.conftest import make_user, uow_for
from tests.pdf_checks import assert_chinese_drawn, read
from tests.reports.test_operations import NOW, TODAY, at, books, plant  # noqa: F401  (fixtures)
from tests.web.test_forms import sign_in

D = Decimal
MONDAY = at(TODAY, 8)  # 2026-06-15 08:00 China time, ISO week 2026-W25


def management(db, email: str | None = "boss@example.cn", *, active: bool = True):
    user = make_user(db, "management")
    user.email, user.active = email or "", active
    db.flush()
    return user


class _Keep:
    """The test's session as the relay's session factory (the relay does not close it)."""

    def __init__(self, db):
        self.db = db

    def __call__(self):
        return self

    def __enter__(self):
        return self.db

    def __exit__(self, *exc):
        return False


def relay(db, app) -> int:
    return relay_pending(_Keep(db), app.extensions["outbox_consumers"])


# --------------------------------------------------------------------------- the sales summary


def test_the_sales_summary_sums_each_measure_over_this_month_to_today_and_all_of_last_month(db):
    customer = core_services.create_customer(uow_for(db), {"code": "DG-C", "name": "Digest customer"})
    for measure, day, amount in (("booked", "2026-06-01", "100.00"), ("booked", "2026-06-15", "50.00"),
                                 ("booked", "2026-05-31", "70.00"), ("booked", "2026-05-01", "5.00"),
                                 ("booked", "2026-04-30", "999.00"), ("invoiced", "2026-05-20", "30.00"),
                                 ("collected", "2026-06-10", "20.00"), ("collected", "2026-06-16", "400.00"),
                                 ("shipped", "2026-06-02", "888.00")):
        db.add(SalesEntry(measure=measure, day=date.fromisoformat(day), document="sales_order", document_id=1,
                          number="SO-X", customer_id=customer.id, source="direct", tier="B", amount=D(amount)))
    db.flush()
    assert digest.sales_summary(db, TODAY) == {
        "booked": {"this_month": D("150.00"), "last_month": D("75.00")},
        "invoiced": {"this_month": D("0.00"), "last_month": D("30.00")},
        "collected": {"this_month": D("20.00"), "last_month": D("0.00")},
    }


# --------------------------------------------------------------------------- the PDF


def test_the_digest_pdf_prints_the_months_figures(db, clock, plant, books, tmp_path):  # noqa: F811
    with clock.frozen_at(MONDAY):
        data = digest.digest_data(uow_for(db), today=TODAY)
    page = read(digest.render_digest(data), tmp_path)
    text = re.sub(r"[ \t]+", " ", page.text)
    assert "2026-W25" in text
    # sales: whatever the entries say, as the summary sums them
    for measure in ("booked", "invoiced", "collected"):
        figures = data.sales[measure]
        assert f"{figures['this_month']:,.2f} {figures['last_month']:,.2f}" in text, measure
    # orders: backlog 2 orders 450.00, late 1 order 400.00 (C, 5 days late)
    assert re.search(r"Order backlog 2 450\.00", text)
    assert re.search(r"Late orders 1 400\.00", text)
    c = plant["orders"]["C"]
    assert re.search(rf"{c.number} East 2026-06-10 5 400\.00", text)
    # on time in full: in May A (on time), B, and the books' two orders wanted on their order day and shipped
    # days later; in June H, a day late (C is not complete)
    assert re.search(r"2026-05 4 1 25\.0%", text)
    assert re.search(r"2026-06 1 0 0\.0%", text)
    # cash: receivable 327.70, overdue 126.00, DSO of June 66.9; collected in the week of 06-08 13.00
    assert re.search(r"Receivable 327\.70", text) and re.search(r"Overdue 126\.00", text)
    assert re.search(r"DSO 2026-06 66\.9", text)
    assert re.search(r"week of 2026-06-08 13\.00", text)
    # stock: PUMPS 5760.00, VALVES 2990.00; slow movers OLDPART (80.00, last out 02-01) and GEAR
    assert re.search(r"PUMPS 5,760\.00", text) and re.search(r"VALVES 2,990\.00", text)
    assert re.search(r"OP-OLDPART Oldpart 4 80\.00 2026-02-01", text)
    assert re.search(r"OP-GEAR Gear 10 75\.00", text)
    assert_chinese_drawn(page, "管理周报", "接单", "未交订单")


# --------------------------------------------------------------------------- once a week, through the outbox


def test_the_digest_goes_to_active_management_users_with_an_address_once_per_iso_week(db, app, clock):
    boss = management(db, "boss@example.cn")
    management(db, "deputy@example.cn")
    management(db, None)  # no address
    management(db, "gone@example.cn", active=False)
    make_user(db, "finance").email = "finance@example.cn"
    db.flush()
    with clock.frozen_at(MONDAY):
        sent = digest.send_weekly_digest(uow_for(db))
    assert sent is not None
    assert (sent.kind, sent.key, sent.recipients) == ("weekly_digest", "weekly_digest:2026-W25",
                                                      ["boss@example.cn", "deputy@example.cn"])
    assert sent.attachment.startswith(b"%PDF-") and sent.attachment_name == "digest-2026-W25.pdf"
    assert "2026-W25" in sent.subject
    # the same week again, on Wednesday evening and on Sunday night: nothing more
    for moment in (at(date(2026, 6, 17), 21), at(date(2026, 6, 21), 23)):
        with clock.frozen_at(moment):
            assert digest.send_weekly_digest(uow_for(db)) is None
    assert db.scalar(select(func.count(MailMessage.id))) == 1
    # the next Monday (08:00 China time is still Sunday in UTC): the next week's digest
    with clock.frozen_at(at(date(2026, 6, 22), 8)):
        following = digest.send_weekly_digest(uow_for(db))
    assert following is not None and following.key == "weekly_digest:2026-W26"
    assert boss.email in following.recipients


def test_without_a_mail_server_the_digest_is_kept_as_sent_for_the_page(db, app, clock):
    management(db)
    with clock.frozen_at(MONDAY):
        mail = digest.send_weekly_digest(uow_for(db))
        assert db.scalar(select(OutboxMessage).where(OutboxMessage.topic == "mail.send")).payload == {
            "mail_id": mail.id}
        assert relay(db, app) >= 1
    db.refresh(mail)
    assert (mail.transport, mail.sent_at is not None) == ("stored", True)


def test_nobody_to_receive_it_sends_nothing(db, clock):
    management(db, None)
    with clock.frozen_at(MONDAY):
        assert digest.send_weekly_digest(uow_for(db)) is None
    assert db.scalar(select(func.count(MailMessage.id))) == 0


def test_the_beat_task_sends_once_however_often_it_runs(db, app, clock):
    management(db)
    with app.app_context(), clock.frozen_at(MONDAY):
        assert tasks.send_weekly_digest.run() == 1
        assert tasks.send_weekly_digest.run() == 0
    mail = db.scalar(select(MailMessage))
    assert mail.key == "weekly_digest:2026-W25"
    assert mail.transport == "stored"  # the eager relay delivered it after the task's commit


def test_the_beat_runs_the_digest_on_monday_at_eight_china_time(app):
    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["send-weekly-digest"]
    assert entry["task"] == "reports.send_weekly_digest"
    schedule = entry["schedule"]
    # the schedule reads UTC: Monday 08:00 in China (UTC+8, no daylight saving) is Monday 00:00 UTC
    assert celery.conf.timezone == "UTC"
    moment = MONDAY.astimezone(UTC)
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({moment.isoweekday() % 7}, {moment.hour},
                                                                      {moment.minute})


# --------------------------------------------------------------------------- SMTP


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server to receive one message."""

    received: list[tuple[str, list[str], bytes]] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 test\r\n")
            elif command.startswith(b"MAIL FROM:"):
                sender = line.strip()[10:].decode().strip("<>")
                self.wfile.write(b"250 OK\r\n")
            elif command.startswith(b"RCPT TO:"):
                recipients.append(line.strip()[8:].decode().strip("<>"))
                self.wfile.write(b"250 OK\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                _Smtp.received.append((sender, recipients, data))
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    _Smtp.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_with_a_mail_server_the_digest_goes_out_by_smtp_with_the_pdf(db, app, clock, smtp_server):
    management(db, "boss@example.cn")
    with clock.frozen_at(MONDAY):
        mail = digest.send_weekly_digest(uow_for(db))
    settings = replace(app.config["SETTINGS"], smtp_host="127.0.0.1", smtp_port=smtp_server,
                       smtp_from="suite@example.cn")
    consumers = ConsumerRegistry()
    consumers.subscribe("mail.send", "core.send_mail", MailSender(settings))
    with clock.frozen_at(MONDAY):
        assert relay_pending(_Keep(db), consumers) == 1
    db.refresh(mail)
    assert mail.transport == "smtp"
    (sender, recipients, data), = _Smtp.received
    assert (sender, recipients) == ("suite@example.cn", ["boss@example.cn"])
    message = message_from_bytes(data, policy=policy.default)
    assert "2026-W25" in message["Subject"]
    attachment, = message.iter_attachments()
    assert attachment.get_filename() == "digest-2026-W25.pdf"
    assert attachment.get_content() == mail.attachment


def test_a_mail_server_that_cannot_be_reached_leaves_the_mail_pending_for_the_next_sweep(db, app, clock):
    management(db)
    with clock.frozen_at(MONDAY):
        mail = digest.send_weekly_digest(uow_for(db))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    consumers = ConsumerRegistry()
    consumers.subscribe("mail.send", "core.send_mail", MailSender(replace(
        app.config["SETTINGS"], smtp_host="127.0.0.1", smtp_port=closed_port)))
    assert relay_pending(_Keep(db), consumers) == 0
    db.refresh(mail)
    assert (mail.sent_at, mail.transport) == (None, None)
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))
    assert message.delivered_at is None and "Connection" in message.last_error


# --------------------------------------------------------------------------- the page


def test_admin_and_management_read_the_sent_mail_and_open_the_pdf(client, db, app, clock):
    boss = management(db)
    with clock.frozen_at(MONDAY):
        mail = digest.send_weekly_digest(uow_for(db))
        relay(db, app)
    sign_in(client, boss)
    page = client.get("/reports/sent-mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = re.search(rf'<tr data-mail="{mail.id}">(.*?)</tr>', html, re.S).group(1)
    assert "2026-W25" in row and "boss@example.cn" in row and 'data-transport="stored"' in row
    pdf = client.get(f"/reports/sent-mail/{mail.id}/attachment")
    assert (pdf.status_code, pdf.mimetype, pdf.data) == (200, "application/pdf", mail.attachment)
    assert "Send this week" not in html  # management changes nothing
    assert client.get("/reports/sent-mail/999999/attachment").status_code == 404


def test_admin_sends_this_weeks_digest_from_the_page_once(client, db, clock):
    management(db)
    admin = make_user(db, "admin")
    sign_in(client, admin)
    with clock.frozen_at(MONDAY):
        html = client.get("/reports/sent-mail").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        first = client.post("/reports/sent-mail/digest", data={"csrf_token": token})
        second = client.post("/reports/sent-mail/digest", data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert db.scalar(select(func.count(MailMessage.id))) == 1


def test_sales_and_finance_may_not_read_the_sent_mail(app, db):
    for role in ("sales_rep", "finance"):
        client = app.test_client()
        sign_in(client, make_user(db, role))
        assert client.get("/reports/sent-mail").status_code == 403
