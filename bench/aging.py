"""The receivable aging report over 100,000 invoices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from bench import Figure, Target, measure
from core.app import create_app
from core.config import Settings
from core.db import make_engine, make_sessionmaker, utcnow
from core.models import Customer, Role, User
from finance.models import Invoice
from finance.queries import BUCKETS, aging
from finance.receivables import aging as reports

INVOICES, CUSTOMERS = 100_000, 2_000
AS_OF = date(2027, 6, 30)
DAYS = 400  # invoice dates spread over the days before AS_OF
TITLE = "Receivable aging report"
DESCRIPTION = (f"`finance.queries.aging` (what `GET /receivables/aging` and the aging page call) on {AS_OF} over "
               f"{INVOICES:,} invoices of {CUSTOMERS:,} customers, written untimed with bulk Core inserts: dated "
               f"over the {DAYS} days before, due 30 days later, 70% posted, 10% partially paid, 20% paid. One "
               "grouped SQL query sums the open amount per customer into the five buckets and the credit sales of "
               "the last 90 days (for DSO); Python only builds one row per customer. Then the same report as an "
               "Excel workbook (`finance.receivables.aging.aging_workbook`, pandas and openpyxl), query included. The "
               "totals are checked against a plain SUM of the open amounts.")
DATABASES = ("sqlite", "postgresql")


def _load(session) -> None:
    now = utcnow()
    customers = session.execute(insert(Customer.__table__).returning(Customer.id, sort_by_parameter_order=True), [
        {"code": f"AG{n:05d}", "name": f"Aging customer {n}", "tags": [], "credit_limit": Decimal(0),
         "payment_terms_days": 30, "tier": "B", "lifecycle_stage": "target", "currency": "CNY", "active": True,
         "credit_hold": False, "created_at": now} for n in range(CUSTOMERS)]).scalars().all()
    batch = []
    for n in range(INVOICES):
        day = AS_OF - timedelta(days=n * 7919 % DAYS)
        total = Decimal(100 + n * 37 % 9_900) + Decimal(n % 100) / 100
        kind = n % 10
        state, paid = ("paid", total) if kind < 2 else ("partially_paid", (total / 2).quantize(Decimal("0.01"))) \
            if kind == 2 else ("posted", Decimal(0))
        batch.append({"number": f"INV-B-{n:07d}", "customer_id": customers[(n * 31 + n // CUSTOMERS) % CUSTOMERS], "state": state,
                      "invoice_date": day, "due_date": day + timedelta(days=30), "currency": "CNY",
                      "untaxed": total, "tax": Decimal(0), "total": total, "paid_amount": paid, "created_at": now})
        if len(batch) == 10_000:
            session.execute(insert(Invoice.__table__), batch)
            batch = []
    if batch:
        session.execute(insert(Invoice.__table__), batch)
    session.commit()


def run(target: Target) -> list[Figure]:
    settings = Settings.from_env({"DATABASE_URL": target.url, "SECRET_KEY": "bench-secret",
                                  "INSTANCE_PATH": str(target.workdir / "instance")})
    app = create_app(settings)  # its registry holds the modules' permissions, finance's `receivable` among them
    app.extensions["db"].engine.dispose()
    engine = make_engine(target.url)
    session = make_sessionmaker(engine)()
    try:
        _load(session)
        # the aging query reads the permissions of the app it runs in, from the session (measure runs the
        # call in a thread of its own, outside the app context)
        session.info["registry"] = app.extensions["registry"]
        return _measure(session, target.label)
    finally:
        session.close()
        engine.dispose()


def _measure(session, label: str) -> list[Figure]:
    actor = User(username="bench-finance", role=Role.FINANCE, active=True)
    expected = session.scalar(select(func.sum(Invoice.total - Invoice.paid_amount))
                              .where(Invoice.state.in_(("posted", "partially_paid"))))
    session.rollback()
    found: dict = {}

    def report() -> None:
        rows, totals = aging(session, actor, as_of=AS_OF)
        session.rollback()  # a fresh snapshot for each call, as a request would have
        found.update(rows=len(rows), total=totals.total, dso=totals.dso)

    labels = {key: key for key in (*BUCKETS, "code", "name", "total", "sales", "dso", "totals", "as_of")} | {"sheet": "Aging"}

    def workbook() -> None:
        rows, totals = aging(session, actor, as_of=AS_OF)
        session.rollback()
        found["bytes"] = len(reports.aging_workbook(rows, totals, as_of=AS_OF, labels=labels))

    figures = []
    for name, call in ((f"aging of {INVOICES:,} invoices", report), ("aging as Excel workbook", workbook)):
        run_ = measure(call, warmup=1)
        figure = Figure(TITLE, label, name, run_.count, run_.seconds, "reports/s", run_.latencies_ms)
        figure.value = f"p50 {figure.percentile(50):,.0f} ms"
        if found["total"] != expected:
            figure.error = f"the buckets add up to {found['total']}, the open invoices to {expected}"
        figure.note = (f"{found['rows']:,} customers, {found['total']:,} open, DSO {found['dso']} days"
                       + (f"; {found['bytes'] // 1024:,} KiB" if "bytes" in found and "Excel" in name else ""))
        figures.append(figure)
    return figures
