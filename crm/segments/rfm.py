"""RFM segmentation of customers from their orders and payments, computed with pandas.

For every customer with at least one confirmed order (not draft, not cancelled), on the day `as_of`:

- **recency**: days since the last order date (all time);
- **frequency**: orders dated in the window (`WINDOW_DAYS`, 365 days up to `as_of`);
- **monetary**: gross amount of those orders' lines; **paid**: what the customers paid of them
  (the orders' `paid_amount`, reported by finance).

Each measure becomes a score from 1 to 5 by its percentile rank among those customers (ties share a
score; for recency fewer days is better). Segments, first match wins:

| segment | rule |
| --- | --- |
| `dormant` | no order for more than the dormant limit (`DORMANT_AFTER_DAYS`, default 180) |
| `high_value` | R >= 4, F >= 4 and M >= 4 |
| `loyal` | F >= 4 and R >= 3 |
| `at_risk` | R <= 2 and (F >= 3 or M >= 3) |
| `new` | one order in the window and R >= 4 |
| `promising` | R >= 4 |
| `needs_attention` | everybody else |

`refresh` stores the result in `crm_customer_rfm` (replaced as a whole) and runs the dormant-customer
job: a customer who becomes dormant gets the lifecycle stage `dormant` (audited) and its owner a
follow-up task; a dormant customer who orders again is `won` again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from core.db import fit, utcnow
from core.models import Customer, LifecycleStage
from core.uow import UnitOfWork
from crm.orders.models import OrderState, SalesOrder, SalesOrderLine
from crm.segments.models import CustomerRfm
from crm.tasks import services as tasks
from crm.tasks.models import Task, TaskSource

WINDOW_DAYS = 365
DEFAULT_DORMANT_DAYS = 180
FOLLOW_UP_DAYS = 3
ZERO = Decimal("0")
SEGMENTS = ("high_value", "loyal", "promising", "new", "needs_attention", "at_risk", "dormant")
COUNTED_STATES = tuple(s.value for s in OrderState if s not in (OrderState.DRAFT, OrderState.CANCELLED))
COLUMNS = ["customer_id", "last_order_date", "frequency", "monetary", "paid"]


def order_figures(session: Session, *, as_of: date, window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """One row per customer with confirmed orders: last order date, and frequency, monetary and paid
    in the window. One grouped query over the order lines; the database does the summing."""
    start = as_of - timedelta(days=window_days)
    per_order = (select(SalesOrderLine.order_id, func.sum(SalesOrderLine.total).label("amount"))
                 .group_by(SalesOrderLine.order_id).subquery())
    in_window = SalesOrder.order_date > start
    stmt = (select(SalesOrder.customer_id, func.max(SalesOrder.order_date),
                   func.sum(case((in_window, 1), else_=0)),
                   func.sum(case((in_window, per_order.c.amount), else_=0)),
                   func.sum(case((in_window, SalesOrder.paid_amount), else_=0)))
            .join(per_order, per_order.c.order_id == SalesOrder.id)
            .where(SalesOrder.state.in_(COUNTED_STATES), SalesOrder.order_date <= as_of)
            .group_by(SalesOrder.customer_id))
    rows = session.execute(stmt).all()
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    for column in ("monetary", "paid"):  # exact to the cent whatever the backend returns
        frame[column] = [_money(v) for v in frame[column]]
    frame["last_order_date"] = [_day(v) for v in frame["last_order_date"]]
    frame["frequency"] = frame["frequency"].astype("int64")
    return frame


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """1-5 by percentile rank; equal values get the same score."""
    if values.empty:
        return pd.Series([], dtype="int64")
    ranks = values.rank(method="max", pct=True, ascending=higher_is_better)
    return ranks.map(lambda pct: min(5, max(1, math.ceil(pct * 5)))).astype("int64")


def segment_of(r: int, f: int, m: int, frequency: int, recency_days: int, dormant_days: int) -> str:
    if recency_days > dormant_days:
        return "dormant"
    if r >= 4 and f >= 4 and m >= 4:
        return "high_value"
    if f >= 4 and r >= 3:
        return "loyal"
    if r <= 2 and (f >= 3 or m >= 3):
        return "at_risk"
    if frequency == 1 and r >= 4:
        return "new"
    if r >= 4:
        return "promising"
    return "needs_attention"


def compute(session: Session, *, as_of: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
            window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """The RFM table: the figures of `order_figures` plus recency_days, r/f/m scores and segment."""
    frame = order_figures(session, as_of=as_of, window_days=window_days)
    frame["recency_days"] = [(as_of - d).days for d in frame["last_order_date"]]
    frame["r_score"] = _scores(frame["recency_days"], higher_is_better=False)
    frame["f_score"] = _scores(frame["frequency"])
    frame["m_score"] = _scores(frame["monetary"])
    frame["segment"] = [segment_of(r, f, m, n, days, dormant_days) for r, f, m, n, days in zip(
        frame["r_score"], frame["f_score"], frame["m_score"], frame["frequency"], frame["recency_days"],
        strict=True)]
    return frame.sort_values("customer_id", ignore_index=True)


@dataclass(frozen=True)
class RefreshResult:
    customers: int
    by_segment: dict[str, int]
    became_dormant: tuple[int, ...]
    woke_up: tuple[int, ...]


def refresh(uow: UnitOfWork, *, as_of: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
            now: datetime | None = None) -> RefreshResult:
    """Recompute the snapshot and run the dormant-customer job, in one transaction (system job)."""
    session = uow.session
    now = now or utcnow()
    frame = compute(session, as_of=as_of, dormant_days=dormant_days)
    records = [{**row, "as_of": as_of, "computed_at": now}
               for row in frame[["customer_id", "last_order_date", "recency_days", "frequency", "monetary", "paid",
                                 "r_score", "f_score", "m_score", "segment"]].to_dict("records")]
    dormant = {int(c) for c in frame.loc[frame["segment"] == "dormant", "customer_id"]}
    with uow.batch():
        session.execute(delete(CustomerRfm))
        for start in range(0, len(records), 5000):
            session.execute(insert(CustomerRfm), [_plain(r) for r in records[start:start + 5000]])
        became, woke = _follow_lifecycle(uow, dormant, {int(c) for c in frame["customer_id"]}, now=now)
    uow.commit()
    counts = frame["segment"].value_counts().to_dict()
    return RefreshResult(len(frame), {s: int(counts.get(s, 0)) for s in SEGMENTS}, tuple(became), tuple(woke))


def _plain(record: dict) -> dict:
    """numpy scalars to Python ones for the driver."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}


