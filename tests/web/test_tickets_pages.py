"""The ticket queue and the ticket page: raise a ticket from the queue, work it with the page's buttons,
the overdue flag, and the refusal of a resolution left empty."""

from __future__ import annotations

from datetime import timedelta

from core import services as core_services
from core.db import utcnow
from crm.tickets import services as tickets
from tests.conftest import make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in


def test_a_rep_raises_a_ticket_in_the_queue_and_works_it_to_closed_on_its_page(client, db):
    rep = make_user(db, "sales_rep", team="tw")
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"TW-{rep.id}", "name": "Web Ticket Co"})
    late = tickets.create_ticket(uow_for(db, rep), {"customer_id": customer.id, "subject": "Old leak",
                                                    "priority": "urgent"}, now=utcnow() - timedelta(hours=5))
    sign_in(client, rep)

    queue = client.get("/tickets").get_data(as_text=True)
    assert f'data-ticket="{late.number}"' in queue and "data-overdue" in queue
    token = csrf_token(client, "/tickets")
    raised = client.post("/tickets", data={"csrf_token": token, "customer_id": customer.id,
                                           "subject": "Pump noise", "priority": "high"})
    assert raised.status_code == 303
    page_url = raised.headers["Location"]
    assert client.get("/tickets?overdue=1").get_data(as_text=True).count("data-ticket=") == 1

    client.post(f"{page_url}/start", data={"csrf_token": token})
    client.post(f"{page_url}/resolve", data={"csrf_token": token, "resolution": ""})
    assert 'data-state="in_progress"' in client.get(page_url).get_data(as_text=True)
    client.post(f"{page_url}/resolve", data={"csrf_token": token, "resolution": "Bearing replaced"})
    client.post(f"{page_url}/satisfaction", data={"csrf_token": token, "score": "5"})
    client.post(f"{page_url}/close", data={"csrf_token": token})

    page = client.get(page_url).get_data(as_text=True)
    assert 'data-state="closed"' in page and "Bearing replaced" in page and "5 / 5" in page


def test_a_warehouse_user_may_not_open_the_ticket_queue(client, db):
    sign_in(client, make_user(db, "warehouse"))

    assert client.get("/tickets").status_code == 403
