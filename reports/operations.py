"""Operations and cash: what is owed to customers and by suppliers and the shop floor, what is late, what
stock is worth, and how the money comes in. Read-only: each figure is one grouped query on the documents
(never all rows into Python), dated in China time (`core.clock`).

Operations (`operations_report`, `GET /reports/operations`):

- backlog: confirmed orders not shipped in full (states confirmed and partially shipped); `amount` is the
  untaxed value of their open quantities, each line's net amount in proportion to its open quantity (an
  order nothing of which shipped counts its whole untaxed amount).
- late orders: those of the backlog whose requested date is before today; `days_late` counts from it.
- on time in full, per month of the last twelve: the orders whose goods completed in that month (the
  China day of the last shipment of an order now shipped or done), and those of them whose last shipment
  was on or before the requested date; `rate` = on time in full / shipped, four decimals.
- stock value per product line: the stock ledger's quantity x unit cost, each move to the cent, as the
  journal values the inventory accounts.
- slow movers: products with stock on hand and no shipment or material issue in the 90 days up to today
  (today and the 89 days before), the most valuable first.
- late purchase orders: confirmed or partly received orders with a line expected before today and not
  received in full; late work orders: planned, released or in progress, due before today.

Cash (`cash_report`, `GET /reports/cash`):

- collected per ISO week: the payments received (their amounts, by payment date), the current week last.
- receivable and overdue today: the open amounts of posted invoices (as the aging report), and those due
  before today.
- DSO per month: receivable at the month's end / credit sales of the 90 days up to it x 90, as
  `finance.queries.AgingRow.dso` computes it (the current month ends today, where it equals the aging
  report's DSO). The receivable at a past month's end is what the books said then: invoices dated up to it
  as issued, less credit notes dated up to it, less what payments had been applied to them by then.

Scope: management, finance and admin read the company; a sales manager the orders of the team's reps, a
sales rep their own (the order's rep; for cash, the customer's owner). Sales users see the order figures
only; warehouse, purchasing and production see the parts their role reads (stock, purchase orders, work
orders, orders). Filters: `product_line` (the order lines, stock, purchase order lines and work orders of
products of that line) and `team` (orders of that team's reps; for cash, customers owned by them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, Numeric, and_, case, distinct, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core import clock
from core.errors import InvalidInput
from core.formatting import CHINA
from core.models import Customer, Product, ProductLine, Role, Supplier, User
from core.money import ZERO, round_money
from core.uow import UnitOfWork
from crm.orders.models import OrderState, SalesOrder, SalesOrderLine
from finance.models import OPEN_INVOICE_STATES, CreditNote, Invoice, InvoiceState, Payment, PaymentAllocation
from finance.queries import BILLED_INVOICE_STATES, DSO_DAYS
from inventory.models import MoveKind, Shipment, ShipmentState, StockBalance, StockMove
from production.models import WorkOrder, WorkOrderState
from purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderState
from reports.cube import month_of, scope_clause
from reports.sales import as_of, report_session

RESOURCE = "operations_report"
CASH_RESOURCE = "cash_report"

BACKLOG_STATES = (OrderState.CONFIRMED.value, OrderState.PARTIALLY_SHIPPED.value)
COMPLETED_STATES = (OrderState.SHIPPED.value, OrderState.DONE.value)
OPEN_PURCHASE_STATES = (PurchaseOrderState.CONFIRMED.value, PurchaseOrderState.PARTIALLY_RECEIVED.value)
OPEN_WORK_STATES = (WorkOrderState.PLANNED.value, WorkOrderState.RELEASED.value, WorkOrderState.IN_PROGRESS.value)
OUTGOING_KINDS = (MoveKind.SHIPMENT.value, MoveKind.ISSUE.value)
SLOW_DAYS = 90
OTIF_MONTHS = 12
LIST_LIMIT = 20  # late orders, purchase orders and work orders: the oldest first
SLOW_LIMIT = 100
#: the parts of the operations report, and what a role must read to see each
SECTIONS = {"orders": "sales_order", "stock": "stock", "purchase_orders": "purchase_order",
            "work_orders": "work_order"}
# sums read back with room for the digits SQLite's floats carry; rounded to the cent in Python
EXACT = Numeric(28, 6)


@dataclass(frozen=True)
class Filters:
    product_line: str | None = None
    team: str | None = None


# --------------------------------------------------------------------------- dates


def china_day(session: Session, moment: Any) -> ColumnElement:
    """The China-time day of a UTC timestamp column, in the database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", moment), type_=Date)
    return func.date(moment, "+8 hours", type_=Date)


