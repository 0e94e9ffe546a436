"""Owner handover (a leaving rep's book moves to another rep in one audited action) and the merge of
duplicate customers (every document follows the kept customer, the duplicate is deactivated)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from core.errors import Forbidden, InvalidInput, NotFound
from core.models import Address, AuditEntry, Contact, Customer
from crm import customers
from crm.leads.models import Lead
from crm.orders import services as crm
from crm.orders.models import SalesOrder
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity
from crm.quotes import services as quotes
from crm.quotes.models import Quote
from crm.tickets import services as tickets
from crm.tickets.models import Ticket
from finance.invoicing import services as invoicing
from finance.models import Invoice, Payment
from finance.payments import services as payments
from inventory import services as inventory
from tests.conftest import api_as, make_user, uow_for
from tests.finance.builders import confirmed_order, ship

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
D = Decimal


def book_of(db, rep, tag: str) -> dict:
    """A rep's customer with an assigned lead, an open and a won opportunity, a quote and a draft order."""
    product = core_services.create_product(uow_for(db), {"sku": f"P-{tag}", "name": "Pump", "kind": "buy",
                                                         "list_price": D("100")})
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"C-{tag}", "name": f"Co {tag}",
                                                                 "owner_id": rep.id})
    lead = Lead(number=f"LD-{tag}", company=f"Lead {tag}", status="assigned", owner_id=rep.id)
    converted = Lead(number=f"LDX-{tag}", company=f"Old {tag}", status="converted", owner_id=rep.id)
    db.add_all([lead, converted])
    db.flush()
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Pumps"},
                                              now=NOW)
    quote = quotes.create_quote(uow_for(db, rep), {"opportunity_id": opportunity.id, "lines": [
        {"product_id": product.id, "qty": D("1"), "discount": D("0")}]}, now=NOW)
    order = crm.create_order(uow_for(db, rep), {"customer_id": customer.id, "requested_date": None,
                                                "lines": [{"product_id": product.id, "qty": D("2")}]})
    return {"customer": customer, "lead": lead, "converted": converted, "opportunity": opportunity,
            "quote": quote, "order": order, "product": product}


def team(db, name: str):
    return (make_user(db, "sales_manager", team=name), make_user(db, "sales_rep", team=name),
            make_user(db, "sales_rep", team=name))


# --------------------------------------------------------------------------- handover


def test_handover_moves_every_open_record_of_the_leaving_rep_and_nothing_of_other_reps(db):
    manager, leaving, taking = team(db, "h1")
    other = make_user(db, "sales_rep", team="h1")
    mine, theirs = book_of(db, leaving, "h1a"), book_of(db, other, "h1b")

    result = customers.hand_over(uow_for(db, manager), leaving.id, taking.id, reason="left the company")

    assert result.customer_ids == [mine["customer"].id]
    assert (mine["customer"].owner_id, mine["lead"].owner_id, mine["opportunity"].owner_id) == (
        taking.id, taking.id, taking.id)
    assert mine["lead"].assigned_by == "handover"
    assert mine["converted"].owner_id == leaving.id  # history stays with who did it
    assert (theirs["customer"].owner_id, theirs["lead"].owner_id, theirs["opportunity"].owner_id) == (
        other.id, other.id, other.id)
    # quotes and orders have no owner of their own: they follow their customer into the new rep's scope
    assert quotes.get_quote(uow_for(db, taking), mine["quote"].id).customer.owner_id == taking.id
    with pytest.raises((Forbidden, NotFound)):
        quotes.get_quote(uow_for(db, leaving), mine["quote"].id)
    note = db.scalar(select(AuditEntry).where(AuditEntry.entity == "User", AuditEntry.entity_id == str(leaving.id),
                                              AuditEntry.action == "note"))
    assert "left the company" in note.note and note.changes["customers"] == [mine["customer"].id]
    moved = db.scalar(select(AuditEntry).where(AuditEntry.entity == "Customer",
                                               AuditEntry.entity_id == str(mine["customer"].id),
                                               AuditEntry.action == "update"))
    assert moved.changes["owner_id"] == [leaving.id, taking.id]


