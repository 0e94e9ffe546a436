"""Customer 360: a customer worked from the first visit to a paid order, every step through the
real services, shows each kind of entry on its timeline in the order it happened; finance's entries
arrive through the timeline-source registry; a rep sees only their own customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import Forbidden, InvalidInput, NotFound
from crm.orders import services as crm
from crm.pipeline import services as pipeline
from crm.quotes import services as quotes
from crm.tickets import services as tickets
from crm.timeline.registry import TimelineEntry, TimelineSource, customer_timeline
from finance.invoicing import credit_notes
from finance.invoicing import services as invoicing
from finance.payments import refunds
from finance.payments import services as payments
from tests.conftest import api_as, make_user, uow_for
from tests.finance.builders import ON, build_books, ship

D = Decimal
STORY = ["opportunity", "activity", "task", "quote", "order", "shipment", "invoice", "payment", "ticket"]


def worked_customer(db, *, prefix="T"):
    """A rep's customer: visited (with a next step), quoted, the accepted quote confirmed as an order,
    shipped, invoiced, paid, and a ticket raised after delivery."""
    rep = make_user(db, "sales_rep", team="east")
    books = build_books(uow_for(db), prefix=prefix, owner_id=rep.id)
    as_rep, system = uow_for(db, rep), uow_for(db)
    opportunity = pipeline.create_opportunity(as_rep, {"customer_id": books.customer_id, "name": "Spare parts"})
    pipeline.log_activity(as_rep, {"kind": "visit", "opportunity_id": opportunity.id, "note": "Met the buyer",
                                   "next_step": "Send the quote", "next_step_date": date(2026, 3, 5)})
    quote = quotes.create_quote(as_rep, {"opportunity_id": opportunity.id,
                                         "lines": [{"product_id": books.a, "qty": D(10)}]})
    quotes.submit_quote(as_rep, quote.id)
    quote = quotes.accept_quote(as_rep, quote.id)
    order = crm.confirm_order(as_rep, quote.sales_order_id, on=ON)
    ship(system, order.id, [(books.a, 10)])
    invoice = invoicing.create_invoice(system, {"sales_order_id": order.id, "post": True, "invoice_date": ON})
    payment = payments.record_payment(system, {"customer_id": books.customer_id, "amount": invoice.total,
                                               "date": ON, "method": "bank_transfer", "reference": invoice.number})
    payments.allocate(system, payment.id, allocations=[{"invoice_id": invoice.id, "amount": invoice.total}])
    tickets.create_ticket(as_rep, {"customer_id": books.customer_id, "sales_order_id": order.id,
                                   "subject": "One part arrived scratched", "priority": "normal"})
    return rep, books, order, invoice, payment


def test_the_timeline_holds_every_kind_of_entry_in_the_order_it_happened(db):
    rep, books, order, invoice, payment = worked_customer(db)

    oldest_first = customer_timeline(uow_for(db, rep), books.customer_id, newest_first=False)
    newest_first = customer_timeline(uow_for(db, rep), books.customer_id)

    assert [e.kind for e in oldest_first.items] == STORY
    assert [e.kind for e in newest_first.items] == STORY[::-1]
    assert oldest_first.total == len(STORY)
    by_kind = {e.kind: e for e in oldest_first.items}
    assert (by_kind["order"].title, by_kind["order"].status) == (order.number, "shipped")
    assert {k: by_kind["order"].details[k] for k in ("shipment_status", "invoice_status", "payment_status")} == {
        "shipment_status": "shipped", "invoice_status": "invoiced", "payment_status": "paid"}
    assert (by_kind["invoice"].title, by_kind["invoice"].status, by_kind["invoice"].amount) == (
        invoice.number, "paid", invoice.total)
    assert (by_kind["payment"].title, by_kind["payment"].details["invoice_ids"]) == (payment.number, [invoice.id])
    assert (by_kind["shipment"].status, by_kind["shipment"].details["sales_order_number"]) == ("shipped",
                                                                                             order.number)
    assert by_kind["task"].title == "Send the quote" and by_kind["activity"].note == "Met the buyer"
    assert by_kind["ticket"].note == "One part arrived scratched"


def test_finance_entries_come_through_the_registry(app, db):
    sources = app.extensions["registry"].timeline_sources
    assert {"invoice", "payment", "credit_note", "refund", "shipment"} <= set(sources)
    assert sources["invoice"].fetch.__module__ == "finance.timeline"
    assert sources["shipment"].fetch.__module__ == "inventory.timeline"
    rep, books, *_ = worked_customer(db)

    only_money = customer_timeline(uow_for(db, rep), books.customer_id, kinds=["invoice", "payment"])

    assert [e.kind for e in only_money.items] == ["payment", "invoice"] and only_money.total == 2


def test_credit_notes_and_refunds_join_the_timeline_after_the_invoice(db):
    rep, books, _order, invoice, _payment = worked_customer(db)
    system = uow_for(db)
    note = credit_notes.create_credit_note(system, invoice.id, {
        "kind": "price_correction", "reason": "scratched part", "credit_date": ON,
        "lines": [{"invoice_line_id": invoice.lines[0].id, "amount": D("5.00")}]})
    refund = refunds.record_refund(system, books.customer_id, {"amount": note.to_unapplied_credit, "date": ON,
                                                               "method": "bank_transfer"})

    page = customer_timeline(uow_for(db, rep), books.customer_id, kinds=["invoice", "credit_note", "refund"],
                             newest_first=False)

    assert [(e.kind, e.title) for e in page.items] == [("invoice", invoice.number), ("credit_note", note.number),
                                                       ("refund", refund.number)]
    assert (page.items[1].amount, page.items[1].note, page.items[2].amount) == (note.total, "scratched part",
                                                                               refund.amount)


def test_a_module_adds_a_kind_of_entry_by_registering_a_source(app, db):
    rep, books, *_ = worked_customer(db)
    later = customer_timeline(uow_for(db, rep), books.customer_id).items[0].at

    def fetch(session, customer_id, limit, newest_first):
        return [TimelineEntry(kind="call_log", at=later, ref_id=1, title="Phone system call")][:limit]

    sources = app.extensions["registry"].timeline_sources
    sources.add(TimelineSource("call_log", "Calls", fetch, lambda s, c: 1, position=5))
    try:
        page = customer_timeline(uow_for(db, rep), books.customer_id, newest_first=False)
    finally:
        del sources["call_log"]

    assert page.total == len(STORY) + 1 and page.items[-1].kind == "ticket" and page.items[-2].kind == "call_log"


def test_pages_and_kind_filters_cut_the_merged_timeline(db):
    rep, books, *_ = worked_customer(db)
    uow = uow_for(db, rep)

    pages = [customer_timeline(uow, books.customer_id, page=p, per_page=3, newest_first=False) for p in (1, 2, 3)]
    orders = customer_timeline(uow, books.customer_id, kinds=["order", "ticket"])

    assert [[e.kind for e in p.items] for p in pages] == [STORY[:3], STORY[3:6], STORY[6:9]]
    assert pages[0].pages == 3
    assert [e.kind for e in orders.items] == ["ticket", "order"]
    with pytest.raises(InvalidInput) as refused:
        customer_timeline(uow, books.customer_id, kinds=["gossip"])
    assert list(refused.value.fields) == ["kind"]


def test_a_rep_sees_only_their_own_customers_timeline(db):
    rep, books, *_ = worked_customer(db)
    other_rep = make_user(db, "sales_rep", team="west")
    manager = make_user(db, "sales_manager", team="east")

    with pytest.raises(NotFound):
        customer_timeline(uow_for(db, other_rep), books.customer_id)
    with pytest.raises(NotFound):  # an unowned customer is in the pool, not on a rep's 360
        customer_timeline(uow_for(db, rep), books.other_customer_id)
    with pytest.raises(Forbidden):
        customer_timeline(uow_for(db, make_user(db, "warehouse")), books.customer_id)
    for reader in (manager, make_user(db, "finance"), make_user(db, "management"), make_user(db, "admin")):
        assert customer_timeline(uow_for(db, reader), books.customer_id).total == len(STORY)


def test_the_api_gives_the_timeline_with_amounts_as_strings_and_hides_other_reps_customers(client, db):
    rep, books, order, invoice, _payment = worked_customer(db)
    from tests.conftest import ApiClient

    mine = ApiClient(client, rep).get(f"/customers/{books.customer_id}/timeline?order=asc&kind=order&kind=invoice")
    other = api_as(client, db, "sales_rep").get(f"/customers/{books.customer_id}/timeline")
    as_finance = api_as(client, db, "finance").get(f"/customers/{books.customer_id}/timeline?per_page=2")

    body = mine.get_json()
    assert mine.status_code == 200, body
    assert [(i["kind"], i["title"]) for i in body["items"]] == [("order", order.number), ("invoice", invoice.number)]
    assert body["items"][1]["amount"] == str(invoice.total) and body["items"][0]["details"]["payment_status"] == "paid"
    assert body["items"][0]["link"] == f"/sales-orders/{order.id}"
    assert body["items"][1]["link"] is None          # a rep does not open finance's invoice page
    assert other.status_code == 404
    assert as_finance.status_code == 200 and as_finance.get_json()["total"] == len(STORY)
    assert as_finance.get_json()["items"][1]["link"] == f"/finance/payments/{_payment.id}"


def test_the_360_page_and_the_customer_panel(client, db):
    from tests.web.test_forms import sign_in
    from tests.web.test_orders_web import text_of

    rep, books, order, invoice, _payment = worked_customer(db)
    pipeline.log_activity(uow_for(db, rep), {"kind": "call", "customer_id": books.customer_id,
                                             "note": "Asked how the parts fit"})  # on the customer itself
    sign_in(client, rep)

    page = client.get(f"/customers/{books.customer_id}/timeline")
    panel = client.get(f"/customers/{books.customer_id}/timeline/panel")
    detail = client.get(f"/customers/{books.customer_id}")
    hidden = client.get(f"/customers/{books.other_customer_id}/timeline")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    kinds = [chunk.split('"')[0] for chunk in html.split('data-kind="')[1:]]
    assert kinds == ["activity", *STORY[::-1]] and "Asked how the parts fit" in html
    assert order.number in html and invoice.number in text_of(html) and "One part arrived scratched" in html
    assert panel.status_code == 200 and panel.get_data(as_text=True).count("data-kind=") == 5
    assert f"/customers/{books.customer_id}/timeline/panel" in detail.get_data(as_text=True)
    assert hidden.status_code == 404
