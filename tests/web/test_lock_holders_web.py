"""The warehouse's locks tables name the work orders holding stock in the page itself (one query for
the table, no request per row)."""

from __future__ import annotations

from sqlalchemy import select

from crm.orders import services as crm
from crm.orders.models import SalesOrder
from production.models import WorkOrder
from tests.conftest import make_user, uow_for
from tests.flows.worked_example import pump_order
from tests.web.test_forms import sign_in
from tests.web.test_orders_web import example_for


def test_the_locks_tables_link_the_work_orders_holding_stock_by_number(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    uow = uow_for(db)
    order = crm.confirm_order(uow, pump_order(uow, example, 10).id)
    sku = db.get(SalesOrder, order.id).lines[0].product.sku
    sign_in(client, make_user(db, "warehouse"))
    motor_order = db.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == order.id)
                             .order_by(WorkOrder.id)).first()
    link = (f'<a href="/production/work-orders?sales_order_id={order.id}#wo-{motor_order.id}">'
            f"{motor_order.number}</a>")

    stock = client.get(f"/inventory/stock?q={sku.replace('PUMP', 'MOTOR')}").get_data(as_text=True)
    fragment = client.get(f"/inventory/locks/fragment?sales_order_id={order.id}").get_data(as_text=True)

    assert link in stock.split('id="locks"')[1]
    assert link in fragment
    assert "hx-get" not in fragment