@pytest.mark.parametrize("role", ["sales_rep", "finance"])
def test_only_a_manager_or_an_admin_hands_over_and_a_refusal_changes_nothing(db, role):
    _manager, leaving, taking = team(db, f"h2{role}")
    mine = book_of(db, leaving, f"h2{role}")

    with pytest.raises(Forbidden):
        customers.hand_over(uow_for(db, make_user(db, role, team=f"h2{role}")), leaving.id, taking.id, reason="x")

    assert (mine["customer"].owner_id, mine["lead"].owner_id) == (leaving.id, leaving.id)


def test_a_manager_of_another_team_may_not_hand_over(db):
    _manager, leaving, taking = team(db, "h3")
    stranger = make_user(db, "sales_manager", team="elsewhere")
    book_of(db, leaving, "h3")

    with pytest.raises(Forbidden):
        customers.hand_over(uow_for(db, stranger), leaving.id, taking.id, reason="x")


def test_the_new_owner_must_be_another_active_sales_user(db):
    manager, leaving, taking = team(db, "h4")
    mine = book_of(db, leaving, "h4")
    clerk = make_user(db, "finance", team="h4")
    taking.active = False  # left as well
    db.flush()

    for target in (taking, clerk, leaving):  # inactive, not a sales user, the same user
        with pytest.raises(InvalidInput) as refused:
            customers.hand_over(uow_for(db, manager), leaving.id, target.id, reason="x")
        assert "to_user_id" in refused.value.fields
    assert (mine["customer"].owner_id, mine["opportunity"].owner_id) == (leaving.id, leaving.id)


# --------------------------------------------------------------------------- merge


def test_merge_moves_every_document_to_the_kept_customer_and_deactivates_the_duplicate(db):
    admin = make_user(db, "admin")
    rep = make_user(db, "sales_rep", team="m1")
    keep = core_services.create_customer(uow_for(db, rep), {"code": "KEEP-1", "name": "Harbour Trading",
                                                             "owner_id": rep.id})
    dup = book_of(db, rep, "m1")
    drop = dup["customer"]
    contact = Contact(customer_id=drop.id, name="Li Wei")
    address = Address(customer_id=drop.id, line1="1 Harbour Rd")
    dup["lead"].customer_id = drop.id
    db.add_all([contact, address])
    db.flush()
    inventory.adjust_stock(uow_for(db), {"product_id": dup["product"].id, "qty": D(10), "reason": "opening"})
    shipped = confirmed_order(uow_for(db), drop.id, [(dup["product"].id, 3)])
    ship(uow_for(db), shipped.id, [(dup["product"].id, 3)])
    invoice = invoicing.create_invoice(uow_for(db), {"sales_order_id": shipped.id, "post": True}, on=date(2026, 3, 2))
    payment = payments.record_payment(uow_for(db), {"customer_id": drop.id, "amount": D("50") },
                                      on=date(2026, 3, 3))

    ticket = tickets.create_ticket(uow_for(db, rep), {"customer_id": drop.id, "sales_order_id": shipped.id,
                                                      "subject": "Pump leaks"}, now=NOW)

    customers.merge_customers(uow_for(db, admin), keep.id, drop.id, reason="same company typed twice")

    for record in (contact, address, dup["lead"], dup["opportunity"], dup["quote"], dup["order"], shipped,
                   ticket, invoice, payment):
        db.refresh(record)
        assert record.customer_id == keep.id, type(record).__name__
    for model in (Contact, Address, Lead, Opportunity, Quote, SalesOrder, Ticket, Invoice, Payment):
        assert db.scalars(select(model).where(model.customer_id == drop.id)).all() == []
    assert drop.active is False and db.get(Customer, drop.id) is not None
    assert keep.active is True
    note = db.scalar(select(AuditEntry).where(AuditEntry.entity == "Customer", AuditEntry.entity_id == str(drop.id),
                                              AuditEntry.action == "note"))
    assert "KEEP-1" in note.note and "same company typed twice" in note.note
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity == "Invoice", AuditEntry.entity_id == str(invoice.id),
                                              AuditEntry.action == "update")).changes["customer_id"] == [
        drop.id, keep.id]


