"""RFM segmentation over 1,000,000 order lines."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from bench import Figure, Target
from bench._order_to_plan import Suite, one_transaction
from core import services as core_services
from core.db import utcnow
from core.models import Customer
from crm.orders.models import SalesOrder, SalesOrderLine
from crm.segments import rfm
from crm.segments.models import CustomerRfm
from inventory import services as inventory

TITLE = "RFM segmentation"
CUSTOMERS, ORDERS, LINES_PER_ORDER = 20_000, 250_000, 4
LINES = ORDERS * LINES_PER_ORDER
AS_OF = date(2027, 6, 30)
DESCRIPTION = (f"`crm.segments.rfm.refresh` as the nightly beat task runs it, over {LINES:,} order lines "
               f"({ORDERS:,} confirmed orders of {LINES_PER_ORDER} lines, of {CUSTOMERS:,} customers, dated over "
               "two years): one grouped query sums the lines per order and the orders per customer, pandas "
               "ranks recency, frequency and monetary into scores 1-5 and assigns segments, the snapshot table "
               "is replaced with bulk inserts and customers turning dormant get their lifecycle stage (audited). "
               "The data is written untimed with bulk Core inserts. Timed once each: the computation alone "
               "(`rfm.compute`), then the whole refresh in one transaction.")
DATABASES = ("sqlite", "postgresql")
BATCH = 20_000


def _populate(suite: Suite) -> float:
    began = time.perf_counter()
    uow = suite.uow()
    session = uow.session
    now = utcnow()
    with one_transaction(uow):
        product = core_services.create_product(uow, {"sku": "RFM-P", "name": "Widget", "kind": "buy",
                                                     "list_price": Decimal("10"), "tax_rate": Decimal("0.13")}).id
        warehouse = inventory.default_warehouse_id(session)
    customers = session.execute(insert(Customer.__table__).returning(Customer.id, sort_by_parameter_order=True), [
        {"code": f"RFM{n:06d}", "name": f"RFM Customer {n}", "tier": "B", "tags": [], "credit_limit": Decimal(0),
         "payment_terms_days": 30, "credit_hold": False, "lifecycle_stage": "won", "currency": "CNY",
         "active": True, "created_at": now} for n in range(CUSTOMERS)]).scalars().all()
    session.commit()
    for start in range(0, ORDERS, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, ORDERS)):
            # customers differ in how often and how recently they order; every tenth stopped a year ago
            who = (n * 7907) % CUSTOMERS if n % 3 else n % (CUSTOMERS // 4)
            on = AS_OF - timedelta(days=(n * 7919) % 730 + (365 if who % 10 == 0 else 0))
            total = Decimal(40 * (n % 50 + 1)) + Decimal("0.52")
            rows.append({"number": f"RFM{n:07d}", "customer_id": customers[who], "warehouse_id": warehouse,
                         "state": "confirmed", "order_date": on, "requested_date": on, "currency": "CNY",
                         "untaxed": total, "tax": Decimal(0), "total": total, "invoiced_amount": total,
                         "credited_amount": Decimal(0), "paid_amount": total if n % 4 else Decimal(0),
                         "created_at": now, "confirmed_on": on})
        ids = _insert(session, SalesOrder.__table__, rows, returning=True)
        lines = []
        for order_id, row in zip(ids, rows, strict=True):
            part = (row["total"] / LINES_PER_ORDER).quantize(Decimal("0.01"))
            for position in range(1, LINES_PER_ORDER + 1):
                amount = part if position < LINES_PER_ORDER else row["total"] - part * (LINES_PER_ORDER - 1)
                lines.append({"order_id": order_id, "position": position, "product_id": product, "qty": Decimal(1),
                              "unit_price": amount, "discount": Decimal(0), "tax_rate": Decimal(0), "untaxed": amount,
                              "tax": Decimal(0), "total": amount, "reserved_qty": Decimal(0),
                              "shipped_qty": Decimal(1)})
        _insert(session, SalesOrderLine.__table__, lines)
        session.commit()
    session.close()
    return time.perf_counter() - began


def _insert(session, table, rows: list[dict], *, returning: bool = False) -> list[int]:
    """Bulk insert; on PostgreSQL through COPY (a million rows in seconds rather than minutes)."""
    if session.get_bind().dialect.name != "postgresql":
        if returning:
            return session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                   rows).scalars().all()
        session.execute(insert(table), rows)
        return []
    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    if not returning:
        return []
    numbers = [row["number"] for row in rows]  # zero-padded: their order is the insertion order
    return session.execute(select(table.c.id).where(table.c.number.in_(numbers))
                           .order_by(table.c.number)).scalars().all()


def run(target: Target) -> list[Figure]:
    suite = Suite(target, name=f"bench-{__name__.rsplit('.', 1)[-1]}")
    try:
        prepared = _populate(suite)
        uow = suite.uow()
        counted = uow.session.scalar(select(func.count()).select_from(SalesOrderLine))
        began = time.perf_counter()
        frame = rfm.compute(uow.session, as_of=AS_OF)
        computed = time.perf_counter() - began
        uow.session.rollback()
        figures = [Figure(f"{TITLE}: computation over {counted:,} order lines", target.label, "sequential",
                          counted, computed, "lines/s", value=f"{computed:.2f} s",
                          note=f"{len(frame):,} customers scored; set-up (bulk inserts, untimed) {prepared:.0f} s")]
        began = time.perf_counter()
        result = rfm.refresh(uow, as_of=AS_OF)
        refreshed = time.perf_counter() - began
        stored = uow.session.scalar(select(func.count()).select_from(CustomerRfm))
        segments = ", ".join(f"{name} {count:,}" for name, count in result.by_segment.items())
        figures.append(Figure(f"{TITLE}: whole refresh over {counted:,} order lines", target.label, "1 transaction",
                              counted, refreshed, "lines/s", value=f"{refreshed:.2f} s",
                              note=f"{stored:,} snapshot rows; {len(result.became_dormant):,} customers turned "
                                   f"dormant; segments: {segments}"))
        uow.session.close()
        return figures
    finally:
        suite.close()