def day_starts_at(day: date) -> datetime:
    """The UTC moment a China-time day begins."""
    return datetime.combine(day, time(0), CHINA).astimezone(UTC)


def month_start(day: date, back: int = 0) -> date:
    """The first day of `day`'s month, `back` months earlier."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return month_start(first, -1) - timedelta(days=1)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _money(value: Any) -> Decimal:
    return round_money(Decimal(value or 0))


def dso(receivable: Decimal, sales: Decimal) -> Decimal | None:
    """Days sales outstanding, as `finance.queries.AgingRow.dso`: receivable / credit sales of the last
    DSO_DAYS days x DSO_DAYS, to a tenth of a day; None when nothing was billed in the window."""
    if sales <= 0:
        return None
    return (receivable / sales * DSO_DAYS).quantize(Decimal("0.1"))


# --------------------------------------------------------------------------- scope and filters


def read_filters(session: Session, args: dict) -> Filters:
    """The filters asked; an unknown product line is a 422 naming the field."""
    line = (args.get("product_line") or "").strip() or None
    team = (args.get("team") or "").strip() or None
    if line is not None and session.scalar(select(ProductLine.id).where(ProductLine.code == line)) is None:
        raise InvalidInput({"product_line": [f"There is no product line {line}."]})
    return Filters(line, team)


def visible_sections(uow: UnitOfWork) -> set[str]:
    """The parts of the operations report the reader sees: sales users the orders (theirs or the team's),
    other roles what their role reads; the system all of them."""
    actor = uow.actor
    if actor is None:
        return set(SECTIONS)
    permissions = uow.registry.permissions
    sales_user = actor.role in (Role.SALES_REP, Role.SALES_MANAGER)
    return {name for name, resource in SECTIONS.items()
            if permissions.can(actor, "read", resource) and (name == "orders" or not sales_user)}


def team_reps(team: str):
    return select(User.id).where(User.team == team)


def order_clauses(uow: UnitOfWork, filters: Filters) -> list[ColumnElement[bool]]:
    """The orders the reader sees, of the team asked."""
    clauses = []
    scope = scope_clause(uow.actor, SalesOrder.owner_id)
    if scope is not None:
        clauses.append(scope)
    if filters.team:
        clauses.append(SalesOrder.owner_id.in_(team_reps(filters.team)))
    return clauses


def line_products(line: str):
    return select(Product.id).where(Product.product_line == line)


def customer_clause(uow: UnitOfWork, column: Any, team: str | None) -> ColumnElement[bool]:
    """`column` (a customer id) among the customers whose money the reader sees (by the customer's
    owner), of the team asked."""
    clauses = []
    scope = scope_clause(uow.actor, Customer.owner_id)
    if scope is not None:
        clauses.append(scope)
    if team:
        clauses.append(Customer.owner_id.in_(team_reps(team)))
    return column.in_(select(Customer.id).where(*clauses))


# --------------------------------------------------------------------------- orders


def _open_amount():
    """A line's net amount in proportion to its open quantity."""
    return SalesOrderLine.untaxed * (SalesOrderLine.qty - SalesOrderLine.shipped_qty) / SalesOrderLine.qty


def backlog(session: Session, today: date, clauses: list, product_line: str | None) -> dict:
    """The backlog and the late orders among it, with the first LIST_LIMIT late orders."""
    amount = _open_amount()
    late = SalesOrder.requested_date < today
    where = [SalesOrder.state.in_(BACKLOG_STATES), SalesOrderLine.qty > SalesOrderLine.shipped_qty, *clauses]
    if product_line:
        where.append(SalesOrderLine.product_id.in_(line_products(product_line)))
    orders, total, late_orders, late_total = session.execute(
        select(func.count(distinct(SalesOrder.id)), type_coerce(func.sum(amount), EXACT),
               func.count(distinct(case((late, SalesOrder.id)))),
               type_coerce(func.sum(case((late, amount), else_=literal(0))), EXACT))
        .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id).where(*where)).one()
    rows = session.execute(
        select(SalesOrder.id, SalesOrder.number, Customer.code, Customer.name, SalesOrder.requested_date,
               type_coerce(func.sum(amount), EXACT))
        .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .where(*where, late)
        .group_by(SalesOrder.id, SalesOrder.number, Customer.code, Customer.name, SalesOrder.requested_date)
        .order_by(SalesOrder.requested_date, SalesOrder.id).limit(LIST_LIMIT))
    items = [{"order_id": order_id, "number": number, "customer_code": code, "customer": name,
              "requested_date": requested, "days_late": (today - requested).days, "amount": _money(value)}
             for order_id, number, code, name, requested, value in rows]
    return {"backlog": {"orders": orders or 0, "amount": _money(total)},
            "late_orders": {"orders": late_orders or 0, "amount": _money(late_total), "items": items}}


