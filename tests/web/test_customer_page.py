"""The customer page lists the customer's orders with their shipment and payment status."""

from crm import services as crm
from tests.conftest import make_user, uow_for
from tests.flows.worked_example import pump_order
from tests.web.test_forms import sign_in
from tests.web.test_orders_web import example_for, text_of


def test_the_customer_page_loads_the_customers_orders_with_their_progress(client, db):
    rep = make_user(db, "sales_rep")
    example = example_for(db, rep)
    order = pump_order(uow_for(db), example, 10)
    crm.confirm_order(uow_for(db), order.id)
    sign_in(client, rep)

    page = client.get(f"/customers/{example.customer_id}").get_data(as_text=True)
    assert f'hx-get="/sales-orders?customer_id={example.customer_id}"' in page

    panel = text_of(client.get(f"/sales-orders?customer_id={example.customer_id}",
                               headers={"HX-Request": "true"}).get_data(as_text=True))
    assert order.number in panel and "Confirmed" in panel and "not shipped" in panel and "unpaid" in panel

