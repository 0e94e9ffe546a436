"""The stock ledger and its check."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from core import services as core_services
from inventory import services as inventory
from inventory.models import StockBalance, StockMove


def test_the_check_finds_a_balance_that_disagrees_with_the_ledger(app, db, uow):
    product = core_services.create_product(uow, {"sku": "NUT", "name": "Nut", "kind": "buy"})
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": Decimal("12"), "reason": "count"})
    assert inventory.check_ledger(db) == []
    assert app.test_cli_runner().invoke(args=["stock", "check"]).exit_code == 0

    db.execute(update(StockBalance).where(StockBalance.product_id == product.id).values(on_hand=Decimal("13")))

    (mismatch,) = inventory.check_ledger(db)
    assert (mismatch.field, mismatch.balance, mismatch.ledger) == ("on_hand", Decimal("13"), Decimal("12"))
    result = app.test_cli_runner().invoke(args=["stock", "check"])
    assert result.exit_code != 0 and "disagree" in result.output


def test_a_correction_is_a_new_move_not_an_edit(db, uow):
    product = core_services.create_product(uow, {"sku": "NUT", "name": "Nut", "kind": "buy"})
    first = inventory.adjust_stock(uow, {"product_id": product.id, "qty": Decimal("5"), "reason": "count"})
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": Decimal("-2"), "reason": "miscounted"})
    moves = list(db.scalars(select(StockMove).where(StockMove.product_id == product.id).order_by(StockMove.id)))
    assert [m.qty for m in moves] == [Decimal(5), Decimal(-2)] and moves[0] is first
    balance = inventory.balance_of(db, product.id, first.warehouse_id)
    assert (balance.on_hand, balance.reserved, balance.available) == (Decimal(3), Decimal(0), Decimal(3))