def otif(session: Session, today: date, clauses: list, product_line: str | None,
         months: int = OTIF_MONTHS) -> list[dict]:
    """Orders shipped in full per month of the last `months` (the current one last), and those on time."""
    first = month_start(today, months - 1)
    last = (select(Shipment.sales_order_id.label("order_id"), func.max(Shipment.shipped_at).label("last_at"))
            .where(Shipment.state == ShipmentState.SHIPPED.value)
            .group_by(Shipment.sales_order_id).subquery("last_shipment"))
    day = china_day(session, last.c.last_at)
    month = month_of(session, day).label("month")
    where = [SalesOrder.state.in_(COMPLETED_STATES), last.c.last_at >= day_starts_at(first), *clauses]
    if product_line:
        where.append(SalesOrder.id.in_(select(SalesOrderLine.order_id)
                                       .where(SalesOrderLine.product_id.in_(line_products(product_line)))))
    found = {row.month: (row.shipped, row.on_time or 0) for row in session.execute(
        select(month, func.count().label("shipped"),
               func.sum(case((day <= SalesOrder.requested_date, 1), else_=0)).label("on_time"))
        .select_from(last).join(SalesOrder, SalesOrder.id == last.c.order_id)
        .where(*where).group_by(month))}
    answer = []
    for back in range(months - 1, -1, -1):
        key = month_start(today, back).strftime("%Y-%m")
        shipped, on_time = found.get(key, (0, 0))
        answer.append({"month": key, "orders_shipped": shipped, "on_time_in_full": on_time,
                       "rate": _rate(on_time, shipped)})
    return answer


# --------------------------------------------------------------------------- stock


def _move_value():
    """A move's value to the cent: quantity x unit cost (as the journal books it)."""
    return func.round(StockMove.qty * func.coalesce(StockMove.unit_cost, 0), 2)


def stock_value(session: Session, product_line: str | None) -> list[dict]:
    """The stock ledger's value per product line (None: products of no line)."""
    stmt = (select(Product.product_line, type_coerce(func.sum(_move_value()), EXACT))
            .join(Product, Product.id == StockMove.product_id).group_by(Product.product_line))
    if product_line:
        stmt = stmt.where(Product.product_line == product_line)
    rows = [{"product_line": line, "value": _money(value)} for line, value in session.execute(stmt)]
    return sorted(rows, key=lambda row: (row["product_line"] is None, row["product_line"] or ""))


def slow_movers(session: Session, today: date, product_line: str | None, *, days: int = SLOW_DAYS,
                limit: int = SLOW_LIMIT) -> list[dict]:
    """Products with stock on hand and no shipment or issue in the `days` days up to today."""
    since = day_starts_at(today - timedelta(days=days - 1))
    on_hand = (select(StockBalance.product_id, func.sum(StockBalance.on_hand).label("on_hand"))
               .group_by(StockBalance.product_id).having(func.sum(StockBalance.on_hand) > 0).subquery("on_hand"))
    issued = (select(StockMove.product_id, func.max(StockMove.created_at).label("last_at"))
              .where(StockMove.kind.in_(OUTGOING_KINDS), StockMove.qty < 0)
              .group_by(StockMove.product_id).subquery("issued"))
    valued = (select(StockMove.product_id, type_coerce(func.sum(_move_value()), EXACT).label("value"))
              .group_by(StockMove.product_id).subquery("valued"))
    stmt = (select(Product.id, Product.sku, Product.name, on_hand.c.on_hand, valued.c.value, issued.c.last_at)
            .join(on_hand, on_hand.c.product_id == Product.id)
            .outerjoin(issued, issued.c.product_id == Product.id)
            .outerjoin(valued, valued.c.product_id == Product.id)
            .where(or_(issued.c.last_at.is_(None), issued.c.last_at < since))
            .order_by(func.coalesce(valued.c.value, 0).desc(), Product.sku).limit(limit))
    if product_line:
        stmt = stmt.where(Product.product_line == product_line)
    return [{"product_id": product_id, "sku": sku, "name": name, "on_hand": Decimal(qty),
             "value": _money(value), "last_issue": last_at.astimezone(CHINA).date() if last_at else None}
            for product_id, sku, name, qty, value, last_at in session.execute(stmt)]


# --------------------------------------------------------------------------- purchasing and production


