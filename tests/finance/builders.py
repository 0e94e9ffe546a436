"""Builders for the finance tests: a customer on 30-day terms, two bought products at 13% VAT with
prices that round, stock for them, and orders shipped in parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import services as core_services
from core.uow import UnitOfWork
from crm.orders import services as crm
from finance.invoicing import services as invoicing
from inventory import services as inventory
from inventory import shipping

D = Decimal
ON = date(2026, 3, 2)


@dataclass
class Books:
    customer_id: int
    other_customer_id: int
    a: int  # 10.05 a piece
    b: int  # 7.77 a piece


def build_books(uow: UnitOfWork, *, prefix: str = "F", credit_limit: Decimal = D(0), owner_id=None) -> Books:
    customer = core_services.create_customer(uow, {"code": f"{prefix}C1", "name": f"{prefix} Harbour Trading",
                                                   "payment_terms_days": 30, "credit_limit": credit_limit,
                                                   "owner_id": owner_id})
    other = core_services.create_customer(uow, {"code": f"{prefix}C2", "name": f"{prefix} Inland Mills",
                                                "payment_terms_days": 60})
    products = {}
    for sku, price in (("A", "10.05"), ("B", "7.77")):
        products[sku] = core_services.create_product(uow, {
            "sku": f"{prefix}{sku}", "name": f"Part {sku}", "kind": "buy", "list_price": D(price),
            "tax_rate": D("0.13")}).id
        inventory.adjust_stock(uow, {"product_id": products[sku], "qty": D(1000), "reason": "opening stock"})
    return Books(customer.id, other.id, products["A"], products["B"])


def confirmed_order(uow: UnitOfWork, customer_id: int, lines: list[tuple[int, int]]):
    order = crm.create_order(uow, {"customer_id": customer_id, "requested_date": None,
                                   "lines": [{"product_id": p, "qty": D(q)} for p, q in lines]})
    return crm.confirm_order(uow, order.id, on=ON)


def ship(uow: UnitOfWork, order_id: int, lines: list[tuple[int, int]]):
    shipment = shipping.create_shipment(uow, {"sales_order_id": order_id, "lines": [
        {"product_id": p, "qty": D(q)} for p, q in lines]}, on=ON)
    return shipping.ship_shipment(uow, shipment.id, on=ON)


def invoiced_order(uow: UnitOfWork, customer_id: int, lines: list[tuple[int, int]], *, on: date = ON):
    """A confirmed order shipped in full and its invoice, posted and dated `on`: (order, invoice)."""
    order = confirmed_order(uow, customer_id, lines)
    ship(uow, order.id, lines)
    return order, invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True, "invoice_date": on})
