"""The double-entry journal: what each act books, the refusal of an unbalanced entry, a journal that
cannot be rewritten, and the check after a long mixed scenario (which also finds a planted difference)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from core import services as core_services
from core.audit import LedgerViolation
from core.db import utcnow
from core.errors import InvalidTransition
from crm import customers as crm_customers
from crm.orders import services as crm
from finance.credit.exposure import receivable
from finance.invoicing import credit_notes
from finance.invoicing import services as invoicing
from finance.journal.booking import (
    Draft,
    Leg,
    UnbalancedEntry,
    check,
    stock_valuation,
    trial_balance,
    write_entries,
)
from finance.journal.models import JournalEntry, JournalLine
from finance.models import Invoice, Payment
from finance.payments import refunds
from finance.payments import services as payments
from finance.plans import services as plans
from inventory import services as inventory
from inventory.models import StockMove
from production import execution
from purchasing import services as purchasing
from tests.conftest import api_as, make_user, uow_for
from tests.finance.builders import ON, build_books, confirmed_order, invoiced_order, ship
from tests.flows.test_fulfilment import work_orders_of
from tests.flows.worked_example import fulfilment_cycle
from tests.web.test_forms import sign_in

D = Decimal


def booked(db, source_type: str, source_id: int | None = None) -> list[tuple]:
    """The lines booked for a source, in order: (account, debit, credit, customer, product)."""
    stmt = (select(JournalLine).join(JournalEntry).where(JournalEntry.source_type == source_type)
            .order_by(JournalEntry.id, JournalLine.position))
    if source_id is not None:
        stmt = stmt.where(JournalEntry.source_id == source_id)
    return [(line.account_code, line.debit, line.credit, line.customer_id, line.product_id)
            for line in db.scalars(stmt)]


def balance(db, account: str, *, customer_id: int | None = None, product_id: int | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
        JournalLine.account_code == account)
    if customer_id is not None:
        stmt = stmt.where(JournalLine.customer_id == customer_id)
    if product_id is not None:
        stmt = stmt.where(JournalLine.product_id == product_id)
    return Decimal(db.scalar(stmt)).quantize(D("0.01"))


def entry_count(db) -> int:
    return db.scalar(select(func.count()).select_from(JournalEntry))


@pytest.fixture
def books(uow):
    return build_books(uow)


@pytest.fixture
def cycle(uow):
    """The worked example of fulfilment: two pump orders confirmed, their plans and work orders made."""
    return fulfilment_cycle(uow)


def posted_invoice(uow, books, qty_a):
    return invoiced_order(uow, books.customer_id, [(books.a, qty_a)])[1]


def pay(uow, customer_id, amount, method="bank_transfer"):
    return payments.record_payment(uow, {"customer_id": customer_id, "amount": D(amount), "date": ON,
                                         "method": method, "reference": None})


# --------------------------------------------------------------------------- each posting kind


def test_a_posted_invoice_books_receivable_against_revenue_and_output_vat(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 10)])
    ship(uow, order.id, [(books.a, 10)])
    draft = invoicing.create_invoice(uow, {"sales_order_id": order.id, "invoice_date": ON})
    assert booked(db, "invoice") == []  # a draft books nothing
    invoicing.post_invoice(uow, draft.id)
    c = books.customer_id
    assert booked(db, "invoice", draft.id) == [("1122", D("113.57"), D(0), c, None),
                                               ("5001", D(0), D("100.50"), c, None),
                                               ("2221.01", D(0), D("13.07"), c, None)]
    entry = db.scalars(select(JournalEntry).where(JournalEntry.source_type == "invoice")).one()
    assert entry.number.startswith(f"JE-{ON.year}-") and entry.entry_date == ON
    assert check(db) == []


def test_the_check_adds_cents_exactly_where_the_database_adds_binary_fractions(db, uow, books):
    invoice = posted_invoice(uow, books, 4)  # 40.20 + 5.23 = 45.43, which SQLite's REAL sum misses by 1e-14
    assert booked(db, "invoice", invoice.id)[0][1] == D("45.43")
    assert check(db) == []


def test_a_payment_books_money_against_advances_then_an_allocation_and_its_undo_move_it(db, uow, books):
    invoice = posted_invoice(uow, books, 10)  # 113.57
    c = books.customer_id
    payment = pay(uow, c, "200.00")
    assert booked(db, "payment", payment.id) == [("1002", D(200), D(0), c, None), ("2203", D(0), D(200), c, None)]
    (allocation,) = payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice.id, "amount": D("113.57")}])
    assert booked(db, "allocation", allocation.id) == [("2203", D("113.57"), D(0), c, None),
                                                       ("1122", D(0), D("113.57"), c, None)]
    assert (balance(db, "1122", customer_id=c), balance(db, "2203", customer_id=c)) == (D(0), D("-86.43"))
    assert check(db) == []

    reversal = payments.undo_allocation(uow, payment.id, allocation.id)
    assert booked(db, "allocation", reversal.id) == [("2203", D(0), D("113.57"), c, None),
                                                     ("1122", D("113.57"), D(0), c, None)]
    assert (balance(db, "1122", customer_id=c), balance(db, "2203", customer_id=c)) == (D("113.57"), D(-200))
    assert check(db) == []


def test_a_cash_payment_allocated_in_the_same_act_is_one_entry_with_the_rest_as_an_advance(db, uow, books):
    invoice = posted_invoice(uow, books, 10)  # 113.57
    c = books.customer_id
    with uow.batch():
        payment = pay(uow, c, "150.00", method="cash")
        payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice.id, "amount": D("113.57")}])
    uow.commit()
    assert booked(db, "payment", payment.id) == [("1001", D(150), D(0), c, None),
                                                 ("1122", D(0), D("113.57"), c, None),
                                                 ("2203", D(0), D("36.43"), c, None)]
    assert booked(db, "allocation") == []
    assert check(db) == []


def test_stock_adjustments_book_opening_balances_and_count_differences(db, uow):
    product = core_services.create_product(uow, {"sku": "J-BOLT", "name": "Bolt", "kind": "buy",
                                                 "standard_cost": D("2.5"), "tax_rate": D("0.13")})
    opening = inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(100), "reason": "Opening stock"})
    lost = inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(-3), "reason": "count 2026-03"})
    p = product.id
    assert booked(db, "stock_move", opening.id) == [("1403", D(250), D(0), None, p), ("3104", D(0), D(250), None, p)]
    assert booked(db, "stock_move", lost.id) == [("1403", D(0), D("7.50"), None, p), ("1901", D("7.50"), D(0), None, p)]
    assert stock_valuation(db)[p] == D("242.50") == balance(db, "1403", product_id=p)
    assert check(db) == []


def test_receipts_production_and_shipments_book_inventory_through_grni_wip_and_cost_of_sales(db, uow, cycle):
    example, order1, _order2 = cycle
    p = example.products
    pump_wo, housing_wo = work_orders_of(db, order1.id)
    _po_s1, po_s2 = purchasing.create_orders_from_plans(uow, on=ON)
    purchasing.confirm_purchase_order(uow, po_s2.id)
    purchasing.receive_purchase_order(uow, po_s2.id, [{"product_id": p["STEEL"], "qty": D(14)}])
    receipt = db.scalars(select(StockMove).where(StockMove.kind == "receipt")).one()
    assert booked(db, "stock_move", receipt.id) == [("1403", D(700), D(0), None, p["STEEL"]),
                                                    ("2202.01", D(0), D(700), None, p["STEEL"])]
    execution.release_work_order(uow, housing_wo.id)
    execution.start_work_order(uow, housing_wo.id)  # STEEL 14 x 50 and GASKET 7 x 0 into work in progress
    issue = db.scalars(select(StockMove).where(StockMove.kind == "issue", StockMove.product_id == p["STEEL"])).one()
    assert booked(db, "stock_move", issue.id) == [("1403", D(0), D(700), None, p["STEEL"]),
                                                  ("4001", D(700), D(0), None, p["STEEL"])]
    execution.complete_work_order(uow, housing_wo.id, qty=D(7))  # 7 housings at 100
    made = db.scalars(select(StockMove).where(StockMove.kind == "production")).one()
    assert booked(db, "stock_move", made.id) == [("1405", D(700), D(0), None, p["HOUSING"]),
                                                 ("4001", D(0), D(700), None, p["HOUSING"])]
    assert balance(db, "4001") == D(0)
    assert check(db) == []

    # two pumps of the opening stock (standard cost 0) leave at no value: nothing to book
    shipment = ship(uow, order1.id, [(p["PUMP"], 2)])
    out = db.scalars(select(StockMove).where(StockMove.kind == "shipment")).one()
    assert out.reference == shipment.number and booked(db, "stock_move", out.id) == []
    assert check(db) == []


def test_a_shipment_books_its_cost_of_sales_at_the_moves_unit_cost(db, uow):
    customer = core_services.create_customer(uow, {"code": "J-C", "name": "Journal Customer"})
    product = core_services.create_product(uow, {"sku": "J-VALVE", "name": "Valve", "kind": "make",
                                                 "list_price": D(30), "standard_cost": D("12.3456"),
                                                 "tax_rate": D("0.13")})
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(10), "reason": "opening stock"})
    order = confirmed_order(uow, customer.id, [(product.id, 3)])
    ship(uow, order.id, [(product.id, 3)])
    out = db.scalars(select(StockMove).where(StockMove.kind == "shipment")).one()
    assert out.unit_cost == D("12.3456")
    assert booked(db, "stock_move", out.id) == [("1405", D(0), D("37.04"), None, product.id),
                                                ("5401", D("37.04"), D(0), None, product.id)]
    assert balance(db, "1405", product_id=product.id) == D("86.42") == stock_valuation(db)[product.id]
    assert check(db) == []


def test_a_customer_merge_moves_receivable_and_advances_to_the_kept_customer(db, uow, books):
    invoice = posted_invoice(uow, books, 10)  # 113.57 for the first customer
    pay(uow, books.other_customer_id, "20.00")
    payments.allocate(uow, pay(uow, books.customer_id, "13.57").id, auto=True)
    admin = make_user(db, "admin")
    crm_customers.merge_customers(uow_for(db, admin), books.other_customer_id, books.customer_id, reason="duplicate")
    keep, drop = books.other_customer_id, books.customer_id
    assert db.get(Invoice, invoice.id).customer_id == keep
    assert (balance(db, "1122", customer_id=drop), balance(db, "2203", customer_id=drop)) == (D(0), D(0))
    assert (balance(db, "1122", customer_id=keep), balance(db, "2203", customer_id=keep)) == (D(100), D(-20))
    assert check(db) == []


def test_a_credit_note_for_a_paid_return_books_revenue_back_and_a_refund_pays_out_the_credit(db, uow):
    customer = core_services.create_customer(uow, {"code": "J-CN", "name": "Returns Ltd"})
    product = core_services.create_product(uow, {"sku": "J-PIPE", "name": "Pipe", "kind": "buy", "list_price": D("10.05"),
                                                 "standard_cost": D(4), "tax_rate": D("0.13")})
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(100), "reason": "opening stock"})
    order, invoice = invoiced_order(uow, customer.id, [(product.id, 10)])
    payments.allocate(uow, pay(uow, customer.id, "113.57").id, auto=True)
    c, p = customer.id, product.id

    note = credit_notes.create_credit_note(uow, invoice.id, {
        "kind": "return", "lines": [{"invoice_line_id": invoice.lines[0].id, "qty": D(4)}], "credit_date": ON})
    assert (note.untaxed, note.tax, note.to_unapplied_credit) == (D("40.20"), D("5.23"), D("45.43"))
    assert booked(db, "credit_note", note.id) == [("5001", D("40.20"), D(0), c, None),
                                                  ("2221.01", D("5.23"), D(0), c, None),
                                                  ("1122", D(0), D("45.43"), c, None)]
    back = db.scalars(select(StockMove).where(StockMove.reference == note.number)).one()
    assert booked(db, "stock_move", back.id) == [("1403", D(16), D(0), None, p), ("5401", D(0), D(16), None, p)]
    assert (balance(db, "1122", customer_id=c), balance(db, "2203", customer_id=c)) == (D(0), D("-45.43"))
    assert balance(db, "5401", product_id=p) == D(24)  # 6 pumps sold at 4
    assert check(db) == []

    refund = refunds.record_refund(uow, c, {"amount": D("45.43"), "method": "bank_transfer", "date": ON})
    assert booked(db, "refund", refund.id) == [("2203", D("45.43"), D(0), c, None), ("1002", D(0), D("45.43"), c, None)]
    assert balance(db, "2203", customer_id=c) == D(0)
    assert check(db) == []
    reversal = refunds.undo_refund(uow, refund.id, on=ON)
    assert booked(db, "refund_undone", reversal.id) == [("2203", D(0), D("45.43"), c, None),
                                                        ("1002", D("45.43"), D(0), c, None)]
    assert check(db) == []


def test_a_refund_undone_after_its_customer_was_merged_returns_the_credit_to_the_kept_customer(db, uow, books):
    drop, keep = books.customer_id, books.other_customer_id
    pay(uow, drop, "50.00")
    refund = refunds.record_refund(uow, drop, {"amount": D(20), "method": "cash", "date": ON})
    crm_customers.merge_customers(uow_for(db, make_user(db, "admin")), keep, drop, reason="duplicate")
    refunds.undo_refund(uow, refund.id, on=ON)
    assert (balance(db, "2203", customer_id=drop), balance(db, "2203", customer_id=keep)) == (D(0), D(-50))
    assert check(db) == []


def test_a_payment_plans_deposit_delivery_and_acceptance_invoices_are_booked_like_any_invoice(db, uow, books):
    order = crm.create_order(uow, {"customer_id": books.customer_id, "requested_date": None,
                                   "lines": [{"product_id": books.a, "qty": D(10)}]}, on=ON)
    plans.set_payment_plan(uow, order.id, {"template": "30/60/10"}, on=ON)
    crm.confirm_order(uow, order.id, on=ON)  # the deposit is invoiced at confirmation
    deposit = db.scalars(select(Invoice).where(Invoice.sales_order_id == order.id)).one()
    c = books.customer_id
    assert booked(db, "invoice", deposit.id)[0] == ("1122", deposit.total, D(0), c, None)
    payments.allocate(uow, pay(uow, c, "40.00").id, auto=True)
    ship(uow, order.id, [(books.a, 10)])  # the delivery installment
    plans.accept_order(uow, order.id, on=ON)  # and the last one
    invoices = db.scalars(select(Invoice).where(Invoice.sales_order_id == order.id)).all()
    assert len(invoices) == 3 and sum(i.total for i in invoices) == D("113.57")
    assert balance(db, "1122", customer_id=c) == D("113.57") - deposit.total == receivable(db, c)
    assert balance(db, "2203", customer_id=c) == deposit.total - D(40)  # the rest of the 40 waits unapplied
    assert check(db) == []


# --------------------------------------------------------------------------- refusals and the ledger rule


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(db, uow):
    with pytest.raises(UnbalancedEntry) as refused:
        write_entries(db, [Draft(on=ON, source_type="test", source_id=None, memo="a test",
                                 legs=[Leg("1002", D(10)), Leg("5001", D("-9.99"))])])
    assert refused.value.code == "unbalanced_entry" and "debits 10, credits 9.99" in refused.value.message
    with pytest.raises(UnbalancedEntry):
        write_entries(db, [Draft(on=ON, source_type="test", source_id=None, memo="not in cents",
                                 legs=[Leg("1002", D("0.001")), Leg("5001", D("-0.001"))])])
    db.flush()
    assert entry_count(db) == 0


def test_an_invoice_whose_total_disagrees_with_its_parts_cannot_be_posted_and_the_act_rolls_back(db, uow, books):
    order = confirmed_order(uow, books.customer_id, [(books.a, 10)])
    ship(uow, order.id, [(books.a, 10)])
    invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id, "invoice_date": ON})
    invoice.total += D("0.01")  # a corrupted draft: 113.58 against 100.50 + 13.07
    db.commit()
    before = entry_count(db)
    with pytest.raises(UnbalancedEntry):
        invoicing.post_invoice(uow, invoice.id)
    db.expire_all()
    assert db.get(Invoice, invoice.id).state == "draft"
    assert db.get(type(order), order.id).invoiced_amount == D(0)
    assert entry_count(db) == before


def test_the_journal_cannot_be_edited_or_deleted(db, uow, books):
    posted_invoice(uow, books, 10)
    entry = db.scalars(select(JournalEntry)).first()
    entry.lines[0].debit += D(1)
    with pytest.raises(LedgerViolation):
        db.flush()
    db.rollback()
    entry = db.scalars(select(JournalEntry)).first()
    entry.memo = "rewritten"
    with pytest.raises(LedgerViolation):
        db.flush()
    db.rollback()
    db.delete(db.scalars(select(JournalLine)).first())
    with pytest.raises(LedgerViolation):
        db.flush()
    db.rollback()
    assert check(db) == []


# --------------------------------------------------------------------------- the long scenario and the check


def test_after_a_long_mixed_scenario_the_journal_agrees_with_the_books(db, uow, cycle):
    """Orders confirmed, goods received, made, shipped in parts, invoiced, paid in part, overpaid,
    applied later, an allocation undone, a count difference, a credit note and a refund: then every
    invariant holds."""
    example, order1, order2 = cycle
    p, c = example.products, example.customer_id
    pump_wo, housing_wo = work_orders_of(db, order1.id)
    po_s1, po_s2 = purchasing.create_orders_from_plans(uow, on=ON)
    purchasing.confirm_purchase_order(uow, po_s2.id)
    purchasing.confirm_purchase_order(uow, po_s1.id)
    purchasing.receive_purchase_order(uow, po_s2.id, [{"product_id": p["STEEL"], "qty": D(24)}])
    purchasing.receive_purchase_order(uow, po_s1.id, [{"product_id": p["MOTOR"], "qty": D(5)},
                                                      {"product_id": p["GASKET"], "qty": D(5)}])
    for work_order, qty in ((housing_wo, 7), (pump_wo, 5)):
        execution.release_work_order(uow, work_order.id)
        execution.start_work_order(uow, work_order.id)
        execution.complete_work_order(uow, work_order.id, qty=D(qty))
    first = ship(uow, order1.id, [(p["PUMP"], 7)])
    inventory.adjust_stock(uow, {"product_id": p["GASKET"], "qty": D(-1), "reason": "count difference"})

    invoice1 = invoicing.create_invoice(uow, {"sales_order_id": order1.id, "post": True, "invoice_date": ON})
    assert invoice1.total == D("39550.00")  # 7 x 5000 + 13%
    part = pay(uow, c, "10000.00")
    payments.allocate(uow, part.id, auto=True)
    over = pay(uow, c, "35000.00", method="cash")
    payments.allocate(uow, over.id, auto=True)  # 29550 of it; 5450 stays unapplied
    assert (invoice1.state, over.unapplied) == ("paid", D(5450))

    execution.complete_work_order(uow, pump_wo.id, qty=D(3))
    ship(uow, order1.id, [(p["PUMP"], 3)])
    assert first.state == "shipped"
    invoice2 = invoicing.create_invoice(uow, {"sales_order_id": order1.id, "post": True, "invoice_date": ON})
    (later,) = payments.allocate(uow, over.id, auto=True)
    assert (later.invoice_id, later.amount) == (invoice2.id, D(5450))
    payments.undo_allocation(uow, over.id, later.id)
    payments.allocate(uow, over.id, allocations=[{"invoice_id": invoice2.id, "amount": D(5000)}])
    assert order2.state == "confirmed"
    # a price correction of 1000 untaxed on the first (paid) invoice releases 1130 to unapplied credit
    note = credit_notes.create_credit_note(uow, invoice1.id, {
        "kind": "price_correction", "lines": [{"invoice_line_id": invoice1.lines[0].id, "amount": D(1000)}],
        "credit_date": ON})
    assert note.to_unapplied_credit == D(1130)
    refunds.record_refund(uow, c, {"amount": D(80), "method": "cash", "date": ON})

    assert check(db) == []
    assert balance(db, "1122", customer_id=c) == receivable(db, c) == D("11950.00")  # 16950 - 5000
    assert balance(db, "2203", customer_id=c) == D(-1500)  # 450 + 1130 - 80
    assert balance(db, "1403") + balance(db, "1405") == sum(stock_valuation(db).values())
    rows = trial_balance(db, None)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows) > 0
    assert {r.account.code for r in rows if r.debit or r.credit} >= {
        "1001", "1002", "1122", "1403", "1405", "1901", "2202.01", "2203", "2221.01", "4001", "5001", "5401"}


def test_the_check_finds_a_stock_move_and_a_line_written_past_the_journal(app, db, uow):
    product = core_services.create_product(uow, {"sku": "J-NUT", "name": "Nut", "kind": "buy",
                                                 "standard_cost": D("2.5"), "tax_rate": D("0.13")})
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(100), "reason": "opening stock"})
    runner = app.test_cli_runner()
    agreed = runner.invoke(args=["finance", "journal-check"])
    assert agreed.exit_code == 0, agreed.output
    assert check(db) == []

    db.execute(insert(StockMove).values(product_id=product.id, warehouse_id=1, qty=D(5), kind="adjustment",
                                        reason="planted", unit_cost=D("2.5"), created_at=utcnow()))
    entry_id = db.scalars(select(JournalEntry.id)).first()
    db.execute(insert(JournalLine).values(entry_id=entry_id, position=9, account_code="1002", debit=D(1),
                                          credit=D(0)))
    found = [str(d) for d in check(db)]
    assert found == [
        "entry JE-2026-00001 does not balance (debits vs credits): the journal says 251.00, the books say 250.00",
        "the journal's total debits vs total credits: the journal says 251.00, the books say 250.00",
        f"product {product.id}: inventory 1403+1405 vs stock valuation: the journal says 250.00, "
        f"the books say 262.50",
    ]
    failed = runner.invoke(args=["finance", "journal-check"])
    assert failed.exit_code != 0
    assert f"product {product.id}: inventory 1403+1405 vs stock valuation" in failed.output
    assert "3 difference(s)" in failed.output


def test_the_check_finds_receivable_that_the_journal_does_not_know(db, uow, books):
    invoice = posted_invoice(uow, books, 10)
    assert check(db) == []
    db.execute(Invoice.__table__.update().where(Invoice.id == invoice.id).values(paid_amount=D(10)))
    assert [str(d) for d in check(db)] == [
        f"customer {books.customer_id}: receivable 1122 vs open invoices: the journal says 113.57, "
        f"the books say 103.57",
        f"customer {books.customer_id}: 1122 less 2203 vs open invoices less unapplied credit: the journal "
        f"says 113.57, the books say 103.57"]


def test_an_opening_entry_brings_history_from_before_the_journal_into_it(app, db, uow, books):
    invoice = posted_invoice(uow, books, 10)
    product = core_services.create_product(uow, {"sku": "J-OLD", "name": "Old stock", "kind": "make",
                                                 "standard_cost": D(2), "tax_rate": D("0.13")})
    # history written before the journal existed: a move, an invoice paid in part, a payment
    db.execute(insert(StockMove).values(product_id=product.id, warehouse_id=1, qty=D(7), kind="adjustment",
                                        reason="before", unit_cost=D("2.5"), created_at=utcnow()))
    db.execute(Invoice.__table__.update().where(Invoice.id == invoice.id).values(paid_amount=D(10)))
    db.execute(insert(Payment).values(number="PAY-OLD", customer_id=books.customer_id, amount=D(30),
                                      allocated_amount=D(10), refunded_amount=D(0), payment_date=ON,
                                      method="bank_transfer", created_at=utcnow()))
    assert len(check(db)) == 4
    result = app.test_cli_runner().invoke(args=["finance", "journal-opening", "--date", "2026-01-01"])
    assert result.exit_code == 0 and "Booked JE-2026-" in result.output, result.output
    c = books.customer_id
    assert booked(db, "opening") == [("1122", D(0), D(10), c, None), ("2203", D(0), D(20), c, None),
                                     ("1405", D("17.50"), D(0), None, product.id), ("3104", D("12.50"), D(0), None, None)]
    assert check(db) == []
    again = app.test_cli_runner().invoke(args=["finance", "journal-opening"])
    assert "nothing booked" in again.output and len(booked(db, "opening")) == 4


# --------------------------------------------------------------------------- pages


def test_finance_reads_the_trial_balance_and_the_entries_and_sales_cannot(app, client, db, uow, books):
    invoice = posted_invoice(uow, books, 10)
    pay(uow, books.customer_id, "50.00")
    sign_in(client, make_user(db, "finance"))
    page = client.get("/finance/accounts").get_data(as_text=True)
    assert 'data-account="1122"' in page and "113.57" in page and "balanced" in page
    listing = client.get("/finance/journal?source=invoice").get_data(as_text=True)
    entry = db.scalars(select(JournalEntry).where(JournalEntry.source_type == "invoice")).one()
    assert f'data-entry="{entry.number}"' in listing and "Invoice " + invoice.number in listing
    assert 'data-entry="' not in client.get("/finance/journal?account=1001").get_data(as_text=True)
    assert 'data-entry="' not in client.get("/finance/journal?from=2026-03-03").get_data(as_text=True)
    assert f'data-entry="{entry.number}"' in client.get("/finance/journal?to=2026-03-02&q=INV-").get_data(
        as_text=True)
    assert 'data-entry="' in client.get(f"/finance/journal?customer_id={books.customer_id}&account=2203").get_data(
        as_text=True)
    detail = client.get(f"/finance/journal/{entry.id}").get_data(as_text=True)
    assert 'data-line="2221.01"' in detail and "13.07" in detail and "Accounts receivable" in detail
    assert client.get("/finance/journal/999999").status_code == 404
    nut = core_services.create_product(uow, {"sku": "J-WEB", "name": "Web nut", "kind": "buy",
                                             "standard_cost": D(2), "tax_rate": D("0.13")})
    move = inventory.adjust_stock(uow, {"product_id": nut.id, "qty": D(10), "reason": "opening stock"})
    stock_entry = db.scalars(select(JournalEntry).where(JournalEntry.source_type == "stock_move",
                                                        JournalEntry.source_id == move.id)).one()
    detail = client.get(f"/finance/journal/{stock_entry.id}").get_data(as_text=True)
    assert "J-WEB — Web nut" in detail and 'data-line="3104"' in detail and "20.00" in detail

    sales = app.test_client()
    sign_in(sales, make_user(db, "sales_rep"))
    assert sales.get("/finance/accounts").status_code == 403
    assert sales.get(f"/finance/journal/{entry.id}").status_code == 403


def test_the_chart_reads_in_chinese(client, db, uow, books):
    posted_invoice(uow, books, 1)
    sign_in(client, make_user(db, "management"))
    page = client.get("/finance/accounts", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "应收账款" in page and "应交税费—应交增值税(销项税额)" in page and "试算平衡" in page



@pytest.mark.parametrize("paid", ["all", "part", "none"])
def test_posting_an_invoice_that_is_posted_already_is_refused_and_books_nothing(client, db, paid):
    """Posting is for drafts: a posted invoice (paid, partly paid or not) posted again would be receivable
    twice, booked twice in 1122 and billed twice to the order."""
    uow = uow_for(db)
    books = build_books(uow, prefix="RP")
    order, invoice = invoiced_order(uow, books.customer_id, [(books.a, 10)])
    amount = {"all": invoice.total, "part": D("50.00"), "none": None}[paid]
    if amount is not None:
        payment = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": amount})
        payments.allocate(uow, payment.id, auto=True)
    state, entries = invoice.state, len(booked(db, "invoice", invoice.id))
    invoiced = order.invoiced_amount
    with pytest.raises(InvalidTransition):
        invoicing.post_invoice(uow_for(db), invoice.id)
    db.expire_all()
    assert db.get(Invoice, invoice.id).state == state
    assert len(booked(db, "invoice", invoice.id)) == entries
    assert db.get(type(order), order.id).invoiced_amount == invoiced
    assert check(db) == []
    admin = api_as(client, db, "admin")
    answer = admin.post(f"/invoices/{invoice.id}/post")
    assert answer.status_code == 409
    assert check(db) == []
