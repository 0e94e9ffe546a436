"""The customer page lists the customer's orders with their shipment and payment status."""

from crm.orders import services as crm
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



def test_the_customer_list_filters_by_lifecycle_pool(client, db):
    from core import services as core_services

    rep = make_user(db, "sales_rep")
    uow = uow_for(db, rep)
    for code, stage in (("LC-D", "dormant"), ("LC-W", "won"), ("LC-N", "nurturing")):
        core_services.create_customer(uow, {"code": code, "name": f"Pool {code}", "lifecycle_stage": stage,
                                            "owner_id": rep.id})
    sign_in(client, rep)

    page = client.get("/customers?lifecycle_stage=dormant&q=LC-").get_data(as_text=True)
    assert "LC-D" in page and "LC-W" not in page and "LC-N" not in page
    assert "LC-N" in client.get("/customers?lifecycle_stage=nurturing&q=LC-").get_data(as_text=True)
