"""Service lines (installation, commissioning) need no stock: they are never reserved, planned, picked or
moved, they are delivered with the shipment that completes the order's goods (or, on an order of
services only, by the explicit "delivered" act), and the order counts them: it becomes shipped, its
on-delivery installment is invoiced, and invoicing what shipped bills the services exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput
from crm.orders import services as crm
from crm.orders.models import SalesOrder
from finance.invoicing import services as invoicing
from finance.journal.booking import check
from finance.models import Invoice
from finance.plans import services as plans
from inventory import shipping
from inventory.models import Reservation, Shipment, StockBalance, StockMove
from inventory.services import check_ledger
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine
from tests.conftest import make_user, uow_for
from tests.finance.builders import ON, Books, build_books, ship

D = Decimal


@pytest.fixture
def setting(db):
    rep = make_user(db, "sales_rep")
    uow = uow_for(db)
    books = build_books(uow, prefix="SV", owner_id=rep.id)
    install = core_services.create_product(uow, {
        "sku": "SVINSTALL", "name": "Installation", "kind": "service", "list_price": D("500"),
        "tax_rate": D("0.06")}).id
    return rep, books, install


def order_of(db, rep, books: Books, lines: list[tuple[int, int]], *, plan: list[dict] | None = None) -> SalesOrder:
    """A confirmed order of these (product id, quantity) lines, with a payment plan when given."""
    order = crm.create_order(uow_for(db, rep), {"customer_id": books.customer_id, "requested_date": None,
                                                "lines": [{"product_id": p, "qty": D(q)} for p, q in lines]}, on=ON)
    if plan is not None:
        plans.set_payment_plan(uow_for(db, rep), order.id, {"installments": plan}, on=ON)
    return crm.confirm_order(uow_for(db, rep), order.id, on=ON)


def line_of(order: SalesOrder, product_id: int):
    return next(line for line in order.lines if line.product_id == product_id)


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_an_order_of_goods_and_an_installation_is_shipped_when_its_goods_ship(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(books.a, 3), (install, 1)])
    service = line_of(order, install)
    # confirming reserves the goods only: the service is not reserved, made nor bought
    assert (line_of(order, books.a).reserved_qty, service.reserved_qty) == (D(3), D(0))
    assert service.to_come_qty == 0
    assert count(db, Reservation, Reservation.product_id == install) == 0
    assert count(db, WorkOrder, WorkOrder.sales_order_id == order.id) == 0
    assert count(db, PurchasePlanLine, PurchasePlanLine.sales_order_id == order.id) == 0

    shipment = shipping.create_shipment(uow_for(db), {"sales_order_id": order.id}, on=ON)
    assert [item.product_id for item in shipment.lines] == [books.a]  # the service is not picked
    shipping.ship_shipment(uow_for(db), shipment.id, on=ON)

    db.refresh(order)
    assert (order.state, order.shipment_status) == ("shipped", "shipped")
    assert (line_of(order, books.a).shipped_qty, service.shipped_qty) == (D(3), D(1))
    assert count(db, Shipment, Shipment.sales_order_id == order.id, Shipment.state == "draft") == 0  # no backorder
    # no stock move, balance or journal booking of stock value for the service; ledgers and journal agree
    assert count(db, StockMove, StockMove.product_id == install) == 0
    assert count(db, StockBalance, StockBalance.product_id == install) == 0
    assert check_ledger(db) == []
    assert check(db) == []

    invoice = invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id, "post": True}, on=ON)
    assert sorted((line.product_id, line.qty) for line in invoice.lines) == sorted([(books.a, D(3)), (install, D(1))])
    # 3 x 10.05 at 13% and 500.00 at 6%
    assert (invoice.untaxed, invoice.tax, invoice.total) == (D("530.15"), D("33.92"), D("564.07"))
    assert invoice.total == order.total
    with pytest.raises(DomainError) as again:  # billed exactly once
        invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id}, on=ON)
    assert again.value.code == "nothing_to_invoice"
    assert check(db) == []


def test_the_service_is_delivered_with_the_shipment_that_completes_the_goods(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(books.a, 3), (books.b, 2), (install, 1)])

    first = ship(uow_for(db), order.id, [(books.a, 3)])
    db.refresh(order)
    assert (order.state, line_of(order, install).shipped_qty) == ("partially_shipped", D(0))
    backorder = db.scalars(select(Shipment).where(Shipment.backorder_of_id == first.id)).one()
    assert [(item.product_id, item.qty) for item in backorder.lines] == [(books.b, D(2))]  # goods only
    part = invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id, "post": True}, on=ON)
    assert [line.product_id for line in part.lines] == [books.a]  # the service waits for its goods

    shipping.ship_shipment(uow_for(db), backorder.id, on=ON)
    db.refresh(order)
    assert (order.state, line_of(order, install).shipped_qty) == ("shipped", D(1))
    rest = invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id, "post": True}, on=ON)
    assert sorted(line.product_id for line in rest.lines) == sorted([books.b, install])
    assert part.total + rest.total == order.total
    assert check_ledger(db) == [] and check(db) == []


def test_the_on_delivery_installment_of_an_order_with_an_installation_is_invoiced_when_its_goods_ship(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(books.a, 3), (install, 1)], plan=[
        {"percent": D(40), "trigger": "on_confirmation"}, {"percent": D(60), "trigger": "on_delivery"}])
    assert [i.total for i in db.scalars(select(Invoice).where(Invoice.sales_order_id == order.id))] == [D("225.63")]

    ship(uow_for(db), order.id, [(books.a, 3)])

    db.refresh(order)
    totals = [i.total for i in db.scalars(select(Invoice).where(Invoice.sales_order_id == order.id)
                                          .order_by(Invoice.id))]
    assert order.state == "shipped" and totals == [D("225.63"), D("338.44")]
    assert sum(totals) == order.total and order.invoice_status == "invoiced"


def test_a_service_only_order_is_marked_delivered_and_billed(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(install, 2)], plan=[{"percent": D(100), "trigger": "on_delivery"}])
    assert order.shipment_status == "none" and count(db, Reservation, Reservation.sales_order_id == order.id) == 0
    with pytest.raises(DomainError) as no_pick_list:  # nothing is picked for a service
        shipping.create_shipment(uow_for(db), {"sales_order_id": order.id}, on=ON)
    assert no_pick_list.value.code == "nothing_reserved" and "only services" in no_pick_list.value.message

    crm.mark_delivered(uow_for(db, rep), order.id, on=ON)

    db.refresh(order)
    assert (order.state, order.shipment_status, order.lines[0].shipped_qty) == ("shipped", "shipped", D(2))
    [installment] = db.scalars(select(Invoice).where(Invoice.sales_order_id == order.id)).all()
    assert (installment.state, installment.total, installment.invoice_date) == ("posted", D("1060.00"), ON)
    assert count(db, StockMove, StockMove.product_id == install) == 0
    assert check_ledger(db) == [] and check(db) == []


def test_invoicing_what_shipped_bills_a_delivered_service_only_order(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(install, 1)])
    with pytest.raises(DomainError) as early:
        invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id}, on=ON)
    assert early.value.code == "nothing_to_invoice"

    crm.mark_delivered(uow_for(db, rep), order.id, on=ON)

    invoice = invoicing.create_invoice(uow_for(db), {"sales_order_id": order.id, "post": True}, on=ON)
    assert [(line.product_id, line.qty, line.total) for line in invoice.lines] == [(install, D(1), D("530.00"))]
    db.refresh(order)
    assert order.invoice_status == "invoiced"


def test_an_order_with_goods_to_ship_cannot_be_marked_delivered_by_hand(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(books.a, 3), (install, 1)])
    with pytest.raises(DomainError) as refused:
        crm.mark_delivered(uow_for(db, rep), order.id, on=ON)
    assert refused.value.code == "goods_not_shipped" and "SVA" in refused.value.message
    db.rollback()
    db.refresh(order)
    assert (order.state, line_of(order, install).shipped_qty) == ("confirmed", D(0))


def test_marking_delivered_is_sales_work_and_happens_once(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(install, 1)])
    with pytest.raises(Forbidden):
        crm.mark_delivered(uow_for(db, make_user(db, "warehouse")), order.id, on=ON)
    crm.mark_delivered(uow_for(db, rep), order.id, on=ON)
    with pytest.raises(DomainError) as twice:
        crm.mark_delivered(uow_for(db, rep), order.id, on=ON)
    assert twice.value.code == "invalid_transition"


def test_a_service_line_is_never_on_a_pick_list(db, setting):
    rep, books, install = setting
    order = order_of(db, rep, books, [(books.a, 3), (install, 1)])
    with pytest.raises(InvalidInput) as refused:
        shipping.create_shipment(uow_for(db), {"sales_order_id": order.id, "lines": [
            {"product_id": install, "qty": D(1)}]}, on=ON)
    assert "is a service" in refused.value.fields["lines"]["0"]["product_id"][0]


def test_a_pick_list_made_before_the_rule_ships_its_goods_and_the_services_follow_the_rule(db, setting):
    """Backorders used to carry service lines: shipping one skips the service (no stock), and a pick list
    of services alone is refused; the goods that complete the order deliver the service."""
    rep, books, install = setting
    order = order_of(db, rep, books, [(books.a, 3), (install, 1)])
    service = line_of(order, install)
    uow = uow_for(db)
    mixed = shipping._new_shipment(uow, order, {line_of(order, books.a).id: D(3), service.id: D(1)}, on=ON)
    alone = shipping._new_shipment(uow, order, {service.id: D(1)}, on=ON)
    uow.commit()

    with pytest.raises(DomainError) as refused:
        shipping.ship_shipment(uow_for(db), alone.id, on=ON)
    assert refused.value.code == "nothing_to_ship"
    db.rollback()
    shipping.ship_shipment(uow_for(db), mixed.id, on=ON)

    db.refresh(order)
    assert (order.state, service.shipped_qty) == ("shipped", D(1))
    assert count(db, StockMove, StockMove.product_id == install) == 0 and check_ledger(db) == []
