"""Lead import: read, deduplicate, score and assign 100,000 leads from CSV files."""

from __future__ import annotations

import csv
import os
import random
import time

from sqlalchemy import func, select

from bench import Figure, Target, measure
from core import services as core_services
from core.app import create_app
from core.config import Settings
from core.imports import MAX_ROWS, read_table
from core.models import Contact
from core.web import system_uow
from crm.leads import services
from crm.leads.imports import import_leads
from crm.leads.models import Lead

TITLE = "Lead import"
DESCRIPTION = ("100,000 generated leads (Chinese and English company names, about one in ten repeating an earlier "
               "lead's e-mail, phone or company, one in fifty matching one of 2,000 customers or their contacts) "
               "written as CSV files of 20,000 rows and loaded with `crm.leads.imports.import_leads(commit=True)`: "
               "pandas reading, row checks, duplicate detection against customers, contacts and every earlier lead, "
               "scoring by 4 rules, assignment by 2 region rules and round-robin over 20 reps, numbering, audit; "
               "one transaction per file. The second figure captures leads one at a time through "
               "`crm.leads.services.capture_lead` into the same database, for comparison.")
DATABASES = ("sqlite", "postgresql")
LEADS = int(os.environ.get("BENCH_LEADS") or 100_000)
REPS = 20
CUSTOMERS = 2_000
CITIES = ["宁波", "杭州", "苏州", "无锡", "上海", "深圳", "东莞", "佛山", "青岛", "天津"]
TRADES = ["精工机械", "远景科技", "泵业", "阀门", "电子", "模具", "化工", "纺织"]
SUFFIXES = ["有限公司", "股份有限公司", "（集团）有限公司", "Co., Ltd.", "Inc.", "GmbH"]
REGIONS = ["East China", "South China", "North China", "West China"]
INDUSTRIES = ["manufacturing", "retail", "software", "chemicals"]
TITLES = ["采购经理", "总经理", "Engineer", "Buyer", "厂长"]


def _company(rng: random.Random, n: int) -> str:
    if n % 2:
        return f"{rng.choice(CITIES)}{rng.choice(TRADES)}{n}{rng.choice(SUFFIXES[:3])}"
    return f"Company {n} {rng.choice(SUFFIXES[3:])}"


def _rows(rng: random.Random) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for n in range(LEADS):
        row = {"company": _company(rng, n), "contact name": f"联系人{n}", "title": rng.choice(TITLES),
               "phone": f"+86 13{n % 10} {n // 10000 % 10000:04d} {n % 10000:04d}", "email": f"lead{n}@example.com",
               "industry": rng.choice(INDUSTRIES), "region": rng.choice(REGIONS),
               "company size": str(rng.choice([5, 50, 250, 1000])), "channel": "trade show",
               "utm_source": "baidu", "utm_medium": "cpc", "utm_campaign": "bench"}
        roll = rng.random()
        if rows and roll < 0.10:  # repeats an earlier lead on one key
            earlier = rng.choice(rows)
            key = rng.choice(["company", "phone", "email"])
            row[key] = earlier[key]
        elif roll < 0.12:  # one of the customers or their contacts
            row["email"] = f"contact{rng.randrange(CUSTOMERS)}@customer.example"
        rows.append(row)
    return rows


def _seed(app) -> None:
    with app.app_context():
        uow = system_uow()
        reps = [core_services.create_user(uow, {"username": f"rep{i}", "role": "sales_rep",
                                                "password": "bench-password-1", "full_name": f"Rep {i}",
                                                "team": None}) for i in range(REPS)]
        for field, value, points in (("industry", "manufacturing", 40), ("company_size", "200", 25),
                                     ("title", "经理", 30), ("region", "East China", 5)):
            services.create_scoring_rule(uow, {"field": field, "value": value, "points": points,
                                               "operator": "contains" if field == "title" else None})
        for value, rep in (("West China", reps[0]), ("North China", reps[1])):
            services.create_assignment_rule(uow, {"field": "region", "value": value, "user_id": rep.id})
        services.update_policy(uow, {"rep_capacity": LEADS})  # nobody fills up: every A/B lead is assigned
        with uow.batch():
            for i in range(CUSTOMERS):
                customer = core_services.create_customer(uow, {"code": f"C{i:05d}",
                                                               "name": f"{CITIES[i % 10]}客户{i}有限公司"})
                uow.session.add(Contact(customer_id=customer.id, name=f"Contact {i}",
                                        email=f"contact{i}@customer.example", phone=f"021-6{i:07d}"))
        uow.commit()
        uow.session.close()


def run(target: Target) -> list[Figure]:
    settings = Settings.from_env({"DATABASE_URL": target.url, "SECRET_KEY": "bench-secret",
                                  "INSTANCE_PATH": str(target.workdir / "instance")})
    app = create_app(settings)
    _seed(app)
    rng = random.Random(6)
    rows = _rows(rng)
    files = []
    for start in range(0, len(rows), MAX_ROWS):
        path = target.workdir / f"leads-{start // MAX_ROWS}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows[start:start + MAX_ROWS])
        files.append(path)

    loaded = invalid = duplicates = 0
    began = time.perf_counter()
    with app.app_context():
        for path in files:
            uow = system_uow()
            report = import_leads(uow, read_table(path.name, path.read_bytes()), commit=True)
            loaded, invalid, duplicates = loaded + report["created"], invalid + report["invalid"], \
                duplicates + report["duplicates"]
            uow.session.close()
    seconds = time.perf_counter() - began

    with app.app_context():
        session = system_uow().session
        statuses = dict(session.execute(select(Lead.status, func.count()).group_by(Lead.status)).all())
        session.close()
    bulk = Figure(TITLE + ": import files", target.label, f"{len(files)} files", loaded, seconds, "leads/s",
                  note=f"{duplicates:,} flagged as duplicates, {invalid} rows refused; "
                       + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))

    counter = iter(range(10**9))

    def one() -> None:
        n = next(counter)
        with app.app_context():
            uow = system_uow()
            services.capture_lead(uow, {"company": f"Single {n} 有限公司", "email": f"single{n}@example.com",
                                        "industry": "manufacturing", "region": "East China", "title": "采购经理"},
                                  source="import")
            uow.session.close()

    single = measure(one)
    figures = [bulk, Figure(TITLE + ": one by one", target.label, "1 client", single.count, single.seconds,
                            "leads/s", single.latencies_ms, note=f"after the {loaded:,} imported leads")]
    app.extensions["db"].engine.dispose()
    return figures
