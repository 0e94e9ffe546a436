"""Thin tests of the fulfilment pages: purchasing orders the plans and confirms, the warehouse
books receipts and ships, production works its board, and sales reads the order's progress.
Each page calls the backend's services; these tests check the pages, redirects, flash messages
and printed documents, not the rules themselves (tests/flows/test_fulfilment.py does)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from crm.orders import services as crm
from purchasing import services as purchasing
from purchasing.models import PurchaseOrder, PurchasePlanLine
from tests.conftest import make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in
from tests.web.test_orders_web import example_for, text_of

D = Decimal


def confirmed_example(db, qty=10):
    """The worked example with one confirmed pump order: plans for MOTOR, GASKET (S1) and STEEL (S2)."""
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    uow = uow_for(db)
    from tests.flows.worked_example import pump_order
    order = pump_order(uow, example, qty)
    crm.confirm_order(uow, order.id)
    return example, order, rep


def sku_of(db, example, name: str) -> str:
    """The product's real SKU (the example's SKUs carry a unique prefix)."""
    from core.models import Product
    return db.get(Product, example.products[name]).sku


def open_plan_ids(db, order_id) -> list[int]:
    return list(db.scalars(select(PurchasePlanLine.id).where(PurchasePlanLine.sales_order_id == order_id,
                                                             PurchasePlanLine.state == "open")))


def orders_for(db, plan_ids) -> list[PurchaseOrder]:
    from purchasing.models import PurchaseOrderLine
    line_ids = db.scalars(select(PurchasePlanLine.purchase_order_line_id).where(PurchasePlanLine.id.in_(plan_ids)))
    order_ids = db.scalars(select(PurchaseOrderLine.order_id).where(PurchaseOrderLine.id.in_(list(line_ids))))
    return list(db.scalars(select(PurchaseOrder).where(PurchaseOrder.id.in_(list(order_ids)))
                           .order_by(PurchaseOrder.id)))


def test_purchasing_orders_the_ticked_plan_lines_and_confirms_the_purchase_order(client, db):
    example, order, _rep = confirmed_example(db)
    plans = open_plan_ids(db, order.id)
    buyer = make_user(db, "purchasing")
    sign_in(client, buyer)
    page = client.get("/purchasing/plans?state=open")
    assert "Create purchase orders" in page.get_data(as_text=True)
    token = csrf_token(client, "/purchasing/plans")

    created = client.post("/purchasing/plans/order", data={"csrf_token": token, "plan_id": [str(i) for i in plans]})

    assert created.status_code == 303
    orders = orders_for(db, plans)
    assert sorted(o.state for o in orders) == ["draft", "draft"]
    listing = text_of(client.get(created.headers["Location"], follow_redirects=True).get_data(as_text=True))
    assert "Draft purchase orders created (2)" in listing and orders[0].number in listing

    confirmed = client.post(f"/purchasing/orders/{orders[0].id}/confirm", data={"csrf_token": token},
                            follow_redirects=True)
    db.refresh(orders[0])
    assert orders[0].state == "confirmed"
    assert f"Purchase order {orders[0].number} is confirmed" in confirmed.get_data(as_text=True)


def test_the_warehouse_books_a_partial_receipt_and_an_over_receipt_is_refused_with_nothing_changed(client, db):
    example, order, _rep = confirmed_example(db)
    plans = open_plan_ids(db, order.id)
    uow = uow_for(db)
    po = purchasing.create_orders_from_plans(uow, plans)[0]
    purchasing.confirm_purchase_order(uow, po.id)
    motor = example.products["MOTOR"]
    keeper = make_user(db, "warehouse")
    sign_in(client, keeper)
    waiting = text_of(client.get("/purchasing/receipts").get_data(as_text=True))
    assert po.number in waiting
    token = csrf_token(client, f"/purchasing/orders/{po.id}")

    too_much = client.post(f"/purchasing/orders/{po.id}/receive", data={"csrf_token": token, f"qty-{motor}": "999"},
                           follow_redirects=True)
    db.refresh(po)
    assert "More than ordered" in text_of(too_much.get_data(as_text=True))
    assert po.state == "confirmed" and all(line.qty_received == 0 for line in po.lines)

    booked = client.post(f"/purchasing/orders/{po.id}/receive", data={"csrf_token": token, f"qty-{motor}": "4"},
                         follow_redirects=True)
    db.refresh(po)
    assert "Receipt booked" in booked.get_data(as_text=True)
    assert po.state == "partially_received"
    assert {example.sku(line.product_id): line.qty_received for line in po.lines}["MOTOR"] == D(4)


def test_the_purchase_order_prints_as_a_pdf_with_its_number(client, db):
    example, order, _rep = confirmed_example(db)
    po = purchasing.create_orders_from_plans(uow_for(db), open_plan_ids(db, order.id))[0]
    sign_in(client, make_user(db, "purchasing"))

    answer = client.get(f"/purchasing/orders/{po.id}.pdf")

    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF-") and po.number.encode() in answer.data


def test_a_sales_rep_may_not_order_plans_or_receive_goods(client, db):
    example, order, rep = confirmed_example(db)
    sign_in(client, rep)
    token = csrf_token(client, "/sales-orders")

    assert client.post("/purchasing/plans/order", data={"csrf_token": token}).status_code == 403
    assert client.get("/purchasing/receipts").status_code == 403
    assert open_plan_ids(db, order.id)  # nothing was ordered


def received_everything(db, order_id):
    """Every purchase for the order is ordered, confirmed and received in full (through the services)."""
    uow = uow_for(db)
    for po in purchasing.create_orders_from_plans(uow, open_plan_ids(db, order_id)):
        purchasing.confirm_purchase_order(uow, po.id)
        purchasing.receive_purchase_order(uow, po.id, [{"product_id": line.product_id, "qty": line.qty}
                                                       for line in po.lines])


def work_orders_of(db, example, order_id):
    from production.models import WorkOrder
    return {example.sku(wo.product_id): wo
            for wo in db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order_id))}


def test_the_board_shows_work_orders_waiting_for_components_and_refuses_to_release_them(client, db):
    example, order, _rep = confirmed_example(db)
    housing = work_orders_of(db, example, order.id)["HOUSING"]
    sign_in(client, make_user(db, "production"))

    board = client.get("/production/board").get_data(as_text=True)
    card = board[board.index(f'data-work-order="{housing.number}"'):]
    card = card[:card.index("</article>")]
    assert "Waiting for components" in card and f'data-component="{sku_of(db, example, "STEEL")}"' in card
    token = csrf_token(client, "/production/board")

    refused = client.post(f"/production/work-orders/{housing.id}/release", data={"csrf_token": token},
                          follow_redirects=True)

    db.refresh(housing)
    assert housing.state == "planned"
    assert "cannot be released" in text_of(refused.get_data(as_text=True))


def test_production_releases_starts_and_completes_the_child_work_order_from_the_board(client, db):
    example, order, _rep = confirmed_example(db)
    received_everything(db, order.id)
    housing = work_orders_of(db, example, order.id)["HOUSING"]
    sign_in(client, make_user(db, "production"))
    board = client.get("/production/board").get_data(as_text=True)
    card = board[board.index(f'data-work-order="{housing.number}"'):]
    assert "All components reserved" in card[:card.index("</article>")]
    token = csrf_token(client, "/production/board")

    client.post(f"/production/work-orders/{housing.id}/release", data={"csrf_token": token})
    client.post(f"/production/work-orders/{housing.id}/start", data={"csrf_token": token})
    db.refresh(housing)
    assert housing.state == "in_progress"
    too_many = client.post(f"/production/work-orders/{housing.id}/complete",
                           data={"csrf_token": token, "qty": str(housing.qty + 1)}, follow_redirects=True)
    db.refresh(housing)
    assert housing.state == "in_progress" and housing.qty_done == 0
    assert "cannot be completed" in text_of(too_many.get_data(as_text=True))
    done = client.post(f"/production/work-orders/{housing.id}/complete",
                       data={"csrf_token": token, "qty": str(housing.qty)}, follow_redirects=True)

    db.refresh(housing)
    assert housing.state == "done" and housing.qty_done == housing.qty
    assert f"Finished goods of work order {housing.number} are in stock" in done.get_data(as_text=True)


def test_the_work_order_sheet_prints_as_a_pdf(client, db):
    example, order, _rep = confirmed_example(db)
    pump = work_orders_of(db, example, order.id)["PUMP"]
    sign_in(client, make_user(db, "production"))

    answer = client.get(f"/production/work-orders/{pump.id}.pdf")

    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert pump.number.encode() in answer.data


def shipments_of(db, order_id):
    from inventory.models import Shipment
    db.expire_all()  # the pages changed them in their own sessions
    return list(db.scalars(select(Shipment).where(Shipment.sales_order_id == order_id).order_by(Shipment.id)))


def test_the_warehouse_ships_what_is_reserved_and_the_rest_waits_on_a_backorder(client, db):
    example, order, _rep = confirmed_example(db)  # 10 pumps ordered, 2 in stock and reserved
    sign_in(client, make_user(db, "warehouse"))
    desk = client.get("/inventory/shipping").get_data(as_text=True)
    assert f'data-order="{order.number}"' in desk
    token = csrf_token(client, "/inventory/shipping")

    picked = client.post("/inventory/shipments", data={"csrf_token": token, "sales_order_id": str(order.id)})
    assert picked.status_code == 303
    (pick_list,) = shipments_of(db, order.id)
    assert [item.qty for item in pick_list.lines] == [D(2)]
    shipped = client.post(f"/inventory/shipments/{pick_list.id}/ship", data={"csrf_token": token},
                          follow_redirects=True)

    assert f"Shipment {pick_list.number} has left the warehouse" in shipped.get_data(as_text=True)
    first, backorder = shipments_of(db, order.id)
    db.refresh(order)
    assert (first.state, backorder.state, backorder.backorder_of_id) == ("shipped", "draft", first.id)
    assert [item.qty for item in backorder.lines] == [D(8)]
    assert order.state == "partially_shipped" and order.lines[0].shipped_qty == D(2)

    refused = client.post(f"/inventory/shipments/{backorder.id}/ship", data={"csrf_token": token},
                          follow_redirects=True)
    db.refresh(backorder)
    assert backorder.state == "draft"
    assert "nothing was shipped" in text_of(refused.get_data(as_text=True))

    note = client.get(f"/inventory/shipments/{first.id}.pdf")
    assert note.status_code == 200 and note.mimetype == "application/pdf" and first.number.encode() in note.data


def test_a_sales_rep_cannot_open_the_shipping_desk_or_ship(client, db):
    example, order, rep = confirmed_example(db)
    sign_in(client, rep)
    token = csrf_token(client, "/sales-orders")

    assert client.get("/inventory/shipping").status_code == 403
    assert client.post("/inventory/shipments", data={"csrf_token": token,
                                                      "sales_order_id": str(order.id)}).status_code == 403
    assert shipments_of(db, order.id) == []


def test_the_sales_rep_reads_per_line_shipped_reserved_and_still_to_come_with_the_expected_date(client, db):
    example, order, rep = confirmed_example(db)  # 10 pumps: 2 reserved from stock, 8 to be made
    from inventory import shipping
    uow = uow_for(db)
    shipping.ship_shipment(uow, shipping.create_shipment(uow, {"sales_order_id": order.id}).id)
    pump_wo = work_orders_of(db, example, order.id)["PUMP"]
    sign_in(client, rep)

    page = client.get(f"/sales-orders/{order.id}").get_data(as_text=True)
    row = page[page.index('data-progress="'):]
    row = text_of(row[:row.index("</tr>")])
    assert "Shipment: partly" in text_of(page)
    assert " 10 pcs 2 0 8 " in f" {row} "  # ordered, shipped, reserved, still to come
    dates = client.get(f"/purchasing/expected-dates/fragment?sales_order_id={order.id}").get_data(as_text=True)
    line_id = order.lines[0].id
    assert f'id="expected-{line_id}"' in dates and 'hx-swap-oob="true"' in dates
    assert str(pump_wo.due_date) in dates  # the pegged work order's due date


def test_another_reps_order_has_no_expected_dates_for_me(client, db):
    example, order, _rep = confirmed_example(db)
    sign_in(client, make_user(db, "sales_rep"))

    assert client.get(f"/purchasing/expected-dates/fragment?sales_order_id={order.id}").status_code in (403, 404)


def test_a_quantity_that_is_not_a_number_is_refused_on_the_receive_and_complete_forms(client, db):
    example, order, _rep = confirmed_example(db)
    uow = uow_for(db)
    po = purchasing.create_orders_from_plans(uow, open_plan_ids(db, order.id))[0]
    purchasing.confirm_purchase_order(uow, po.id)
    line = po.lines[0]
    housing = work_orders_of(db, example, order.id)["HOUSING"]
    sign_in(client, make_user(db, "admin"))
    token = csrf_token(client, "/production/board")

    receipt = client.post(f"/purchasing/orders/{po.id}/receive",
                          data={"csrf_token": token, f"qty-{line.product_id}": "NaN"}, follow_redirects=True)
    completion = client.post(f"/production/work-orders/{housing.id}/complete",
                             data={"csrf_token": token, "qty": "lots"}, follow_redirects=True)

    assert "“NaN” is not a quantity." in receipt.get_data(as_text=True)
    assert "“lots” is not a quantity." in completion.get_data(as_text=True)
    db.refresh(line)
    db.refresh(housing)
    assert line.qty_received == 0 and housing.qty_done == 0
