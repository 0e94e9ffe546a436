"""The demo loaders add BOMs and opening stock, and loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from core.demo import load_demo
from inventory.models import StockMove
from inventory.services import check_ledger
from production.models import Bom


def test_the_demo_has_multi_level_boms_and_opening_stock_and_loads_idempotently(app, db, uow):
    loaders = app.extensions["demo_loaders"]
    load_demo(uow, loaders)
    boms, moves = db.scalar(select(func.count()).select_from(Bom)), db.scalar(select(func.count()).select_from(StockMove))
    assert boms == 70 and moves > 100
    assert check_ledger(db) == []

    load_demo(uow, loaders)

    assert db.scalar(select(func.count()).select_from(Bom)) == boms
    assert db.scalar(select(func.count()).select_from(StockMove)) == moves
