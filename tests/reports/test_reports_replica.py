"""`REPORTS_DATABASE_URL`: the reports read from the replica it names, not from the app's database."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy import insert

from core.db import make_engine, utcnow
from core.models import Customer
from reports.models import SalesEntry
from tests.conftest import api_as, fresh_database, ok


def test_the_reports_read_the_replica(app, db, client, tmp_path):
    with fresh_database(tmp_path, postgres=False) as replica_url:
        engine = make_engine(replica_url)
        with engine.begin() as connection:
            customer = connection.execute(insert(Customer.__table__).returning(Customer.id), {
                "code": "REPLICA", "name": "Only on the replica", "tags": [], "created_at": utcnow()}).scalar()
            connection.execute(insert(SalesEntry.__table__), {
                "measure": "booked", "day": date(2026, 5, 4), "document": "sales_order", "document_id": 1,
                "number": "SO-R", "customer_id": customer, "source": "direct", "tier": "B", "amount": Decimal("123.45"),
                "orders": 1, "orders_in_line": 1, "cubed": False, "created_at": utcnow()})
        engine.dispose()
        api = api_as(client, db, "management")
        period = {"date_from": "2026-05-01", "date_to": "2026-05-31"}
        assert ok(api.get("/reports/sales", query_string=period))["totals"]["booked"] == "0.00"
        settings = app.config["SETTINGS"]
        app.config["SETTINGS"] = dataclasses.replace(settings, reports_database_url=replica_url)
        try:
            answer = ok(api.get("/reports/sales", query_string=period))
        finally:
            app.config["SETTINGS"] = settings
            app.extensions.pop("reports_db").kw["bind"].dispose()
        assert answer["totals"]["booked"] == "123.45"
        assert answer["totals"]["orders"] == 1