def test_a_customer_cannot_be_merged_into_itself(db):
    admin = make_user(db, "admin")
    customer = core_services.create_customer(uow_for(db), {"code": "SELF-1", "name": "Self"})

    with pytest.raises(InvalidInput) as refused:
        customers.merge_customers(uow_for(db, admin), customer.id, customer.id, reason="x")

    assert "drop_id" in refused.value.fields and customer.active is True


def test_a_sales_rep_may_not_merge_and_nothing_changes(db):
    rep = make_user(db, "sales_rep", team="m2")
    keep = core_services.create_customer(uow_for(db, rep), {"code": "K-m2", "name": "K", "owner_id": rep.id})
    dup = book_of(db, rep, "m2")

    with pytest.raises(Forbidden):
        customers.merge_customers(uow_for(db, rep), keep.id, dup["customer"].id, reason="x")

    assert dup["customer"].active is True and dup["order"].customer_id == dup["customer"].id


def test_a_sales_manager_merges_only_customers_of_the_own_team(db):
    manager = make_user(db, "sales_manager", team="m3")
    rep = make_user(db, "sales_rep", team="m3")
    outsider = make_user(db, "sales_rep", team="other-m3")
    keep = core_services.create_customer(uow_for(db, rep), {"code": "K-m3", "name": "K", "owner_id": rep.id})
    foreign = core_services.create_customer(uow_for(db, outsider), {"code": "F-m3", "name": "F",
                                                                     "owner_id": outsider.id})
    own = core_services.create_customer(uow_for(db, rep), {"code": "O-m3", "name": "O", "owner_id": rep.id})

    with pytest.raises(NotFound):  # another team's customer is out of the manager's sight
        customers.merge_customers(uow_for(db, manager), keep.id, foreign.id, reason="x")
    assert foreign.active is True

    customers.merge_customers(uow_for(db, manager), keep.id, own.id, reason="duplicate")
    assert own.active is False


# --------------------------------------------------------------------------- API


def test_api_handover_moves_the_book_and_refuses_a_non_sales_target(client, db):
    admin = api_as(client, db, "admin")
    _manager, leaving, taking = team(db, "a1")
    mine = book_of(db, leaving, "a1")
    clerk = make_user(db, "finance")

    refused = admin.post("/customers/handover", json={"from_user_id": leaving.id, "to_user_id": clerk.id,
                                                       "reason": "left"})
    assert refused.status_code == 422 and "to_user_id" in str(refused.get_json())
    answer = admin.post("/customers/handover", json={"from_user_id": leaving.id, "to_user_id": taking.id,
                                                      "reason": "left"})

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["customer_ids"] == [mine["customer"].id]
    db.refresh(mine["customer"])
    assert mine["customer"].owner_id == taking.id


def test_api_handover_is_forbidden_to_a_rep(client, db):
    rep = api_as(client, db, "sales_rep", team="a2")
    other = make_user(db, "sales_rep", team="a2")

    answer = rep.post("/customers/handover", json={"from_user_id": other.id, "to_user_id": rep.user.id,
                                                    "reason": "mine now"})

    assert answer.status_code == 403


def test_api_merge_deactivates_the_duplicate_and_refuses_a_self_merge(client, db):
    admin = api_as(client, db, "admin")
    keep = core_services.create_customer(uow_for(db), {"code": "AK-1", "name": "Keep"})
    drop = core_services.create_customer(uow_for(db), {"code": "AD-1", "name": "Drop"})

    assert admin.post(f"/customers/{keep.id}/merge", json={"drop_id": keep.id, "reason": "x"}).status_code == 422
    answer = admin.post(f"/customers/{keep.id}/merge", json={"drop_id": drop.id, "reason": "duplicate"})

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["id"] == keep.id
    db.refresh(drop)
    assert drop.active is False
