"""After-sales tickets: the status transition table, the SLA due time by priority, the resolution
required to resolve, and the satisfaction score once resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput, InvalidTransition
from core.models import AuditEntry
from crm.tickets import services as tickets
from crm.tickets.models import Ticket
from tests.conftest import make_user, uow_for

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def setup(db):
    rep = make_user(db, "sales_rep", team="t")
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"TC-{rep.id}", "name": "Ticket Co"})
    return rep, customer


def raise_ticket(db, rep, customer, priority="normal", **extra):
    return tickets.create_ticket(uow_for(db, rep), {"customer_id": customer.id, "subject": "Pump leaks",
                                                    "priority": priority, **extra}, now=NOW)


@pytest.mark.parametrize(("priority", "due"), [
    ("urgent", timedelta(hours=4)), ("high", timedelta(days=1)),
    ("normal", timedelta(days=3)), ("low", timedelta(days=5))])
def test_the_sla_due_time_follows_from_the_priority(db, priority, due):
    rep, customer = setup(db)

    ticket = raise_ticket(db, rep, customer, priority)

    assert ticket.due_at == NOW + due
    assert ticket.number.startswith("TCK-2026-") and ticket.status == "open" and ticket.assignee_id == rep.id


def test_a_new_priority_moves_the_due_time_from_when_the_ticket_was_raised(db):
    rep, customer = setup(db)
    ticket = raise_ticket(db, rep, customer, "low")

    tickets.update_ticket(uow_for(db, rep), ticket.id, {"priority": "urgent"})

    assert ticket.due_at == NOW + timedelta(hours=4)
    assert ticket.is_overdue(NOW + timedelta(hours=5)) and not ticket.is_overdue(NOW + timedelta(hours=3))


def test_a_ticket_moves_from_open_through_work_and_resolution_to_closed(db):
    rep, customer = setup(db)
    ticket = raise_ticket(db, rep, customer)
    uow = uow_for(db, rep)

    tickets.start_ticket(uow, ticket.id, now=NOW)
    tickets.resolve_ticket(uow, ticket.id, "Replaced the seal", now=NOW + timedelta(hours=1))
    tickets.reopen_ticket(uow, ticket.id, now=NOW)
    assert ticket.status == "in_progress" and ticket.resolved_at is None
    tickets.resolve_ticket(uow, ticket.id, "Replaced the pump", now=NOW + timedelta(hours=2))
    tickets.close_ticket(uow, ticket.id, now=NOW + timedelta(hours=3))

    assert (ticket.status, ticket.resolution, ticket.closed_at) == ("closed", "Replaced the pump",
                                                                    NOW + timedelta(hours=3))
    assert not ticket.is_overdue(NOW + timedelta(days=30))
    assert db.query(AuditEntry).filter_by(entity="Ticket", entity_id=str(ticket.id)).count() >= 5


@pytest.mark.parametrize(("path", "move"), [
    ([], "close"), ([], "reopen"), ([], "resolve"),
    (["start"], "start"), (["start"], "close"),
    (["start", "resolve"], "cancel"),
    (["start", "resolve", "close"], "reopen"), (["start", "resolve", "close"], "cancel"),
    (["cancel"], "start"), (["cancel"], "reopen")])
def test_a_move_outside_the_transition_table_is_refused_and_changes_nothing(db, path, move):
    rep, customer = setup(db)
    ticket = raise_ticket(db, rep, customer)
    calls = {"start": tickets.start_ticket, "close": tickets.close_ticket, "cancel": tickets.cancel_ticket,
             "reopen": tickets.reopen_ticket,
             "resolve": lambda uow, tid, now=None: tickets.resolve_ticket(uow, tid, "Fixed", now=now)}
    for step in path:
        calls[step](uow_for(db, rep), ticket.id, now=NOW)
    before = ticket.status

    with pytest.raises(InvalidTransition):
        calls[move](uow_for(db, rep), ticket.id, now=NOW)

    db.rollback()
    assert db.get(Ticket, ticket.id).status == before


def test_open_and_in_progress_tickets_can_be_cancelled(db):
    rep, customer = setup(db)
    first, second = raise_ticket(db, rep, customer), raise_ticket(db, rep, customer)
    tickets.start_ticket(uow_for(db, rep), second.id)

    for ticket in (first, second):
        assert tickets.cancel_ticket(uow_for(db, rep), ticket.id).status == "cancelled"


@pytest.mark.parametrize("resolution", [None, "", "   "])
def test_resolving_without_a_resolution_is_refused(db, resolution):
    rep, customer = setup(db)
    ticket = raise_ticket(db, rep, customer)
    tickets.start_ticket(uow_for(db, rep), ticket.id)

    with pytest.raises(InvalidInput) as refused:
        tickets.resolve_ticket(uow_for(db, rep), ticket.id, resolution)

    assert refused.value.status == 422 and "resolution" in refused.value.fields
    db.rollback()
    assert db.get(Ticket, ticket.id).status == "in_progress"


def test_satisfaction_is_recorded_only_for_a_resolved_or_closed_ticket_and_from_1_to_5(db):
    rep, customer = setup(db)
    ticket = raise_ticket(db, rep, customer)
    tickets.start_ticket(uow_for(db, rep), ticket.id)

    with pytest.raises(DomainError) as early:
        tickets.rate_ticket(uow_for(db, rep), ticket.id, 5)
    assert early.value.code == "not_resolved"
    db.rollback()

    tickets.resolve_ticket(uow_for(db, rep), ticket.id, "Fixed")
    for bad in (0, 6):
        with pytest.raises(InvalidInput):
            tickets.rate_ticket(uow_for(db, rep), ticket.id, bad)
        db.rollback()
    assert db.get(Ticket, ticket.id).satisfaction is None

    assert tickets.rate_ticket(uow_for(db, rep), ticket.id, 4).satisfaction == 4
    tickets.close_ticket(uow_for(db, rep), ticket.id)
    assert tickets.rate_ticket(uow_for(db, rep), ticket.id, 5).satisfaction == 5


def test_a_rep_raises_tickets_only_for_own_customers_not_for_hidden_or_unowned_ones_and_a_sales_order_must_be_the_customers(db):
    rep, customer = setup(db)
    other = make_user(db, "sales_rep", team="t")

    unowned = core_services.create_customer(uow_for(db), {"code": f"TU-{rep.id}", "name": "Nobody's Co"})

    with pytest.raises(InvalidInput) as hidden:
        raise_ticket(db, other, customer)
    assert set(hidden.value.fields) == {"customer_id"}
    db.rollback()
    with pytest.raises(Forbidden):
        raise_ticket(db, rep, unowned)
    db.rollback()
    with pytest.raises(InvalidInput) as refused:
        raise_ticket(db, rep, customer, sales_order_id=999999, priority="whenever")
    assert set(refused.value.fields) == {"sales_order_id", "priority"}


def test_the_overdue_filter_lists_open_tickets_past_their_due_time(db):
    rep, customer = setup(db)
    urgent, low = raise_ticket(db, rep, customer, "urgent"), raise_ticket(db, rep, customer, "low")
    resolved = raise_ticket(db, rep, customer, "urgent")
    tickets.start_ticket(uow_for(db, rep), resolved.id)
    tickets.resolve_ticket(uow_for(db, rep), resolved.id, "Fixed")

    overdue = db.scalars(tickets.ticket_query(rep, {"overdue": True, "customer_id": customer.id},
                                              now=NOW + timedelta(hours=5))).all()

    assert [t.id for t in overdue] == [urgent.id]
    assert low.id not in [t.id for t in overdue]
