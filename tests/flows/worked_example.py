"""Builders for the worked example of issue 3 ("Order to plan").

Products: PUMP (make, list price 5000, lead 3 days), HOUSING (make, lead 2), MOTOR (buy, lead 10,
supplier S1), BOLT (buy, lead 5, S2), STEEL (buy, lead 7, S2), GASKET (buy, lead 4, S1); tax 13%.
BOM PUMP = 1 MOTOR + 1 HOUSING + 4 BOLT; BOM HOUSING = 2 STEEL + 1 GASKET.
Stock: PUMP 2, MOTOR 3, HOUSING 1, BOLT 100, STEEL 0, GASKET 10. Credit limit 100000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core import services as core_services
from core.uow import UnitOfWork
from crm.orders import services as crm
from inventory import services as inventory
from production import services as production
from purchasing import services as purchasing

REQUESTED = date(2026, 12, 31)
D = Decimal


@dataclass
class Example:
    customer_id: int
    suppliers: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)

    def sku(self, product_id: int) -> str:
        return {v: k for k, v in self.products.items()}[product_id]


def build_worked_example(uow: UnitOfWork, *, prefix: str = "", credit_limit: Decimal = D("100000"),
                         stock: dict[str, int] | None = None, owner_id: int | None = None) -> Example:
    customer = core_services.create_customer(uow, {
        "code": f"{prefix}CUST", "name": f"{prefix}Water Works", "credit_limit": credit_limit,
        "owner_id": owner_id})
    example = Example(customer_id=customer.id)
    for code in ("S1", "S2"):
        example.suppliers[code] = core_services.create_supplier(
            uow, {"code": f"{prefix}{code}", "name": f"Supplier {code}"}).id
    for sku, kind, price, lead, supplier in [
        ("PUMP", "make", "5000", 3, None), ("HOUSING", "make", "0", 2, None),
        ("MOTOR", "buy", "0", 10, "S1"), ("BOLT", "buy", "0", 5, "S2"),
        ("STEEL", "buy", "0", 7, "S2"), ("GASKET", "buy", "0", 4, "S1"),
    ]:
        example.products[sku] = core_services.create_product(uow, {
            "sku": f"{prefix}{sku}", "name": sku.title(), "kind": kind, "list_price": D(price),
            "lead_time_days": lead, "tax_rate": D("0.13"),
            "default_supplier_id": example.suppliers[supplier] if supplier else None}).id
    p = example.products
    production.create_bom(uow, {"product_id": p["HOUSING"], "lines": [
        {"component_id": p["STEEL"], "qty": D(2)}, {"component_id": p["GASKET"], "qty": D(1)}]})
    production.create_bom(uow, {"product_id": p["PUMP"], "lines": [
        {"component_id": p["MOTOR"], "qty": D(1)}, {"component_id": p["HOUSING"], "qty": D(1)},
        {"component_id": p["BOLT"], "qty": D(4)}]})
    stock = stock if stock is not None else {"PUMP": 2, "MOTOR": 3, "HOUSING": 1, "BOLT": 100, "GASKET": 10}
    for sku, qty in stock.items():
        if qty:
            inventory.adjust_stock(uow, {"product_id": p[sku], "qty": D(qty), "reason": "opening stock"})
    return example


def pump_order(uow: UnitOfWork, example: Example, qty: int, *, requested: date = REQUESTED):
    return crm.create_order(uow, {"customer_id": example.customer_id, "requested_date": requested,
                                  "lines": [{"product_id": example.products["PUMP"], "qty": D(qty)}]})


def fulfilment_cycle(uow: UnitOfWork):
    """The worked example of fulfilment: supplier prices for MOTOR, GASKET and STEEL, and two pump orders
    (10 and 5) confirmed, with their plans and work orders made. Gives (example, order1, order2)."""
    example = build_worked_example(uow)
    p, s = example.products, example.suppliers
    purchasing.set_supplier_price(uow, {"supplier_id": s["S1"], "product_id": p["MOTOR"], "price": D("800")})
    purchasing.set_supplier_price(uow, {"supplier_id": s["S1"], "product_id": p["GASKET"], "price": D("3.5"),
                                        "min_qty": D(5), "lead_time_days": 2})
    purchasing.set_supplier_price(uow, {"supplier_id": s["S2"], "product_id": p["STEEL"], "price": D("50")})
    order1, order2 = pump_order(uow, example, 10), pump_order(uow, example, 5)
    crm.confirm_order(uow, order1.id)
    crm.confirm_order(uow, order2.id)
    return example, order1, order2
