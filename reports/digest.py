"""The weekly digest: on Monday morning management receives the month's figures as a PDF by e-mail.

`digest_data` gathers them for the whole company (the operations and cash reports, and the sales of this
month against last month: the booked, invoiced and collected sales entries summed over each month's
days); `render_digest` prints them with reportlab in the house style of the suite's documents (Chinese
and English labels); `send_weekly_digest` writes the e-mail to every active management user with an
e-mail address through the outbox (`core.mail`: SMTP when configured, else kept for the "Sent mail"
page). One digest per ISO week (China time): the message's key is the week, unique in the database, so
running the task again that week, daily or twice at once, sends nothing more."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock, pdf
from core.errors import NotFound
from core.formatting import CHINA
from core.mail import queue_mail
from core.models import MailMessage, Role, User
from core.money import ZERO
from core.queries import Page, paginate
from core.registry import permissions_of
from core.uow import UnitOfWork
from reports import operations
from reports.models import Measure, SalesEntry
from reports.operations import month_end, month_start

log = logging.getLogger(__name__)

KIND = "weekly_digest"
SALES_MEASURES = (Measure.BOOKED.value, Measure.INVOICED.value, Measure.COLLECTED.value)
TOP = 10  # rows of each list printed


def week_key(day: date) -> str:
    """The ISO week of a day: `2026-W25`."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


# --------------------------------------------------------------------------- the figures


def sales_totals(session: Session, start: date, end: date) -> dict[str, Decimal]:
    """Booked, invoiced and collected from `start` to `end` (both included): the sales entries summed per
    measure over those days, the company's."""
    found = dict(session.execute(
        select(SalesEntry.measure, func.sum(SalesEntry.amount))
        .where(SalesEntry.measure.in_(SALES_MEASURES), SalesEntry.day >= start, SalesEntry.day <= end)
        .group_by(SalesEntry.measure)).all())
    return {measure: Decimal(found.get(measure) or 0).quantize(Decimal("0.01")) for measure in SALES_MEASURES}


def sales_summary(session: Session, today: date) -> dict[str, dict[str, Decimal]]:
    """This month (its first day to today) and the whole of last month, per measure."""
    this_month = sales_totals(session, month_start(today), today)
    last_first = month_start(today, 1)
    last_month = sales_totals(session, last_first, month_end(last_first))
    return {measure: {"this_month": this_month[measure], "last_month": last_month[measure]}
            for measure in SALES_MEASURES}


@dataclass(frozen=True)
class DigestData:
    week: str
    today: date
    printed_at: datetime
    sales: dict[str, dict[str, Decimal]]
    operations: dict[str, Any]
    cash: dict[str, Any]
    company: str = pdf.DEFAULT_COMPANY


def digest_data(uow: UnitOfWork, *, today: date, printed_at: datetime | None = None) -> DigestData:
    """The digest's figures as of `today`, for the whole company (a system act reads everything)."""
    return DigestData(
        week=week_key(today), today=today, printed_at=printed_at or clock.now(),
        sales=sales_summary(uow.session, today),
        operations=operations.operations_report(uow, {}, today=today),
        cash=operations.cash_report(uow, {"weeks": 4, "months": 3}, today=today))


# --------------------------------------------------------------------------- printing

MEASURE_LABELS = {"booked": "接单 Booked", "invoiced": "开票 Invoiced", "collected": "回款 Collected"}
STATES = {"planned": "计划 planned", "released": "已下达 released", "in_progress": "生产中 in progress"}


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


def change(this: Decimal, last: Decimal) -> str:
    """This month against last month, in per cent of last month ('—' when last month had nothing)."""
    if last == 0:
        return "—"
    return f"{((this - last) / last * 100).quantize(Decimal('0.1')):+}%"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else pdf.money(value)


