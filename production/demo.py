"""Demo BOMs: every pump is a housing, an impeller and a shaft (each made from bought
material) plus a motor, a seal, bolts and gaskets. Loading twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.models import Product
from core.uow import UnitOfWork
from production.models import Bom
from production.services import create_bom

SIZES = [25, 32, 40, 50, 65, 80, 100, 125, 150, 200]
MOTORS = ["0_75", "1_1", "1_5", "2_2", "3", "4", "5_5", "7_5", "11", "15", "18_5", "22", "30", "37", "45"]
BOLT_DIAMETERS = [6, 8, 10, 12, 16, 20]


def _recipes() -> dict[str, list[tuple[str, str]]]:
    recipes: dict[str, list[tuple[str, str]]] = {}
    for index, size in enumerate(SIZES):
        d = BOLT_DIAMETERS[min(index * len(BOLT_DIAMETERS) // len(SIZES), len(BOLT_DIAMETERS) - 1)]
        gasket = f"GSK-{d * 10}"
        recipes[f"HSG-{size}"] = [(f"CST-{size}", "1"), (gasket, "1"), ("PAINT-BLUE", "0.25")]
        recipes[f"IMP-{size}"] = [("SS-BAR", str(Decimal(size) / Decimal(25)))]
        recipes[f"SHF-{size}"] = [("STL-BAR", "2.5")]
        for series, motor_shift in (("CP", 0), ("MP", 3), ("SP", 2), ("DP", 1)):
            motor = MOTORS[min(index + motor_shift, len(MOTORS) - 1)]
            recipes[f"{series}-{size}"] = [
                (f"HSG-{size}", "1"), (f"IMP-{size}", "1" if series != "MP" else "4"), (f"SHF-{size}", "1"),
                (f"MOT-{motor}", "1"), (f"SEAL-{size}", "1"), (f"BLT-M{d}x40", "8"), (gasket, "2")]
    return recipes


def load_boms(uow: UnitOfWork) -> str:
    products = {p.sku: p.id for p in uow.session.scalars(select(Product))}
    with_bom = set(uow.session.scalars(select(Bom.product_id).where(Bom.active.is_(True))))
    recipes = _recipes()
    count = 0
    # sub-assemblies first, so that each pump's BOM finds its parts' BOMs in place
    for sku in sorted(recipes, key=lambda s: (not s.startswith(("HSG-", "IMP-", "SHF-")), s)):
        parts = recipes[sku]
        if sku not in products or products[sku] in with_bom or any(p not in products for p, _q in parts):
            continue
        create_bom(uow, {"product_id": products[sku], "output_qty": Decimal(1),
                         "lines": [{"component_id": products[p], "qty": Decimal(q)} for p, q in parts]})
        count += 1
    return f"{count} bills of materials." if count else ""
