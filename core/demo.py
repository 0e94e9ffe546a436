"""The demo company: an industrial pump maker and distributor.

Core loads people, customers, suppliers and products; each domain module adds
its own demo data through a loader registered in `app.extensions["demo_loaders"]`.
Loading twice changes nothing: records are found by their code before creating."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from core import services
from core.models import Customer, Product, ProductLine, Role, Supplier, User
from core.uow import UnitOfWork

# The demo company's one published password (README, `make run`). It is shorter than the password policy
# allows: the policy guards passwords people choose, and this one is public by design, so the loader sets
# it past the policy. Never load the demo company into a production database.
DEMO_PASSWORD = "demo1234"
DEMO_USERS = [
    ("admin", Role.ADMIN, "Admin Zhao", None),
    ("sales_rep", Role.SALES_REP, "Li Na", "east"),
    ("sales_rep2", Role.SALES_REP, "Wang Wei", "south"),
    ("sales_manager", Role.SALES_MANAGER, "Chen Jing", "east"),
    ("finance", Role.FINANCE, "Liu Yang", None),
    ("warehouse", Role.WAREHOUSE, "Zhang Min", None),
    ("purchasing", Role.PURCHASING, "Huang Lei", None),
    ("production", Role.PRODUCTION, "Zhou Qiang", None),
    ("management", Role.MANAGEMENT, "Sun Hui", None),
]
UNITS = {"pcs": "piece", "set": "set", "kg": "kilogram", "m": "metre", "l": "litre", "h": "hour"}
REGIONS = ["East China", "South China", "North China", "Central China", "Southwest", "Northeast"]
CITIES = ["Suzhou", "Ningbo", "Dongguan", "Tianjin", "Wuhan", "Chengdu", "Shenyang", "Hangzhou", "Foshan", "Qingdao"]
TRADES = ["Water Works", "Chemical", "HVAC Engineering", "Mining", "Food Machinery", "Paper Mill",
          "Irrigation", "Petrochemical", "Shipyard", "Fire Protection"]
CN_NAMES = ["恒力机械有限公司", "华东水务集团", "金桥化工股份有限公司", "远大暖通工程有限公司", "新兴矿业有限公司"]
# each trade's industry, as the customers are reported by it
INDUSTRIES = {"Water Works": "water utilities", "Chemical": "chemical", "HVAC Engineering": "hvac",
              "Mining": "mining", "Food Machinery": "food and beverage", "Paper Mill": "pulp and paper",
              "Irrigation": "agriculture", "Petrochemical": "petrochemical", "Shipyard": "shipbuilding",
              "Fire Protection": "building services"}
# where the demo customers came from, with how many of every hundred (drawn with the loader's seed)
SOURCE_WEIGHTS = {"website": 30, "trade_show": 20, "referral": 15, "b2b_marketplace": 15, "cold_call": 10, "direct": 10}
PRODUCT_LINES = [("PUMPS", "Pumps", "泵"), ("VALVES", "Valves", "阀门"), ("MOTORS", "Motors", "电机"),
                 ("SPARES", "Spare parts and components", "备件"), ("SERVICE", "Service", "服务")]

SUPPLIERS = [
    ("S-MOTOR", "Jiangsu Motor Works"), ("S-CAST", "Hebei Precision Castings"),
    ("S-STEEL", "Baotou Steel Trading"), ("S-SEAL", "Ningbo Seal & Gasket"),
    ("S-FAST", "Wenzhou Fasteners"), ("S-ELEC", "Shenzhen Controls"),
    ("S-TRADE", "Grundlach Pumps Asia (distribution)"), ("S-PAINT", "Shanghai Coatings"),
]


def _users(uow: UnitOfWork) -> dict[str, User]:
    existing = {u.username: u for u in uow.session.scalars(select(User))}
    for username, role, name, team in DEMO_USERS:
        if username not in existing:
            existing[username] = services.create_user(
                uow, {"username": username, "role": role.value, "password": DEMO_PASSWORD,
                      "full_name": name, "team": team, "email": f"{username}@demo.example.cn"},
                password_policy=False)
    return existing


def _suppliers(uow: UnitOfWork) -> dict[str, Supplier]:
    existing = {s.code: s for s in uow.session.scalars(select(Supplier))}
    for code, name in SUPPLIERS:
        if code not in existing:
            existing[code] = services.create_supplier(uow, {"code": code, "name": name, "payment_terms_days": 60})
    return existing


def _customers(uow: UnitOfWork, users: dict[str, User], rng: random.Random) -> int:
    existing = set(uow.session.scalars(select(Customer.code)))
    owners = [users["sales_rep"], users["sales_rep2"], users["sales_manager"], None]
    created = 0
    for n in range(1, 51):
        code = f"C{n:04d}"
        if code in existing:
            continue
        city = CITIES[n % len(CITIES)]
        name = f"{city} {CN_NAMES[n % 5]}" if n % 4 == 0 else f"{city} {TRADES[n % len(TRADES)]} Co., Ltd."
        tier = "A" if n % 7 == 0 else ("B" if n % 3 == 0 else "C")
        owner = owners[n % len(owners)]
        source = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
        services.create_customer(uow, {
            "code": code, "name": name, "tier": tier, "region": REGIONS[n % len(REGIONS)],
            "source": source, "industry": INDUSTRIES[TRADES[n % len(TRADES)]],
            "owner_id": owner.id if owner else None,
            "credit_limit": Decimal({"A": 2_000_000, "B": 500_000, "C": 100_000}[tier]),
            "payment_terms_days": {"A": 60, "B": 45, "C": 30}[tier],
            "tags": [TRADES[n % len(TRADES)].lower().split()[0]] + (["export"] if n % 9 == 0 else []),
            "lifecycle_stage": "won" if n % 5 else "target",
            "phone": f"+86 512 {6000_0000 + n * 137:08d}"[:20], "email": f"purchasing{n}@example.cn",
        })
        created += 1
    return created


def _product_lines(uow: UnitOfWork) -> None:
    existing = set(uow.session.scalars(select(ProductLine.code)))
    for code, name, name_zh in PRODUCT_LINES:
        if code not in existing:
            services.create_product_line(uow, {"code": code, "name": name, "name_zh": name_zh})


def product_line_of(sku: str, name: str, kind: str) -> str:
    """The demo product's line: finished and traded pumps, valves, motors, services, and the rest (sub-
    assemblies, parts, raw material, accessories) spares."""
    lowered = name.lower()
    if kind == "service":
        return "SERVICE"
    if sku.startswith("MOT-"):
        return "MOTORS"
    if "valve" in lowered:
        return "VALVES"
    if sku.split("-")[0] in ("CP", "MP", "SP", "DP") or re.search(r"\w pump\b", lowered):
        return "PUMPS"
    return "SPARES"


def _product(uow, existing, sku, name, kind, *, price="0", cost="0", lead=0, supplier=None, uom="pcs", moq="0"):
    if sku in existing:
        return 0
    services.create_product(uow, {
        "sku": sku, "name": name, "kind": kind, "uom": uom, "list_price": Decimal(price),
        "standard_cost": Decimal(cost), "lead_time_days": lead,
        "default_supplier_id": supplier.id if supplier else None, "min_order_qty": Decimal(moq),
        "product_line": product_line_of(sku, name, kind),
    })
    return 1


def _products(uow: UnitOfWork, suppliers: dict[str, Supplier]) -> int:
    existing = set(uow.session.scalars(select(Product.sku)))
    made = 0
    sizes = [25, 32, 40, 50, 65, 80, 100, 125, 150, 200]
    series = [("CP", "Centrifugal pump"), ("MP", "Multistage pump"), ("SP", "Submersible pump"),
              ("DP", "Diaphragm pump")]
    for prefix, label in series:  # 40 finished pumps
        for size in sizes:
            price = 1800 + size * 40 + (600 if prefix == "MP" else 0)
            made += _product(uow, existing, f"{prefix}-{size}", f"{label} DN{size}", "make",
                             price=str(price), cost=str(int(price * 0.55)), lead=3)
    for size in sizes:  # 50 sub-assemblies
        made += _product(uow, existing, f"HSG-{size}", f"Pump housing DN{size}", "make", cost=str(200 + size * 3), lead=2)
        made += _product(uow, existing, f"IMP-{size}", f"Impeller DN{size}", "make", cost=str(80 + size), lead=2)
        made += _product(uow, existing, f"SHF-{size}", f"Shaft assembly DN{size}", "make", cost=str(60 + size), lead=1)
        made += _product(uow, existing, f"CST-{size}", f"Housing casting DN{size}", "buy",
                         cost=str(120 + size * 2), lead=12, supplier=suppliers["S-CAST"])
        made += _product(uow, existing, f"SEAL-{size}", f"Mechanical seal DN{size}", "buy",
                         cost=str(45 + size // 2), lead=6, supplier=suppliers["S-SEAL"], moq="10")
    for kw in [0.75, 1.1, 1.5, 2.2, 3, 4, 5.5, 7.5, 11, 15, 18.5, 22, 30, 37, 45]:  # 15 motors
        tag = str(kw).replace(".", "_")
        made += _product(uow, existing, f"MOT-{tag}", f"Electric motor {kw} kW", "buy",
                         cost=str(int(300 + kw * 90)), lead=10, supplier=suppliers["S-MOTOR"])
    raw = [("STL-BAR", "Steel bar 45#", "kg", "8.5"), ("STL-SHEET", "Steel sheet 3 mm", "kg", "7.2"),
           ("SS-BAR", "Stainless bar 304", "kg", "21"), ("CU-WIRE", "Copper wire", "kg", "68"),
           ("PAINT-BLUE", "Epoxy paint, blue", "l", "35"), ("PAINT-PRIMER", "Primer", "l", "22")]
    for sku, name, uom, cost in raw:
        supplier = suppliers["S-PAINT"] if sku.startswith("PAINT") else suppliers["S-STEEL"]
        made += _product(uow, existing, sku, name, "buy", cost=cost, lead=7, supplier=supplier, uom=uom, moq="100")
    for d in [6, 8, 10, 12, 16, 20]:  # fasteners and gaskets
        for length in [20, 30, 40, 60, 80]:
            made += _product(uow, existing, f"BLT-M{d}x{length}", f"Hex bolt M{d}x{length}", "buy",
                             cost=str(Decimal("0.12") * d), lead=5, supplier=suppliers["S-FAST"], moq="500")
        made += _product(uow, existing, f"GSK-{d * 10}", f"Flange gasket {d * 10} mm", "buy",
                         cost=str(2 + d), lead=4, supplier=suppliers["S-SEAL"], moq="50")
    for i, name in enumerate(["Pressure gauge", "Flow switch", "Control panel", "Frequency inverter",
                              "Check valve", "Gate valve", "Flexible coupling", "Pump base frame",
                              "Float switch", "Pressure tank 24 l", "Pressure tank 100 l", "Strainer",
                              "Vibration damper", "Cable 4x2.5 mm²", "Booster set controller",
                              "Spare parts kit", "Oil lubricant 1 l", "Bearing 6205", "Bearing 6308",
                              "O-ring set", "Level sensor", "Pipe flange DN50", "Pipe flange DN100",
                              "Manometer valve", "Anchor bolt set", "Terminal box", "Thermal relay",
                              "Motor protection switch", "Solenoid valve", "Foot valve", "Y-strainer DN80",
                              "Expansion joint", "Butterfly valve DN100", "Ball valve DN25", "Sight glass",
                              "Pressure sensor", "Remote monitor", "Cooling fan", "Rubber coupling insert",
                              "Dosing pump 10 l/h", "Dosing pump 50 l/h", "Sump pump 0.5 kW", "Drum pump",
                              "Hand pump", "Grease gun", "Flow meter DN50", "Flow meter DN100",
                              "Pressure relief valve", "Air release valve", "Non-return valve DN150",
                              "Spare impeller kit", "Pump cover gasket set"]):
        supplier = suppliers["S-ELEC"] if i % 3 == 0 else suppliers["S-TRADE"]
        made += _product(uow, existing, f"TRD-{i + 1:03d}", name, "buy", price=str(60 + i * 35),
                         cost=str(35 + i * 20), lead=8, supplier=supplier)
    for sku, name, price in [("SVC-INSTALL", "Installation and commissioning", "800"),
                             ("SVC-SERVICE", "On-site service visit", "450"),
                             ("SVC-TRAIN", "Operator training", "1200")]:
        made += _product(uow, existing, sku, name, "service", price=price, uom="h")
    return made


def load_demo(uow: UnitOfWork, loaders: list[Callable[[UnitOfWork], str]]) -> str:
    rng = random.Random(2026)
    with uow.batch():
        services.ensure_uoms(uow, UNITS)
        users = _users(uow)
        suppliers = _suppliers(uow)
        customers = _customers(uow, users, rng)
        _product_lines(uow)
        products = _products(uow, suppliers)
        extra = [loader(uow) for loader in loaders]
    uow.commit()
    lines = [f"Demo company loaded: {customers} new customers, {products} new products."] + [e for e in extra if e]
    return "\n".join(lines)


def demo_logins() -> list[tuple[str, str, str]]:
    return [(username, DEMO_PASSWORD, role.value) for username, role, _name, _team in DEMO_USERS]
