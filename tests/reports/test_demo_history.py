"""The demo company's two years of history (`reports.demo`): every month of the last two years books,
ships, invoices and collects, over the product lines and the acquisition sources; each act is dated when it
happened; each order received exactly the stock it needed (nothing planned or bought for it); the forecast
was frozen month by month; and loading twice adds nothing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from core.demo import load_demo
from core.formatting import CHINA
from core.models import Product
from crm.leads.models import Lead
from crm.orders.models import SalesOrder, SalesOrderLine
from crm.pipeline.models import Opportunity, OpportunityStageChange
from finance.models import Invoice, Payment, PaymentAllocation
from inventory.models import Shipment, StockMove
from inventory.services import check_ledger
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine
from reports.demo import load_history
from reports.forecast import ForecastSnapshot
from reports.models import SalesEntry
from reports.sales import sales_report
from reports.targets import SalesTarget

# a Wednesday in March: the history runs from February 2024 (a month before the two years it shows) to
# yesterday, 17 March 2026
TODAY = datetime(2026, 3, 18, 10, 0, tzinfo=CHINA)
TWO_YEARS = [f"{year}-{month:02d}" for year, month in
             [(2024 + (2 + n) // 12, (2 + n) % 12 + 1) for n in range(24)]]  # 2024-03 .. 2026-02
COUNTED = (SalesOrder, SalesEntry, Shipment, StockMove, Invoice, Payment, Lead, Opportunity, ForecastSnapshot,
           SalesTarget)


def _counts(db) -> dict[str, int]:
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _china_day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=CHINA)).astimezone(CHINA).date()


def test_two_years_of_history_fill_every_month_of_the_sales_cube_and_load_once(db, uow, clock):
    assert TWO_YEARS[0] == "2024-03" and TWO_YEARS[-1] == "2026-02" and len(TWO_YEARS) == 24
    with clock.frozen_at(TODAY):
        load_demo(uow, [load_history])

        def cube(by: str) -> list[dict]:
            return sales_report(uow, {"by": by, "date_from": date(2024, 3, 1), "date_to": date(2026, 2, 28)})["rows"]

        months = {row["month"]: row for row in cube("month")}
        lines = {row["product_line"] for row in cube("product_line") if row["booked"] > 0}
        sources = {row["source"] for row in cube("source") if row["booked"] > 0}

    assert sorted(months) == TWO_YEARS
    for month in TWO_YEARS:
        row = months[month]
        assert row["orders"] > 0 and all(row[m] > 0 for m in ("booked", "shipped", "invoiced", "collected")), row
    assert lines == {"PUMPS", "VALVES", "MOTORS", "SPARES", "SERVICE"}
    assert len(sources) >= 5

    # every act happened on its own day: a shipment's entries carry the day it left, on or after the
    # order's date and before today; a payment is applied on the day it came in
    shipped = db.execute(select(Shipment.shipped_at, SalesEntry.day, SalesOrder.order_date)
                         .join(SalesEntry, (SalesEntry.document == "shipment") & (SalesEntry.document_id == Shipment.id))
                         .join(SalesOrder, SalesOrder.id == Shipment.sales_order_id)).all()
    assert len(shipped) > 300
    assert all(_china_day(at) == day and order_date <= day < TODAY.date() for at, day, order_date in shipped)
    applied = db.execute(select(PaymentAllocation.created_at, Payment.payment_date)
                         .join(Payment, Payment.id == PaymentAllocation.payment_id)).all()
    assert len(applied) > 200 and all(_china_day(at) == day for at, day in applied)
    first_lead = db.scalar(select(func.min(Lead.created_at)))
    assert _china_day(first_lead) < date(2024, 3, 1)
    assert db.scalar(select(func.count()).select_from(OpportunityStageChange)
                     .where(OpportunityStageChange.changed_at < datetime(2025, 1, 1, tzinfo=CHINA))) > 50

    # each order received what it needed: nothing to make or buy for it, and what is not shipped is held
    assert db.scalar(select(func.count()).select_from(WorkOrder)) == 0
    assert db.scalar(select(func.count()).select_from(PurchasePlanLine)) == 0
    waiting = db.execute(select(SalesOrderLine.qty, SalesOrderLine.reserved_qty, SalesOrderLine.shipped_qty)
                         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                         .join(Product, Product.id == SalesOrderLine.product_id)
                         .where(SalesOrder.state == "confirmed", Product.kind != "service")).all()
    assert waiting and all(reserved == qty and shipped == 0 for qty, reserved, shipped in waiting)
    assert check_ledger(db) == []

    # the forecast frozen at the start of each month, and the targets of last year and this one
    assert db.scalar(select(func.count(func.distinct(ForecastSnapshot.month)))) == 26
    assert set(db.scalars(select(func.substr(SalesTarget.period, 1, 4)).distinct())) == {"2025", "2026"}

    counts = _counts(db)
    with clock.frozen_at(TODAY):
        load_demo(uow, [load_history])
    assert _counts(db) == counts
