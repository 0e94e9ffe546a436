"""The management reports on two years of a company's history: the dashboard, pivots and drill-down."""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal

from sqlalchemy import insert, select, text

from bench import Figure, Target, measure
from core.app import create_app
from core.config import Settings
from core.db import make_engine, make_sessionmaker, utcnow
from core.events import EventRegistry
from core.models import Customer, Product, ProductLine, Role, User, Warehouse
from core.money import ZERO, round_money
from core.uow import UnitOfWork
from crm.leads.models import Lead
from crm.orders import services as orders
from crm.orders.models import SalesOrder, SalesOrderLine
from finance.models import Invoice, InvoiceLine
from inventory import services as inventory
from reports import cube, handlers, sales
from reports import dashboard as panels
from reports.models import SalesEntry

SCALE = float(os.environ.get("BENCH_REPORTS_SCALE") or 1.0)  # a fraction, to try the benchmark quickly
ORDER_LINES = int(1_000_000 * SCALE)
LINES_PER_ORDER = 4
INVOICES = int(300_000 * SCALE)
LEADS = int(100_000 * SCALE)
CUSTOMERS, PRODUCTS, REPS, TEAMS = 5_000, 2_000, 40, 5
FIRST_DAY, DAYS = date(2025, 1, 1), 730
TODAY = FIRST_DAY + timedelta(days=DAYS - 1)
LINES = ("PUMPS", "VALVES", "MOTORS", "SPARES", "SEALS", "SERVICE")
SOURCES = ("website", "trade_show", "referral", "b2b_marketplace", "cold_call", "direct")
REGIONS = ("East", "North", "South", "West", "Central", "Northeast", "Northwest", "Southwest")
TITLE = "Management reports"
DESCRIPTION = (
    f"Two years ({FIRST_DAY} to {TODAY}) of {ORDER_LINES:,} order lines ({ORDER_LINES // LINES_PER_ORDER:,} confirmed "
    f"orders), {INVOICES:,} invoices and {LEADS:,} leads of {CUSTOMERS:,} customers, {PRODUCTS:,} products in "
    f"{len(LINES)} product lines and {REPS} reps in {TEAMS} teams, written untimed with bulk Core inserts together "
    "with their sales entries (booked, shipped, cost for every line; invoiced for the invoiced orders; collected "
    "for the paid invoices: all but those of the last two months and one in fifty of the older ones), then "
    "`flask reports rebuild` sums them into the day and month cubes and the tables are analyzed. Timed through "
    "the services the "
    "API and pages call, as management: the whole dashboard of the last month (`reports.dashboard.dashboard`: "
    "KPIs against the month before and target, revenue by month and product line, the funnel of the month's "
    "leads, attainment by rep, the aging of every open invoice), pivots by two dimensions "
    "over the two years, and the first page of a drill-down. Correctness: the cube's booked total over the two "
    "years equals a plain SUM over the order lines, and its invoiced total a SUM over the invoices. Then, on a "
    "small company of its own, confirming an order of three lines with and without the report handlers "
    "subscribed, alternating, 50 of each timed (the extra cost of keeping the entries in the act's transaction), and the lag: an order "
    "confirmed is in the next answer (`as_of` lag 0 s), since answers add the entries not rolled up yet.")
DATABASES = ("sqlite", "postgresql")
GOALS_MS = {"dashboard": 300, "pivot": 500, "drill": 100}
ROUNDS = 60  # confirmations with, and as many without, the report handlers


def _bulk(session, table, rows, *, returning=None):
    """Insert `rows` (dicts with the same keys): with RETURNING of `returning` when given; on PostgreSQL
    without it through COPY, which loads millions of rows in seconds rather than minutes."""
    if returning is not None:
        return session.execute(insert(table).returning(returning, sort_by_parameter_order=True), rows).scalars().all()
    if not rows:
        return None
    if session.get_bind().dialect.name == "postgresql":
        columns = list(rows[0])
        cursor = session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(value) if isinstance(value, list | dict) else value
                                for value in (row[column] for column in columns)])
        return None
    for start in range(0, len(rows), 20_000):
        session.execute(insert(table), rows[start:start + 20_000])
    return None