def late_purchase_orders(session: Session, today: date, product_line: str | None) -> dict:
    """Purchase orders with a line expected before today and not received in full."""
    where = [PurchaseOrder.state.in_(OPEN_PURCHASE_STATES), PurchaseOrderLine.expected_date < today,
             PurchaseOrderLine.qty_received < PurchaseOrderLine.qty]
    if product_line:
        where.append(PurchaseOrderLine.product_id.in_(line_products(product_line)))
    joined = select(PurchaseOrder).join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
    count = session.scalar(joined.with_only_columns(func.count(distinct(PurchaseOrder.id))).where(*where))
    expected = func.min(PurchaseOrderLine.expected_date)
    rows = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, Supplier.code, Supplier.name, expected,
               func.count(PurchaseOrderLine.id))
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id).where(*where)
        .group_by(PurchaseOrder.id, PurchaseOrder.number, Supplier.code, Supplier.name)
        .order_by(expected, PurchaseOrder.id).limit(LIST_LIMIT))
    items = [{"purchase_order_id": po_id, "number": number, "supplier_code": code, "supplier": name,
              "expected_date": day, "days_late": (today - day).days, "late_lines": lines}
             for po_id, number, code, name, day, lines in rows]
    return {"count": count or 0, "items": items}


def late_work_orders(session: Session, today: date, product_line: str | None) -> dict:
    """Work orders not done nor cancelled whose due date is before today."""
    where = [WorkOrder.state.in_(OPEN_WORK_STATES), WorkOrder.due_date < today]
    if product_line:
        where.append(WorkOrder.product_id.in_(line_products(product_line)))
    count = session.scalar(select(func.count(WorkOrder.id)).where(*where))
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.number, Product.sku, Product.name, WorkOrder.qty, WorkOrder.qty_done,
               WorkOrder.due_date, WorkOrder.state)
        .join(Product, Product.id == WorkOrder.product_id).where(*where)
        .order_by(WorkOrder.due_date, WorkOrder.id).limit(LIST_LIMIT))
    items = [{"work_order_id": wo_id, "number": number, "sku": sku, "product": name, "qty": Decimal(qty),
              "qty_done": Decimal(done or 0), "due_date": due, "days_late": (today - due).days, "state": state}
             for wo_id, number, sku, name, qty, done, due, state in rows]
    return {"count": count or 0, "items": items}


# --------------------------------------------------------------------------- the operations report


def operations_report(uow: UnitOfWork, args: dict, *, today: date | None = None) -> dict:
    """`GET /reports/operations`: every part the reader sees (the others are None) and `as_of`."""
    uow.authorize("read", RESOURCE)
    filters = read_filters(uow.session, args)
    session = report_session(uow)
    today = today or clock.today()
    sections = visible_sections(uow)
    answer: dict[str, Any] = {"as_of": as_of(session), "today": today, "product_line": filters.product_line,
                              "team": filters.team, "backlog": None, "late_orders": None, "otif": None,
                              "stock_value": None, "slow_movers": None, "late_purchase_orders": None,
                              "late_work_orders": None}
    if "orders" in sections:
        clauses = order_clauses(uow, filters)
        answer.update(backlog(session, today, clauses, filters.product_line))
        answer["otif"] = otif(session, today, clauses, filters.product_line)
    if "stock" in sections:
        answer["stock_value"] = stock_value(session, filters.product_line)
        answer["slow_movers"] = slow_movers(session, today, filters.product_line)
    if "purchase_orders" in sections:
        answer["late_purchase_orders"] = late_purchase_orders(session, today, filters.product_line)
    if "work_orders" in sections:
        answer["late_work_orders"] = late_work_orders(session, today, filters.product_line)
    return answer


