"""BOMs: cycles, one active per product, and the explosion's arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from core.errors import InvalidInput
from crm.orders import services as crm
from production import services as production
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine

D = Decimal


def make(uow, sku, kind="make", lead=0, supplier=None):
    return core_services.create_product(uow, {"sku": sku, "name": sku, "kind": kind, "lead_time_days": lead,
                                              "default_supplier_id": supplier, "list_price": D(10)}).id


def test_a_cycle_through_several_levels_is_refused_and_nothing_is_saved(db, uow):
    a, b, c = make(uow, "A"), make(uow, "B"), make(uow, "C")
    production.create_bom(uow, {"product_id": a, "lines": [{"component_id": b, "qty": D(1)}]})
    production.create_bom(uow, {"product_id": b, "lines": [{"component_id": c, "qty": D(1)}]})
    with pytest.raises(InvalidInput) as refused:
        production.create_bom(uow, {"product_id": c, "lines": [{"component_id": a, "qty": D(1)}]})
    assert refused.value.status == 422
    assert refused.value.fields == {"lines": ["This BOM would make C out of itself: C -> A -> B -> C."]}
    assert production.bom_tree(db, [c]) == {}
    assert set(production.bom_tree(db, [a])) == {a, b}


def test_output_quantity_and_four_decimal_components_scale_the_work_order(db, uow):
    supplier = core_services.create_supplier(uow, {"code": "S", "name": "S"}).id
    kit = make(uow, "KIT", lead=1)
    wire = make(uow, "WIRE", kind="buy", lead=3, supplier=supplier)
    production.create_bom(uow, {"product_id": kit, "output_qty": D(4),
                                "lines": [{"component_id": wire, "qty": D("0.3333")}]})
    customer = core_services.create_customer(uow, {"code": "C", "name": "C"}).id
    order = crm.create_order(uow, {"customer_id": customer, "requested_date": date(2026, 6, 10),
                                   "lines": [{"product_id": kit, "qty": D(6)}]})
    crm.confirm_order(uow, order.id)

    (work_order,) = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order.id))
    assert (work_order.qty, work_order.start_date) == (D(6), date(2026, 6, 9))
    assert work_order.components[0].qty_required == D("0.5000")  # 6 * 0.3333 / 4 = 0.49995 -> 0.5000
    (plan,) = db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.sales_order_id == order.id))
    assert (plan.qty, plan.need_by, plan.order_by) == (D("0.5000"), date(2026, 6, 9), date(2026, 6, 6))


def test_a_service_line_needs_no_stock_and_no_plan(db, uow):
    service = make(uow, "INSTALL", kind="service")
    customer = core_services.create_customer(uow, {"code": "C", "name": "C"}).id
    order = crm.create_order(uow, {"customer_id": customer, "lines": [{"product_id": service, "qty": D(3)}]})
    crm.confirm_order(uow, order.id)
    assert order.state == "confirmed" and order.lines[0].reserved_qty == 0
    assert db.scalars(select(PurchasePlanLine).where(PurchasePlanLine.sales_order_id == order.id)).all() == []
