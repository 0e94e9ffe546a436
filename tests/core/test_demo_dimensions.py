"""The demo company's report dimensions: five product lines holding every product, and customers that came
from several sources and trades (core's loader alone: the other modules' loaders are not needed)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from core.demo import load_demo
from core.models import Customer, Product, ProductLine


def test_the_demo_puts_every_product_in_one_of_five_lines_and_spreads_the_customers_over_sources(db, uow):
    load_demo(uow, [])

    lines = {line.code: line.name_zh for line in db.scalars(select(ProductLine))}
    by_sku = dict(db.execute(select(Product.sku, Product.product_line)).all())
    sources = Counter(db.scalars(select(Customer.source).where(Customer.code.like("C0%"))))
    industries = set(db.scalars(select(Customer.industry).where(Customer.code.like("C0%"))))

    assert lines == {"PUMPS": "泵", "VALVES": "阀门", "MOTORS": "电机", "SPARES": "备件", "SERVICE": "服务"}
    assert None not in by_sku.values() and set(by_sku.values()) == set(lines)
    assert {sku: by_sku[sku] for sku in ("CP-50", "MOT-3", "TRD-005", "TRD-040", "TRD-008", "SEAL-50", "STL-BAR",
                                         "SVC-INSTALL")} == {
        "CP-50": "PUMPS", "MOT-3": "MOTORS", "TRD-005": "VALVES",  # a check valve
        "TRD-040": "PUMPS",  # a dosing pump
        "TRD-008": "SPARES",  # a pump base frame is an accessory, not a pump
        "SEAL-50": "SPARES", "STL-BAR": "SPARES", "SVC-INSTALL": "SERVICE"}
    assert set(sources) == {"website", "trade_show", "referral", "b2b_marketplace", "cold_call", "direct"}
    assert sum(sources.values()) == 50 and max(sources.values()) < 25
    assert None not in industries and len(industries) == 10


def test_loading_the_demo_twice_adds_no_product_line(db, uow):
    load_demo(uow, [])
    before = db.scalars(select(ProductLine.code).order_by(ProductLine.code)).all()

    load_demo(uow, [])

    assert db.scalars(select(ProductLine.code).order_by(ProductLine.code)).all() == before