def digest(data: DigestData) -> pdf.Document:
    """The digest as a printed document."""
    ops, cash = data.operations, data.cash
    first = month_start(data.today)
    sections = [pdf.Section(
        title=f"销售 Sales: {first:%Y-%m} 本月至今 this month to date, {month_start(data.today, 1):%Y-%m} 上月 last month",
        columns=(pdf.Column("指标 Measure", 2), pdf.Column("本月 This month", 1.5, numeric=True),
                 pdf.Column("上月 Last month", 1.5, numeric=True), pdf.Column("变化 Change", 1, numeric=True)),
        rows=[[MEASURE_LABELS[m], pdf.money(v["this_month"]), pdf.money(v["last_month"]),
               change(v["this_month"], v["last_month"])] for m, v in data.sales.items()])]

    backlog, late = ops["backlog"], ops["late_orders"]
    order_rows = [
        ["未交订单 Order backlog", str(backlog["orders"]), pdf.money(backlog["amount"])],
        ["逾期订单 Late orders", str(late["orders"]), pdf.money(late["amount"])],
    ]
    sections.append(pdf.Section(title="订单 Orders (不含税 untaxed)", rows=order_rows, columns=(
        pdf.Column("指标 Measure", 2), pdf.Column("订单数 Orders", 1, numeric=True),
        pdf.Column("金额 Amount", 1.5, numeric=True))))

    sections.append(pdf.Section(
        title="准时足量交付 On time in full", columns=(
            pdf.Column("月份 Month", 1), pdf.Column("已发货订单 Orders shipped", 1.5, numeric=True),
            pdf.Column("准时足量 On time in full", 1.5, numeric=True), pdf.Column("比率 Rate", 1, numeric=True)),
        rows=[[row["month"], str(row["orders_shipped"]), str(row["on_time_in_full"]), percent(row["rate"])]
              for row in ops["otif"][-3:]]))

    this_dso = cash["dso_by_month"][-1]
    weeks = cash["collected_by_week"]
    cash_rows = [["应收账款 Receivable", pdf.money(cash["receivable"])],
                 ["逾期应收 Overdue", pdf.money(cash["overdue"])],
                 [f"应收账款周转天数 DSO {this_dso['month']}",
                  "—" if this_dso["dso"] is None else f"{this_dso['dso']}"]]
    cash_rows += [[f"回款 Collected, 周 week of {week['week_start'].isoformat()}", pdf.money(week["amount"])]
                  for week in weeks]
    sections.append(pdf.Section(title="现金 Cash", rows=cash_rows, columns=(
        pdf.Column("指标 Measure", 3), pdf.Column("金额 Amount", 1.5, numeric=True))))

    stock = ops["stock_value"]
    sections.append(pdf.Section(
        title="库存金额 Stock value by product line",
        columns=(pdf.Column("产品线 Product line", 3), pdf.Column("金额 Value", 1.5, numeric=True)),
        rows=[[row["product_line"] or "—", pdf.money(row["value"])] for row in stock],
        totals=["合计 Total", pdf.money(sum((row["value"] for row in stock), ZERO))]))

    slow = ops["slow_movers"]
    sections.append(pdf.Section(
        title=f"呆滞库存 Slow movers: {len(slow)} (90天无出库 nothing issued for 90 days)",
        columns=(pdf.Column("物料 SKU", 1.3), pdf.Column("名称 Name", 2.2), pdf.Column("在库 On hand", 1, numeric=True),
                 pdf.Column("金额 Value", 1.2, numeric=True), pdf.Column("最近出库 Last issue", 1.3)),
        rows=[[row["sku"], row["name"], row["on_hand"], pdf.money(row["value"]),
               row["last_issue"].isoformat() if row["last_issue"] else "—"] for row in slow[:TOP]]))

    sections.append(pdf.Section(
        title=f"逾期订单 Late orders: {late['orders']}",
        columns=(pdf.Column("订单 Order", 1.5), pdf.Column("客户 Customer", 2.5), pdf.Column("要求日期 Requested", 1.3),
                 pdf.Column("逾期天数 Days late", 1, numeric=True), pdf.Column("金额 Amount", 1.3, numeric=True)),
        rows=[[row["number"], row["customer"], row["requested_date"].isoformat(), str(row["days_late"]),
               pdf.money(row["amount"])] for row in late["items"][:TOP]]))

    purchases = ops["late_purchase_orders"]
    sections.append(pdf.Section(
        title=f"逾期采购订单 Late purchase orders: {purchases['count']}",
        columns=(pdf.Column("采购订单 Purchase order", 1.6), pdf.Column("供应商 Supplier", 2.5),
                 pdf.Column("预计到货 Expected", 1.3), pdf.Column("逾期天数 Days late", 1, numeric=True)),
        rows=[[row["number"], row["supplier"], row["expected_date"].isoformat(), str(row["days_late"])]
              for row in purchases["items"][:TOP]]))

    works = ops["late_work_orders"]
    sections.append(pdf.Section(
        title=f"逾期工单 Late work orders: {works['count']}",
        columns=(pdf.Column("工单 Work order", 1.5), pdf.Column("产品 Product", 2), pdf.Column("状态 State", 1.3),
                 pdf.Column("完工日期 Due", 1.2), pdf.Column("逾期天数 Days late", 1, numeric=True)),
        rows=[[row["number"], f"{row['sku']} {row['product']}", STATES.get(row["state"], row["state"]),
               row["due_date"].isoformat(), str(row["days_late"])] for row in works["items"][:TOP]]))

    return pdf.Document(
        title="管理周报 Weekly management digest", number=data.week, company=data.company,
        printed_at=data.printed_at.astimezone(CHINA),
        meta=[("周 Week", f"{data.week} ({data.today.isoformat()})"),
              ("数据截至 As of", data.printed_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")),
              ("币种 Currency", "CNY")],
        sections=sections,
        notes=["金额：销售与订单为不含税金额，现金与应收为含税金额。"
               " Sales and orders are untaxed amounts; cash and receivables are gross amounts."])


def render_digest(data: DigestData) -> bytes:
    return pdf.render(digest(data))


# --------------------------------------------------------------------------- sending


def recipients(session: Session) -> list[str]:
    """The e-mail addresses of the active management users, each once."""
    found = session.scalars(select(User.email).where(User.role == Role.MANAGEMENT.value, User.active.is_(True),
                                                      User.email != "").order_by(User.email))
    return list(dict.fromkeys(address.strip() for address in found if address and address.strip()))


def body(data: DigestData) -> str:
    ops, cash = data.operations, data.cash
    sales = data.sales
    return "\n".join([
        f"管理周报 Weekly management digest {data.week}",
        "",
        f"接单 Booked this month: {pdf.money(sales['booked']['this_month'])} "
        f"(last month {pdf.money(sales['booked']['last_month'])})",
        f"未交订单 Backlog: {ops['backlog']['orders']} orders, {pdf.money(ops['backlog']['amount'])}",
        f"逾期订单 Late orders: {ops['late_orders']['orders']}, {pdf.money(ops['late_orders']['amount'])}",
        f"应收账款 Receivable: {pdf.money(cash['receivable'])}, 逾期 overdue {pdf.money(cash['overdue'])}",
        "",
        "详见附件 The figures are in the attached PDF.",
    ])


def send_weekly_digest(uow: UnitOfWork, *, now: datetime | None = None) -> MailMessage | None:
    """Send this ISO week's digest to management, unless it went out already this week or nobody is to
    receive it (no active management user with an e-mail address). Returns the message, or None."""
    now = now or clock.now()
    today = now.astimezone(CHINA).date()
    week = week_key(today)
    key = f"{KIND}:{week}"
    if uow.session.scalar(select(MailMessage.id).where(MailMessage.key == key)) is not None:
        return None
    to = recipients(uow.session)
    if not to:
        log.info("Weekly digest %s not sent: no active management user has an e-mail address", week)
        return None
    data = digest_data(uow, today=today, printed_at=now)
    mail = queue_mail(uow, kind=KIND, key=key, recipients=to, body=body(data),
                      subject=f"管理周报 Weekly management digest {week}",
                      attachment=render_digest(data), attachment_name=f"digest-{week}.pdf",
                      attachment_type="application/pdf")
    try:
        uow.commit()
    except IntegrityError:  # another run sent this week's digest meanwhile
        return None
    return mail



# --------------------------------------------------------------------------- the sent mail page

MAIL_RESOURCE = "sent_mail"


def sent_mail(session: Session, actor: User | None, *, page: int = 1, per_page: int = 25) -> Page:
    """Every e-mail the suite wrote, the newest first (admin, management)."""
    if actor is not None:
        permissions_of(session).require(actor, "read", MAIL_RESOURCE)
    return paginate(session, select(MailMessage).order_by(MailMessage.id.desc()), page, per_page)


def mail_attachment(session: Session, actor: User | None, mail_id: int) -> tuple[str, str, bytes]:
    """The attachment of one e-mail: its file name, type and bytes."""
    if actor is not None:
        permissions_of(session).require(actor, "read", MAIL_RESOURCE)
    mail = session.get(MailMessage, mail_id)
    if mail is None or mail.attachment is None:
        raise NotFound("attachment of e-mail", mail_id)
    return mail.attachment_name or "attachment", mail.attachment_type or "application/octet-stream", mail.attachment
