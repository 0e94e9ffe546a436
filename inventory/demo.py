"""Demo opening stock, put in through stock adjustments. Loading twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.models import Product, ProductKind
from core.uow import UnitOfWork
from inventory.models import StockMove
from inventory.services import adjust_stock, default_warehouse_id

OPENING = "Opening stock (demo)"


def _opening_qty(product: Product) -> Decimal:
    sku = product.sku
    if product.kind == ProductKind.MAKE:
        if sku.startswith(("HSG-", "IMP-", "SHF-")):
            return Decimal(4)
        return Decimal(2) if sku.startswith("CP-") else Decimal(0)
    if sku.startswith("BLT-"):
        return Decimal(2000)
    if sku.startswith(("STL-", "SS-", "CU-")):
        return Decimal(500)
    if sku.startswith("PAINT-"):
        return Decimal(80)
    if sku.startswith(("GSK-", "SEAL-")):
        return Decimal(60)
    if sku.startswith("MOT-"):
        return Decimal(6)
    return Decimal(10)


def load_opening_stock(uow: UnitOfWork) -> str:
    warehouse_id = default_warehouse_id(uow.session)
    # the products that got their opening stock already (others may have moved: the demo's history)
    stocked = set(uow.session.scalars(select(StockMove.product_id).where(StockMove.warehouse_id == warehouse_id,
                                                                        StockMove.reason == OPENING)))
    count = 0
    for product in uow.session.scalars(select(Product).where(Product.kind != ProductKind.SERVICE)
                                       .order_by(Product.id)):
        qty = _opening_qty(product)
        if product.id in stocked or qty <= 0:
            continue
        adjust_stock(uow, {"product_id": product.id, "warehouse_id": warehouse_id, "qty": qty,
                           "reason": OPENING})
        count += 1
    return f"Opening stock for {count} products." if count else ""