def _paid(n: int, invoice_day: date) -> bool:
    """A company's open invoices: those of its last two months, and one in fifty of the older ones."""
    return invoice_day < TODAY - timedelta(days=60) and n % 50 != 0


def _load(session) -> dict:
    now, rng = utcnow(), random.Random(12)
    session.execute(insert(ProductLine.__table__), [
        {"code": code, "name": code.title(), "name_zh": code, "active": True, "created_at": now} for code in LINES])
    reps = _bulk(session, User.__table__, [
        {"username": f"bench-rep{n}", "full_name": f"Rep {n}", "email": "", "role": "sales_rep",
         "team": f"T{n % TEAMS}", "password_hash": "-", "active": True, "created_at": now, "session_generation": 0}
        for n in range(REPS)], returning=User.id)
    team_of = {rep: f"T{n % TEAMS}" for n, rep in enumerate(reps)}
    customers = []
    for n in range(CUSTOMERS):
        customers.append({"code": f"BC{n:05d}", "name": f"Customer {n}", "tags": [], "credit_limit": Decimal(0),
                          "payment_terms_days": 30, "tier": "ABC"[n % 3], "lifecycle_stage": "won", "currency": "CNY",
                          "active": True, "credit_hold": False, "created_at": now, "source": SOURCES[n * 7 % 6],
                          "region": REGIONS[n % 8], "owner_id": reps[n % REPS]})
    customer_ids = _bulk(session, Customer.__table__, customers, returning=Customer.id)
    customer_of = dict(zip(customer_ids, customers, strict=True))
    products = _bulk(session, Product.__table__, [
        {"sku": f"BP{n:05d}", "name": f"Product {n}", "kind": "buy", "uom": "pcs", "list_price": Decimal(100 + n % 900),
         "standard_cost": Decimal(60 + n % 500), "tax_rate": Decimal("0.13"), "lead_time_days": 0,
         "min_order_qty": ZERO, "active": True, "created_at": now, "product_line": LINES[n % len(LINES)]}
        for n in range(PRODUCTS)], returning=Product.id)
    product_line = {pid: LINES[n % len(LINES)] for n, pid in enumerate(products)}
    price = {pid: Decimal(100 + n % 900) for n, pid in enumerate(products)}
    cost = {pid: Decimal(60 + n % 500) for n, pid in enumerate(products)}
    warehouse = session.scalar(select(Warehouse.id).where(Warehouse.is_default.is_(True)))

    order_count = ORDER_LINES // LINES_PER_ORDER
    order_rows = []
    for n in range(order_count):
        day = FIRST_DAY + timedelta(days=n * DAYS // order_count)
        customer = customer_ids[rng.randrange(CUSTOMERS)]
        order_rows.append({"number": f"SO-B-{n:07d}", "customer_id": customer, "warehouse_id": warehouse,
                           "state": "shipped", "order_date": day, "requested_date": day + timedelta(days=7),
                           "currency": "CNY", "owner_id": customer_of[customer]["owner_id"], "created_at": now,
                           "confirmed_on": day})
    order_ids = []
    for start in range(0, order_count, 20_000):
        order_ids += _bulk(session, SalesOrder.__table__, order_rows[start:start + 20_000], returning=SalesOrder.id)

    line_rows, entries = [], []
    booked_total = ZERO
    for index, (order_id, order) in enumerate(zip(order_ids, order_rows, strict=True)):
        who = customer_of[order["customer_id"]]
        dims = {"customer_id": order["customer_id"], "source": who["source"], "tier": who["tier"],
                "region": who["region"], "rep_id": who["owner_id"], "team": team_of[who["owner_id"]],
                "order_id": order_id, "cubed": False, "created_at": now}
        seen_lines: set[str] = set()
        for position in range(LINES_PER_ORDER):
            product = products[(index * 7 + position * 13) % PRODUCTS]
            qty = Decimal(1 + (index + position) % 5)
            untaxed = round_money(qty * price[product])
            booked_total += untaxed
            tax = round_money(untaxed * Decimal("0.13"))
            line_rows.append({"order_id": order_id, "position": position + 1, "product_id": product, "qty": qty,
                              "unit_price": price[product], "discount": ZERO, "tax_rate": Decimal("0.13"),
                              "untaxed": untaxed, "tax": tax, "total": untaxed + tax, "reserved_qty": ZERO,
                              "shipped_qty": qty})
            line = {**dims, "product_id": product, "product_line": product_line[product], "line_id": None}
            first_in_line = product_line[product] not in seen_lines
            seen_lines.add(product_line[product])
            entries.append({**line, "measure": "booked", "day": order["order_date"], "document": "sales_order",
                            "document_id": order_id, "number": order["number"], "amount": untaxed,
                            "orders": int(position == 0), "orders_in_line": int(first_in_line)})
            shipped_on = order["order_date"] + timedelta(days=3)
            for measure_, amount in (("shipped", untaxed), ("cost", round_money(qty * cost[product]))):
                entries.append({**line, "measure": measure_, "day": shipped_on, "document": "shipment",
                                "document_id": order_id, "number": order["number"], "amount": amount,
                                "orders": 0, "orders_in_line": 0})
        if len(line_rows) >= 40_000:
            _bulk(session, SalesOrderLine.__table__, line_rows)
            _bulk(session, SalesEntry.__table__, entries)
            line_rows, entries = [], []
    _bulk(session, SalesOrderLine.__table__, line_rows)
    _bulk(session, SalesEntry.__table__, entries)

    # invoices: one per order of the first INVOICES orders, one line each (the order's value), paid
    invoice_rows, invoiced_total = [], ZERO
    for n in range(min(INVOICES, order_count)):
        order = order_rows[n]
        day = order["order_date"] + timedelta(days=5)
        untaxed = Decimal(100 + n * 37 % 9_900)
        invoiced_total += untaxed if day <= TODAY else ZERO
        invoice_rows.append({"number": f"INV-B-{n:07d}", "customer_id": order["customer_id"],
                             "sales_order_id": order_ids[n], "state": "paid" if _paid(n, day) else "posted",
                             "invoice_date": day, "due_date": day + timedelta(days=30), "currency": "CNY",
                             "untaxed": untaxed, "tax": round_money(untaxed * Decimal("0.13")),
                             "total": untaxed + round_money(untaxed * Decimal("0.13")),
                             "paid_amount": ZERO, "credited_amount": ZERO, "created_at": now})
    invoice_ids = []
    for start in range(0, len(invoice_rows), 20_000):
        invoice_ids += _bulk(session, Invoice.__table__, invoice_rows[start:start + 20_000], returning=Invoice.id)
    line_rows, entries = [], []
    for n, (invoice_id, invoice) in enumerate(zip(invoice_ids, invoice_rows, strict=True)):
        product = products[n * 7 % PRODUCTS]
        line_rows.append({"invoice_id": invoice_id, "position": 1, "product_id": product, "qty": Decimal(1),
                          "unit_price": invoice["untaxed"], "discount": ZERO, "tax_rate": Decimal("0.13"),
                          "untaxed": invoice["untaxed"], "tax": invoice["tax"], "total": invoice["total"]})
        who = customer_of[invoice["customer_id"]]
        common = {"customer_id": invoice["customer_id"], "source": who["source"], "tier": who["tier"],
                  "region": who["region"], "rep_id": who["owner_id"], "team": team_of[who["owner_id"]],
                  "order_id": invoice["sales_order_id"], "product_id": product, "product_line": product_line[product],
                  "line_id": None, "orders": 0, "orders_in_line": 0, "cubed": False, "created_at": now}
        entries.append({**common, "measure": "invoiced", "day": invoice["invoice_date"], "document": "invoice",
                        "document_id": invoice_id, "number": invoice["number"], "amount": invoice["untaxed"]})
        if invoice["state"] == "paid":
            entries.append({**common, "measure": "collected", "day": invoice["invoice_date"] + timedelta(days=20),
                            "document": "payment", "document_id": invoice_id, "number": f"PAY-B-{n:07d}",
                            "amount": invoice["total"]})
    for start in range(0, len(line_rows), 20_000):
        _bulk(session, InvoiceLine.__table__, line_rows[start:start + 20_000])
    _bulk(session, SalesEntry.__table__, entries)

    _bulk(session, Lead.__table__, [
        {"number": f"LD-B-{n:07d}", "company": f"Lead {n}", "contact_name": "", "source": "api",
         "channel": SOURCES[n % 6], "grade": "ABC"[n % 3], "status": "new", "owner_id": reps[n % REPS],
         "score": 0, "score_detail": [], "events": [], "is_duplicate": False, "recycled_count": 0,
         "created_at": datetime.combine(TODAY, clock_time(4), tzinfo=UTC) - timedelta(days=n % DAYS)}
        for n in range(LEADS)])
    session.commit()
    return {"booked": booked_total, "invoiced": invoiced_total}


def run(target: Target) -> list[Figure]:
    settings = Settings.from_env({"DATABASE_URL": target.url, "SECRET_KEY": "bench-secret",
                                  "INSTANCE_PATH": str(target.workdir / "instance")})
    app = create_app(settings)
    app.extensions["db"].engine.dispose()
    engine = make_engine(target.url)
    session = make_sessionmaker(engine)()
    try:
        started = time.perf_counter()
        expected = _load(session)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        cube.rebuild(session)
        session.execute(text("ANALYZE"))  # the planner's statistics, as a database in service has them
        session.commit()
        rebuilt = time.perf_counter() - started
        with app.app_context():
            figures = _measure(app, session, target.label, expected)
            figures += _confirmation_cost(app, session, target.label)
        for figure in figures:
            figure.note += f" (loaded in {loaded:,.0f} s, cubes built in {rebuilt:,.0f} s)" if figure is figures[0] \
                else ""
        return figures
    finally:
        session.close()
        engine.dispose()


def _uow(app, session, actor) -> UnitOfWork:
    return UnitOfWork(session, events=app.extensions["events"], actor=actor)


def _measure(app, session, label: str, expected: dict) -> list[Figure]:
    boss = User(username="bench-boss", role=Role.MANAGEMENT, active=True)
    month = TODAY.replace(day=1)
    year_ago = (month - timedelta(days=335)).replace(day=1)
    two_years = {"date_from": FIRST_DAY, "date_to": TODAY}
    found: dict = {}

    def report(**args):
        answer = sales.sales_report(_uow(app, session, boss), args)
        session.rollback()  # a fresh snapshot for each call, as a request would have
        return answer

    def dashboard() -> None:
        found["dashboard"] = panels.dashboard(_uow(app, session, boss), {"period": TODAY.strftime("%Y-%m")})
        session.rollback()

    def pivot(by: str):
        def call() -> None:
            found[by] = report(**two_years, by=by)
        return call

    def drill() -> None:
        found["lines"] = sales.sales_lines(_uow(app, session, boss), {
            "date_from": year_ago, "date_to": TODAY, "measure": "booked", "product_line": "PUMPS",
            "month": TODAY.strftime("%Y-%m"), "page": 1, "per_page": 25})
        session.rollback()

    totals = report(**two_years)["totals"]
    problems = []
    if totals["booked"] != expected["booked"]:
        problems.append(f"booked {totals['booked']} against {expected['booked']} in the order lines")
    if totals["invoiced"] != expected["invoiced"]:
        problems.append(f"invoiced {totals['invoiced']} against {expected['invoiced']} in the invoices")
    figures = []
    for name, call, goal in (
            ("dashboard, every panel", dashboard, GOALS_MS["dashboard"]),
            ("pivot month x product line, two years", pivot("month,product_line"), GOALS_MS["pivot"]),
            ("pivot rep x source, two years", pivot("rep,source"), GOALS_MS["pivot"]),
            ("pivot region x tier, two years", pivot("region,tier"), GOALS_MS["pivot"]),
            ("drill-down, first page", drill, GOALS_MS["drill"])):
        run_ = measure(call, warmup=1)
        figure = Figure(TITLE, label, name, run_.count, run_.seconds, "answers/s", run_.latencies_ms)
        p95 = figure.percentile(95) or 0.0
        figure.value = f"p95 {p95:,.0f} ms"
        figure.goal, figure.met = f"p95 ≤ {goal} ms", p95 <= goal
        figure.error = "; ".join(problems)
        figures.append(figure)
    figures[0].note = (f"{totals['orders']:,} orders, booked {totals['booked']:,}; the dashboard's month: "
                       f"{len(found['dashboard']['revenue']['series'])} product lines charted, "
                       f"{found['dashboard']['funnel']['steps'][0]['count']:,} leads in its funnel")
    figures[-1].note = f"{found['lines']['total']:,} lines behind the cell"
    return figures


def _confirmation_cost(app, session, label: str) -> list[Figure]:
    """Confirming a three-line order with and without the handlers that write the sales entries."""
    events: EventRegistry = app.extensions["events"]
    without = events.copy()
    for event_type, entries in list(without._handlers.items()):
        without._handlers[event_type] = [(p, h) for p, h in entries if h.__module__ != handlers.__name__]
    setup = UnitOfWork(session, events=events)
    customer = session.scalar(select(Customer).where(Customer.code == "BC00000"))
    customer.credit_limit = Decimal("1000000000")
    product_ids = session.scalars(select(Product.id).order_by(Product.id).limit(3)).all()
    for product_id in product_ids:
        inventory.adjust_stock(setup, {"product_id": product_id, "qty": Decimal(1_000_000), "reason": "bench"})
    session.commit()
    today = {"date_from": TODAY, "date_to": TODAY}
    before = sales.sales_report(_uow(app, session, None), today)["totals"]["orders"]
    session.rollback()
    latencies: dict[str, list[float]] = {"with": [], "without": []}
    for round_ in range(ROUNDS):
        for kind, wiring in (("with", events), ("without", without)) if round_ % 2 else \
                (("without", without), ("with", events)):
            uow = UnitOfWork(session, events=wiring)
            order = orders.create_order(uow, {"customer_id": customer.id, "lines": [
                {"product_id": product_id, "qty": Decimal(1)} for product_id in product_ids]}, on=TODAY)
            started = time.perf_counter()
            orders.confirm_order(uow, order.id, on=TODAY)
            if round_ >= 10:
                latencies[kind].append((time.perf_counter() - started) * 1000)
    confirmed = sales.sales_report(_uow(app, session, None), today)["totals"]["orders"] - before
    session.rollback()
    mean = {kind: sum(values) / len(values) for kind, values in latencies.items()}
    extra = (mean["with"] - mean["without"]) / mean["without"] * 100
    figure = Figure(TITLE, label, "confirming an order: extra cost of the sales entries", len(latencies["with"]),
                    sum(latencies["with"]) / 1000, "orders/s", latencies["with"])
    figure.value = f"{extra:+.1f} % ({mean['without']:.1f} → {mean['with']:.1f} ms)"
    figure.goal, figure.met = "≤ 10 %", extra <= 10
    figure.note = f"as_of lag 0 s: the next answer counts the {confirmed} orders just confirmed with the handlers"
    if confirmed != ROUNDS:
        figure.error = f"the report counts {confirmed} orders confirmed, not the {ROUNDS} confirmed with the handlers"
    return [figure]
