"""The sales cube: measures by any dimensions over any days, read from the aggregates.

An answer adds three parts in one SQL statement (one snapshot, so a roll-up committing meanwhile can
neither hide nor double an entry): the month cube for the whole months of the range, the day cube for
the days at its edges, and the entries not rolled up yet. `roll_up` moves pending entries into the cubes
(a Celery beat task runs it every half minute; `POST /reports/refresh` runs it at once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, String, and_, case, cast, false, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import Role, User
from core.money import ZERO
from reports.models import CELL_KEY, Measure, SalesCubeDay, SalesCubeMonth, SalesEntry

#: the dimensions of the cube, in the order the answer lists them
DIMENSIONS = ("source", "tier", "region", "rep", "team", "product_line", "month")
#: the measures of a row (`orders` an integer, the others amounts; `margin` = shipped - cost)
MEASURES = ("orders", "booked", "shipped", "cost", "margin", "invoiced", "collected")
AMOUNTS = ("booked", "shipped", "cost", "invoiced", "collected")
_COLUMN = {"source": "source", "tier": "tier", "region": "region", "rep": "rep_id", "team": "team",
           "product_line": "product_line"}
# a cube keys a missing value as "" (or rep 0)
_NONE_KEY = {"region": "", "rep_id": 0, "team": "", "product_line": ""}


@dataclass(frozen=True)
class Query:
    """What one report asks: a range of days, the dimensions to group by, one value per filtered
    dimension (`month` as YYYY-MM), and who asks (their scope)."""

    date_from: date
    date_to: date
    by: tuple[str, ...] = ()
    filters: dict[str, str | int] = field(default_factory=dict)
    actor: User | None = None


def _waiting(entry: type[SalesEntry]):
    """Entries not rolled up yet (`= false`, which the index on (cubed, id) serves; `IS false` is not)."""
    return entry.cubed == false()


def month_bounds(month: str) -> tuple[date, date]:
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return first, following - timedelta(days=1)


def effective_range(query: Query) -> tuple[date, date]:
    """The range narrowed by a `month` filter."""
    start, end = query.date_from, query.date_to
    if "month" in query.filters:
        first, last = month_bounds(str(query.filters["month"]))
        start, end = max(start, first), min(end, last)
    return start, end


def split_range(start: date, end: date) -> tuple[tuple[str, str] | None, list[tuple[date, date]]]:
    """The whole months inside [start, end] (first and last YYYY-MM) and the day ranges around them."""
    first_full = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after_end = end + timedelta(days=1)
    last_full_end = end if after_end.day == 1 else end.replace(day=1) - timedelta(days=1)
    if first_full > last_full_end:
        return None, [(start, end)] if start <= end else []
    days = []
    if start < first_full:
        days.append((start, first_full - timedelta(days=1)))
    if last_full_end < end:
        days.append((last_full_end + timedelta(days=1), end))
    return (first_full.strftime("%Y-%m"), last_full_end.strftime("%Y-%m")), days


def month_of(session: Session, column):
    """YYYY-MM of a date column, in the database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def scope_clause(actor: User | None, rep_column):
    """A rep reads their own entries, a sales manager the team's reps' (their own without a team)."""
    if actor is None or actor.role not in (Role.SALES_REP, Role.SALES_MANAGER):
        return None
    if actor.role == Role.SALES_MANAGER and actor.team:
        return rep_column.in_(select(User.id).where(User.team == actor.team))
    return rep_column == actor.id


def _filter_clauses(query: Query, table) -> list:
    clauses = []
    for name, value in query.filters.items():
        if name == "month":
            continue
        column = getattr(table, _COLUMN[name])
        clauses.append(column == (int(value) if name == "rep" else value))
    scoped = scope_clause(query.actor, table.rep_id)
    if scoped is not None:
        clauses.append(scoped)
    return clauses