# --------------------------------------------------------------------------- cash


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def collected_by_week(session: Session, today: date, weeks: int, customers: ColumnElement | None) -> list[dict]:
    """Payments received per ISO week, the `weeks` weeks up to the current one (by payment date)."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    last = week_start(today) + timedelta(days=6)
    stmt = (select(Payment.payment_date, type_coerce(func.sum(Payment.amount), EXACT))
            .where(Payment.payment_date >= first, Payment.payment_date <= last).group_by(Payment.payment_date))
    if customers is not None:
        stmt = stmt.where(customers)
    totals = {first + timedelta(weeks=n): ZERO for n in range(weeks)}
    for day, amount in session.execute(stmt):
        totals[week_start(day)] += Decimal(amount or 0)
    return [{"week_start": start, "amount": round_money(amount)} for start, amount in totals.items()]


def receivable_and_overdue(session: Session, today: date, customers: ColumnElement | None) -> tuple[Decimal, Decimal]:
    """The open amounts of posted invoices dated up to today, and of those due before today."""
    open_amount = Invoice.total - Invoice.paid_amount
    stmt = select(type_coerce(func.sum(open_amount), EXACT),
                  type_coerce(func.sum(case((Invoice.due_date < today, open_amount), else_=literal(0))), EXACT)
                  ).where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.invoice_date <= today)
    if customers is not None:
        stmt = stmt.where(customers)
    receivable, overdue = session.execute(stmt).one()
    return _money(receivable), _money(overdue)


def _sums(session: Session, stmt, cases: Iterable) -> list[Decimal]:
    row = session.execute(stmt.with_only_columns(*[type_coerce(func.sum(c), EXACT) for c in cases])).one()
    return [Decimal(value or 0) for value in row]


def dso_by_month(session: Session, today: date, months: int,
                 customers: Callable[[Any], ColumnElement[bool]] | None) -> list[dict]:
    """Receivable at each month's end (today for the current month), the credit sales of the 90 days up
    to it, and DSO, for the `months` months up to the current one. Three grouped queries: invoices as
    issued and the sales window, credit notes, and payment allocations (by when they were applied)."""
    ends = [min(month_end(month_start(today, back)), today) for back in range(months - 1, -1, -1)]
    last = ends[-1]
    zero = literal(0)
    billed = or_(Invoice.state.in_(BILLED_INVOICE_STATES),
                 and_(Invoice.state == InvoiceState.CANCELLED.value, Invoice.posted_at.is_not(None)))
    invoices = select(Invoice.id).where(billed, Invoice.invoice_date <= last)
    notes = select(CreditNote.id).where(CreditNote.credit_date <= last)
    applied = (select(PaymentAllocation.id).join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
               .where(PaymentAllocation.created_at < day_starts_at(last + timedelta(days=1))))
    if customers is not None:
        invoices = invoices.where(customers(Invoice.customer_id))
        notes = notes.where(customers(CreditNote.customer_id))
        applied = applied.where(customers(Invoice.customer_id))
    issued = _sums(session, invoices, [case((Invoice.invoice_date <= end, Invoice.total + Invoice.credited_amount),
                                            else_=zero) for end in ends])
    sales = _sums(session, invoices, [case((and_(Invoice.state.in_(BILLED_INVOICE_STATES),
                                                 Invoice.invoice_date > end - timedelta(days=DSO_DAYS),
                                                 Invoice.invoice_date <= end), Invoice.total), else_=zero)
                                      for end in ends])
    credited = _sums(session, notes, [case((CreditNote.credit_date <= end, CreditNote.total), else_=zero)
                                      for end in ends])
    paid = _sums(session, applied, [case((PaymentAllocation.created_at < day_starts_at(end + timedelta(days=1)),
                                          PaymentAllocation.amount), else_=zero) for end in ends])
    answer = []
    for end, billed_amount, window, credit, allocated in zip(ends, issued, sales, credited, paid, strict=True):
        receivable = round_money(billed_amount - credit - allocated)
        window = round_money(window)
        answer.append({"month": end.strftime("%Y-%m"), "month_end": end, "receivable": receivable, "sales": window,
                       "dso": dso(receivable, window)})
    return answer


def customer_filter(uow: UnitOfWork, team: str | None) -> Callable[[Any], ColumnElement[bool]] | None:
    """A function giving the clause on a customer id column that keeps the reader's customers of the team
    asked; None when the reader sees every customer and no team is asked."""
    if scope_clause(uow.actor, Customer.owner_id) is None and not team:
        return None
    return lambda column: customer_clause(uow, column, team)


def cash_report(uow: UnitOfWork, args: dict, *, today: date | None = None) -> dict:
    """`GET /reports/cash`: money collected per week, receivable and overdue today, DSO per month."""
    uow.authorize("read", CASH_RESOURCE)
    session = report_session(uow)
    today = today or clock.today()
    weeks, months = args.get("weeks") or 12, args.get("months") or 12
    team = (args.get("team") or "").strip() or None
    customers = customer_filter(uow, team)
    receivable, overdue = receivable_and_overdue(session, today, customers(Invoice.customer_id) if customers else None)
    return {"as_of": as_of(session), "today": today, "team": team,
            "collected_by_week": collected_by_week(session, today, weeks,
                                                   customers(Payment.customer_id) if customers else None),
            "receivable": receivable, "overdue": overdue,
            "dso_by_month": dso_by_month(session, today, months, customers)}
