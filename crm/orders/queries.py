"""Read-only helpers for sales order lists, always scoped by role and data scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.queries import Page, paginate, search
from core.registry import permissions_of
from crm.orders.models import SalesOrder


def sales_orders(session: Session, actor: User, *, q: str | None = None, page: int = 1, per_page: int = 25,
                 customer_id: int | None = None, state: str | None = None, warehouse_id: int | None = None) -> Page:
    stmt = permissions_of(session).scoped(actor, "sales_order", select(SalesOrder))
    if (found := search(q, SalesOrder.number)) is not None:
        stmt = stmt.where(found)
    for column, value in ((SalesOrder.customer_id, customer_id), (SalesOrder.state, state),
                          (SalesOrder.warehouse_id, warehouse_id)):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(SalesOrder.id.desc()), page, per_page)


# --------------------------------------------------------------------------- order entry (web UI)


def order_customers(session: Session, actor: User) -> list:
    """The active customers this user may enter orders for (the data scope for changes)."""
    from core.models import Customer

    stmt = permissions_of(session).scoped(actor, "customer", select(Customer).where(Customer.active.is_(True)),
                                          action="update")
    return list(session.scalars(stmt.order_by(Customer.code)))


def orderable_products(session: Session) -> list:
    """The active products an order line may name, by SKU."""
    from core.models import Product

    return list(session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.sku)))


def preview_order(session: Session, lines: list[dict]) -> tuple[SalesOrder, list]:
    """An unsaved draft holding these lines, with line amounts and totals computed by the model
    exactly as saving would (unit price defaults to the list price), and its line for each input
    line (None for one naming an unknown product, which is left out). Never added to the session."""
    from core.models import Product
    from core.money import ZERO

    wanted = {line["product_id"] for line in lines}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))} if wanted else {}
    order = SalesOrder(state="draft")
    built = []
    for line in lines:
        product = products.get(line["product_id"])
        built.append(None if product is None else order.add_line(
            product, line["qty"], unit_price=line.get("unit_price"), discount=line.get("discount") or ZERO))
    order.compute_totals()
    return order, built