def _parts(session: Session, query: Query) -> list[Select]:
    """The three parts of an answer, each with the same columns: the dimensions (missing values keyed as
    in the cubes), a month, the measures and both order counts."""
    start, end = effective_range(query)
    months, day_ranges = split_range(start, end)
    parts: list[Select] = []

    def dims(table, month_column) -> list:
        return [*(getattr(table, key).label(key) for key in CELL_KEY), month_column.label("month")]

    def sums(table) -> list:
        return [*(getattr(table, name).label(name) for name in AMOUNTS),
                table.orders.label("orders"), table.orders_in_line.label("orders_in_line")]

    if months is not None:
        cube = SalesCubeMonth
        parts.append(select(*dims(cube, cube.month), *sums(cube)).where(
            cube.month >= months[0], cube.month <= months[1], *_filter_clauses(query, cube)))
    if day_ranges:
        cube = SalesCubeDay
        parts.append(select(*dims(cube, month_of(session, cube.day)), *sums(cube)).where(
            or_(*(and_(cube.day >= low, cube.day <= high) for low, high in day_ranges)),
            *_filter_clauses(query, cube)))
    entry = SalesEntry
    if start <= end:
        keyed = [func.coalesce(getattr(entry, key), literal(_NONE_KEY[key])).label(key) if key in _NONE_KEY
                 else getattr(entry, key).label(key) for key in CELL_KEY]
        amounts = [case((entry.measure == name, entry.amount), else_=ZERO).label(name) for name in AMOUNTS]
        parts.append(select(*keyed, cast(month_of(session, entry.day), String).label("month"), *amounts,
                            entry.orders.label("orders"), entry.orders_in_line.label("orders_in_line"))
                     # the day bounds as an expression: the planner then reaches the few pending entries
                     # through their partial index, never through a range of the whole ledger by day
                     .where(_waiting(entry), func.coalesce(entry.day, entry.day).between(start, end),
                            *_filter_clauses(query, entry)))
    return parts


def _key_value(name: str, value):
    """A dimension's value as answered: None where the cubes key a missing value."""
    return (value or None) if name in ("region", "team", "product_line", "rep") else value


def sales(session: Session, query: Query) -> dict:
    """Rows per combination of the `by` dimensions with every measure, and the totals (orders counted
    once however many rows they reach)."""
    parts = _parts(session, query)
    per_line = "product_line" in query.by or "product_line" in query.filters
    if not parts:
        return {"rows": [], "totals": _measures({}, per_line)}
    both = union_all(*parts).subquery()
    group = [getattr(both.c, "rep_id" if name == "rep" else name) for name in query.by]
    measure_sums = [func.sum(getattr(both.c, name)).label(name) for name in (*AMOUNTS, "orders", "orders_in_line")]
    rows = []
    for record in session.execute(select(*group, *measure_sums).group_by(*group)).mappings():
        values = dict(record)
        if all(not values[name] for name in (*AMOUNTS, "orders", "orders_in_line")):
            continue
        row = {name: _key_value(name, values["rep_id" if name == "rep" else name]) for name in query.by}
        row.update(_measures(values, per_line))
        rows.append(row)
    totals_record = session.execute(select(*measure_sums)).mappings().one()
    totals = _measures(dict(totals_record), "product_line" in query.filters)
    rows.sort(key=lambda row: tuple("" if row[name] is None else str(row[name]) for name in query.by))
    _name_reps(session, rows)
    return {"rows": rows, "totals": totals}


def _measures(values: dict, count_per_line: bool) -> dict:
    """The measures of a row; `orders` counts an order once per product line (`count_per_line`) or once."""
    amounts = {name: Decimal(values.get(name) or 0).quantize(Decimal("0.01")) for name in AMOUNTS}
    orders = values.get("orders_in_line" if count_per_line else "orders") or 0
    return {"orders": int(orders), "booked": amounts["booked"], "shipped": amounts["shipped"],
            "cost": amounts["cost"], "margin": amounts["shipped"] - amounts["cost"],
            "invoiced": amounts["invoiced"], "collected": amounts["collected"]}


