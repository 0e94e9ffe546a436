"""Sales order model: the transition table and the totals (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError, InvalidTransition
from core.models import Product
from crm.events import SalesOrderCancelled, SalesOrderConfirmed
from crm.orders.models import OrderState, SalesOrder
from crm.totals import line_amounts

D = Decimal
S = OrderState
ALLOWED = {
    (S.DRAFT, S.CONFIRMED), (S.DRAFT, S.CANCELLED),
    (S.CONFIRMED, S.PARTIALLY_SHIPPED), (S.CONFIRMED, S.SHIPPED), (S.CONFIRMED, S.CANCELLED),
    (S.PARTIALLY_SHIPPED, S.SHIPPED), (S.SHIPPED, S.DONE),
}


def product(price="5000", tax="0.13", pid=1) -> Product:
    return Product(id=pid, sku=f"P{pid}", name="Pump", kind="make", list_price=D(price), tax_rate=D(tax))


def order(state=S.DRAFT) -> SalesOrder:
    o = SalesOrder(id=7, number="SO-2026-00007", customer_id=1, warehouse_id=1, state=state.value,
                   order_date=date(2026, 12, 1), requested_date=date(2026, 12, 31), lines=[])
    o.add_line(product(), D(10)) if state == S.DRAFT else None
    return o


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_the_transition_table_allows_exactly_the_declared_moves(source, target):
    table = SalesOrder.TRANSITIONS
    assert ((source, target) in ALLOWED) == (target in table[source])


def test_every_state_has_a_row_in_the_table():
    assert set(SalesOrder.TRANSITIONS) == set(S)


def test_confirming_a_draft_records_the_event_with_the_lines():
    o = order()
    o.lines[0].id = 70
    o.confirm(on=date(2026, 12, 2))
    assert o.state == "confirmed" and o.confirmed_on == date(2026, 12, 2)
    (event,) = o.pop_events()
    assert isinstance(event, SalesOrderConfirmed)
    assert event.total == D("56500.00") and event.need_by == date(2026, 12, 31)
    assert [(line.line_id, line.product_id, line.qty) for line in event.lines] == [(70, 1, D(10))]


@pytest.mark.parametrize("state", [S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DONE, S.CANCELLED])
def test_only_a_draft_can_be_confirmed(state):
    o = order()
    o.state = state.value
    with pytest.raises(InvalidTransition):
        o.confirm(on=date(2026, 12, 2))


@pytest.mark.parametrize("state", [S.PARTIALLY_SHIPPED, S.SHIPPED, S.DONE, S.CANCELLED])
def test_a_shipping_or_finished_order_cannot_be_cancelled(state):
    o = order()
    o.state = state.value
    with pytest.raises(InvalidTransition):
        o.cancel(at=None)


@pytest.mark.parametrize("state,was_confirmed", [(S.DRAFT, False), (S.CONFIRMED, True)])
def test_cancelling_records_whether_the_order_had_been_confirmed(state, was_confirmed):
    o = order()
    o.state = state.value
    o.cancel(at=None)
    (event,) = o.pop_events()
    assert isinstance(event, SalesOrderCancelled) and event.was_confirmed is was_confirmed


def test_an_order_without_lines_cannot_be_confirmed():
    o = SalesOrder(number="SO-X", state="draft", lines=[])
    with pytest.raises(DomainError, match="no lines"):
        o.confirm(on=date(2026, 1, 1))


def test_only_a_draft_can_be_edited():
    o = order()
    o.state = S.CONFIRMED.value
    with pytest.raises(DomainError) as refused:
        o.add_line(product(), D(1))
    assert refused.value.code == "not_editable"


def test_totals_are_rounded_per_line_half_up_to_the_cent():
    o = SalesOrder(state="draft", lines=[])
    o.add_line(product("0.125", "0.13", 1), D(1))        # 0.125 -> 0.13; tax 0.0169 -> 0.02
    o.add_line(product("0.125", "0.13", 2), D(1))
    assert [(line.untaxed, line.tax, line.total) for line in o.lines] == [(D("0.13"), D("0.02"), D("0.15"))] * 2
    assert (o.untaxed, o.tax, o.total) == (D("0.26"), D("0.04"), D("0.30"))


def test_the_discount_is_a_fraction_of_the_line():
    assert line_amounts(D(3), D("99.99"), D("0.15"), D("0.13")) == (D("254.97"), D("33.15"))


def test_the_worked_example_total():
    o = order()
    assert (o.untaxed, o.tax, o.total) == (D("50000.00"), D("6500.00"), D("56500.00"))


def test_progress_is_derived_not_written():
    o = order()
    assert (o.shipment_status, o.invoice_status, o.payment_status) == ("none", "none", "unpaid")
    o.lines[0].shipped_qty = D(4)
    assert o.shipment_status == "partial"
    o.lines[0].shipped_qty = D(10)
    assert o.shipment_status == "shipped"