def _follow_lifecycle(uow: UnitOfWork, dormant: set[int], with_orders: set[int], *,
                      now: datetime) -> tuple[list[int], list[int]]:
    """Customers turning dormant get the stage and a follow-up task for their owner; dormant ones
    who ordered again are won again. Customers already in the right stage are left alone, so a
    second run creates no second task."""

    session = uow.session
    became, woke = [], []
    if dormant:
        stmt = (select(Customer).where(Customer.id.in_(dormant), Customer.active.is_(True),
                                       Customer.lifecycle_stage != LifecycleStage.DORMANT.value)
                .order_by(Customer.id))
        for customer in session.scalars(stmt):
            customer.lifecycle_stage = LifecycleStage.DORMANT.value
            became.append(customer.id)
            if customer.owner_id:
                tasks.create_task(uow, None, title=fit(f"Win back dormant customer {customer.name}", Task.title),
                                  owner_id=customer.owner_id, due_at=now + timedelta(days=FOLLOW_UP_DAYS),
                                  customer_id=customer.id, source=TaskSource.DORMANT_CUSTOMER.value,
                                  notes="No order for a long time (RFM segment: dormant).", now=now)
    awake = with_orders - dormant
    if awake:
        stmt = (select(Customer).where(Customer.id.in_(awake),
                                       Customer.lifecycle_stage == LifecycleStage.DORMANT.value)
                .order_by(Customer.id))
        for customer in session.scalars(stmt):
            customer.lifecycle_stage = LifecycleStage.WON.value
            woke.append(customer.id)
    return became, woke


def segment_counts(session: Session, clause=None) -> dict[str, int]:
    stmt = select(CustomerRfm.segment, func.count()).group_by(CustomerRfm.segment)
    if clause is not None:
        stmt = stmt.join(Customer, Customer.id == CustomerRfm.customer_id).where(clause)
    found = dict(session.execute(stmt).all())
    return {s: int(found.get(s, 0)) for s in SEGMENTS}