def _name_reps(session: Session, rows: list[dict]) -> None:
    ids = {row["rep"] for row in rows if row.get("rep")}
    names = {user.id: user.display_name
             for user in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    for row in rows:
        if "rep" in row:
            rep = row.pop("rep")
            row["rep_id"], row["rep_name"] = rep, names.get(rep)


# --------------------------------------------------------------------------- drill-down


def lines(session: Session, query: Query, measure: str) -> Select:
    """The entries behind one cell of one measure (`margin`: the shipped entries and the costs taken off),
    newest first."""
    start, end = effective_range(query)
    entry = SalesEntry
    kinds = (Measure.SHIPPED.value, Measure.COST.value) if measure == "margin" else (measure,)
    amount = case((entry.measure == Measure.COST.value, -entry.amount), else_=entry.amount) \
        if measure == "margin" else entry.amount
    return (select(entry.document, entry.number, entry.day.label("date"), entry.customer_id, entry.product_id,
                   amount.label("amount"), entry.measure)
            .where(entry.measure.in_(kinds), entry.day >= start, entry.day <= end,
                   *_filter_clauses(query, entry))
            .order_by(entry.day.desc(), entry.id.desc()))


# --------------------------------------------------------------------------- roll-up


def _upsert(session: Session, table, keys: Sequence[str], cells: dict[tuple, dict]) -> None:
    if not cells:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counted = (*AMOUNTS, "orders", "orders_in_line")
    rows = [dict(zip(keys, key, strict=True)) | sums for key, sums in cells.items()]
    for start in range(0, len(rows), 1000):  # under either database's limit of bound parameters
        stmt = insert(table.__table__).values(rows[start:start + 1000])
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={
            name: getattr(table.__table__.c, name) + getattr(stmt.excluded, name) for name in counted})
        session.execute(stmt)


def _add_to(cells: dict[tuple, dict], key: tuple, entry: SalesEntry) -> None:
    sums = cells.setdefault(key, {name: ZERO for name in AMOUNTS} | {"orders": 0, "orders_in_line": 0})
    sums[entry.measure] += entry.amount
    sums["orders"] += entry.orders
    sums["orders_in_line"] += entry.orders_in_line


def _cell(entry: SalesEntry) -> tuple:
    return tuple(_NONE_KEY[key] if key in _NONE_KEY and getattr(entry, key) is None else getattr(entry, key)
                 for key in CELL_KEY)


def roll_up(session: Session, *, batch: int = 5000) -> int:
    """Move pending entries into the day and month cubes, `batch` at a time, each batch in its own
    transaction (two workers take disjoint entries). Returns how many entries were rolled up."""
    done = 0
    while True:
        stmt = select(SalesEntry).where(_waiting(SalesEntry)).order_by(SalesEntry.id).limit(batch)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        entries = session.scalars(stmt).all()
        if not entries:
            session.commit()
            return done
        days: dict[tuple, dict] = {}
        months: dict[tuple, dict] = {}
        for entry in entries:
            _add_to(days, (entry.day, *_cell(entry)), entry)
            _add_to(months, (entry.day.strftime("%Y-%m"), *_cell(entry)), entry)
        # in a stable order, so that two workers upserting the same cells never deadlock
        _upsert(session, SalesCubeDay, ("day", *CELL_KEY), dict(sorted(days.items(), key=_sort_key)))
        _upsert(session, SalesCubeMonth, ("month", *CELL_KEY), dict(sorted(months.items(), key=_sort_key)))
        session.execute(update(SalesEntry).where(SalesEntry.id.in_([entry.id for entry in entries]))
                        .values(cubed=True))
        session.commit()
        done += len(entries)


def _sort_key(item: tuple[tuple, dict]) -> tuple:
    return tuple(str(part) for part in item[0])


def pending(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SalesEntry).where(_waiting(SalesEntry))) or 0



def rebuild(session: Session) -> int:
    """Build both cubes again from every entry, in SQL (after a restore, or for a database loaded in
    bulk): empty them, sum the entries per day and per month, mark every entry rolled up."""
    session.execute(SalesCubeDay.__table__.delete())
    session.execute(SalesCubeMonth.__table__.delete())
    entry = SalesEntry
    keyed = [func.coalesce(getattr(entry, key), literal(_NONE_KEY[key])) if key in _NONE_KEY
             else getattr(entry, key) for key in CELL_KEY]
    sums = [*(func.sum(case((entry.measure == name, entry.amount), else_=ZERO)) for name in AMOUNTS),
            func.sum(entry.orders), func.sum(entry.orders_in_line)]
    columns = [*CELL_KEY, *AMOUNTS, "orders", "orders_in_line"]
    for table, period in ((SalesCubeDay, entry.day), (SalesCubeMonth, month_of(session, entry.day))):
        grouped = select(period, *keyed, *sums).group_by(period, *keyed)
        target = table.__table__
        session.execute(target.insert().from_select(
            [target.c.day if table is SalesCubeDay else target.c.month, *(target.c[name] for name in columns)],
            grouped))
    count = session.execute(update(SalesEntry).where(_waiting(SalesEntry)).values(cubed=True)).rowcount
    session.commit()
    return count
