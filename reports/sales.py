"""The sales cube as a service: who may ask what, the default period, the answer and its `as_of`.

Reports read through `report_session`: the app's own database, or the replica named by
`REPORTS_DATABASE_URL` when a company has outgrown one server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import current_app, g, has_app_context
from sqlalchemy import func, text
from sqlalchemy.orm import Session, sessionmaker

from core import clock
from core.db import make_engine
from core.uow import UnitOfWork
from reports import cube
from reports.schemas import by_dimensions

RESOURCE = "sales_report"
FILTERS = ("source", "tier", "region", "rep", "team", "product_line", "month")


def report_session(uow: UnitOfWork) -> Session:
    """Where reports read: the replica when one is configured (one session per app context, closed with
    it: `close_report_session`), else the unit of work's own session."""
    settings = current_app.config["SETTINGS"] if has_app_context() else None
    if settings is None or not settings.reports_database_url:
        return uow.session
    if "reports_session" not in g:
        factory = current_app.extensions.get("reports_db")
        if factory is None:
            factory = current_app.extensions["reports_db"] = sessionmaker(
                bind=make_engine(settings.reports_database_url), expire_on_commit=False)
        g.reports_session = factory()
    return g.reports_session


def close_report_session(_error: BaseException | None = None) -> None:
    session = g.pop("reports_session", None)
    if session is not None:
        session.close()


def as_of(session: Session) -> datetime:
    """The moment an answer reflects: now on the database itself; on a replica, the last transaction it
    replayed (now when it is idle and caught up)."""
    if session.get_bind().dialect.name == "postgresql":
        replayed = session.scalar(text("SELECT CASE WHEN pg_is_in_recovery() "
                                       "THEN pg_last_xact_replay_timestamp() END"))
        if replayed is not None:
            return replayed.astimezone(UTC)
    return datetime.now(UTC)


def default_period(args: dict) -> tuple[date, date]:
    """The range asked, else the twelve months up to today (from the first of the month a year back)."""
    date_to = args.get("date_to") or clock.today()
    date_from = args.get("date_from") or (date_to.replace(day=1) - timedelta(days=335)).replace(day=1)
    return date_from, date_to


def build_query(uow: UnitOfWork, args: dict) -> cube.Query:
    uow.authorize("read", RESOURCE)
    date_from, date_to = default_period(args)
    filters = {name: args[name] for name in FILTERS if args.get(name) not in (None, "")}
    return cube.Query(date_from=date_from, date_to=date_to, by=by_dimensions(args.get("by", "")),
                      filters=filters, actor=uow.actor)


def sales_report(uow: UnitOfWork, args: dict) -> dict:
    """`GET /reports/sales`: rows by the asked dimensions, totals and `as_of`."""
    query = build_query(uow, args)
    session = report_session(uow)
    answer = cube.sales(session, query)
    answer["as_of"] = as_of(session)
    return answer


def sales_lines(uow: UnitOfWork, args: dict) -> dict:
    """`GET /reports/sales/lines`: the entries behind one cell of one measure, a page at a time."""
    query = build_query(uow, args)
    page, per_page = args.get("page", 1), args.get("per_page", 25)
    session = report_session(uow)
    stmt = cube.lines(session, query, args["measure"])
    total = session.scalar(stmt.with_only_columns(func.count()).order_by(None))
    items = [dict(row) for row in session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).mappings()]
    return {"items": items, "total": total or 0, "page": page, "per_page": per_page}


def refresh(uow: UnitOfWork) -> dict:
    """`POST /reports/refresh`: roll every pending entry into the cubes; once it returns, every report
    reflects all committed data from the cubes alone."""
    uow.authorize("update", RESOURCE)
    rolled = cube.roll_up(uow.session)
    return {"rolled_up": rolled, "as_of": datetime.now(UTC)}
