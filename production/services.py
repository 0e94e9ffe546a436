"""Production services: BOMs and work orders. The only code that changes them."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.errors import InvalidInput
from core.models import Product, ProductKind
from core.uow import UnitOfWork
from production.models import Bom, BomLine, WorkOrder


def _authorize(uow: UnitOfWork, action: str, resource: str) -> None:
    uow.authorize(action, resource)


# --------------------------------------------------------------------------- BOM trees


@dataclass(frozen=True)
class BomNode:
    bom_id: int
    product_id: int
    output_qty: Decimal
    components: tuple[tuple[int, Decimal], ...]  # (component product id, qty per output_qty)


def bom_tree(session: Session, product_ids: Iterable[int]) -> dict[int, BomNode]:
    """The active BOMs of these products and, recursively, of their components: one query
    (a recursive CTE), whatever the depth. `UNION` keeps it finite even on bad data."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    b, line = aliased(Bom), aliased(BomLine)
    tree = select(Product.id.label("product_id")).where(Product.id.in_(ids)).cte("bom_tree", recursive=True)
    tree = tree.union(
        select(line.component_id).join(b, b.id == line.bom_id)
        .join(tree, b.product_id == tree.c.product_id).where(b.active.is_(True)))
    rows = session.execute(
        select(Bom.id, Bom.product_id, Bom.output_qty, BomLine.component_id, BomLine.qty)
        .join(BomLine, BomLine.bom_id == Bom.id)
        .where(Bom.active.is_(True), Bom.product_id.in_(select(tree.c.product_id)))
        .order_by(Bom.product_id, BomLine.position, BomLine.id))
    grouped: dict[int, list] = defaultdict(list)
    heads: dict[int, tuple[int, Decimal]] = {}
    for bom_id, product_id, output_qty, component_id, qty in rows:
        heads[product_id] = (bom_id, Decimal(output_qty))
        grouped[product_id].append((component_id, Decimal(qty)))
    return {pid: BomNode(bom_id, pid, out, tuple(grouped[pid])) for pid, (bom_id, out) in heads.items()}


def _cycle_path(tree: dict[int, BomNode], product_id: int, components: list[int]) -> list[int] | None:
    """A path product -> component -> ... -> product if the new BOM would close a loop."""
    parents: dict[int, int] = {}
    queue = deque()
    for component in components:
        if component == product_id:
            return [product_id, product_id]
        if component not in parents:
            parents[component] = product_id
            queue.append(component)
    while queue:
        current = queue.popleft()
        node = tree.get(current)
        for child, _qty in node.components if node else ():
            if child in parents:
                continue
            parents[child] = current
            if child == product_id:
                path = [child]
                while path[-1] != product_id or len(path) == 1:
                    path.append(parents[path[-1]])
                return list(reversed(path))
            queue.append(child)
    return None


def create_bom(uow: UnitOfWork, data: dict) -> Bom:
    """A new active BOM for a make product; it replaces the product's active BOM, if any.
    A BOM that would make a product (indirectly) out of itself is refused.

    `data` is `CreateBomSchema`'s output (at least one line, positive quantities); here only what
    needs the database is checked: the products exist and are of the right kind, no component
    twice, no cycle."""
    _authorize(uow, "create", "bom")
    session = uow.session
    lines = data.get("lines") or []
    errors: dict = {}
    product = session.get(Product, data.get("product_id"))
    if product is None:
        errors["product_id"] = [f"No product with id {data.get('product_id')}."]
    elif product.kind != ProductKind.MAKE:
        errors["product_id"] = [f"{product.sku} is not a make product; only those have a BOM."]
    wanted = {line["component_id"] for line in lines}
    components = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
    line_errors: dict[str, dict[str, list[str]]] = {}
    seen: set[int] = set()
    for index, line in enumerate(lines):
        component = components.get(line["component_id"])
        if component is None:
            line_errors[str(index)] = {"component_id": [f"No product with id {line['component_id']}."]}
        elif component.kind == ProductKind.SERVICE:
            line_errors[str(index)] = {"component_id": [f"{component.sku} is a service, not a material."]}
        elif component.id in seen:
            line_errors[str(index)] = {"component_id": [f"{component.sku} is listed twice."]}
        seen.add(line["component_id"])
    if line_errors:
        errors["lines"] = line_errors
    if errors:
        raise InvalidInput(errors)
    path = _cycle_path(bom_tree(session, wanted), product.id, [line["component_id"] for line in lines])
    if path is not None:
        skus = {p.id: p.sku for p in session.scalars(select(Product).where(Product.id.in_(path)))}
        chain = " -> ".join(skus[pid] for pid in path)
        raise InvalidInput({"lines": [f"This BOM would make {product.sku} out of itself: {chain}."]},
                           message="The BOM has a cycle.")
    for old in session.scalars(select(Bom).where(Bom.product_id == product.id, Bom.active.is_(True))):
        old.active = False
    session.flush()  # the old BOM steps down before the new one takes the product's active slot
    bom = Bom(product_id=product.id, product=product, output_qty=data.get("output_qty") or Decimal(1),
              note=data.get("note"), active=True)
    bom.lines = [BomLine(position=index + 1, component_id=line["component_id"],
                         component=components[line["component_id"]], qty=line["qty"])
                 for index, line in enumerate(lines)]
    session.add(bom)
    uow.commit()
    return bom


def get_bom(uow: UnitOfWork, bom_id: int) -> Bom:
    _authorize(uow, "read", "bom")
    return uow.get(Bom, bom_id, "BOM")


def get_work_order(uow: UnitOfWork, work_order_id: int) -> WorkOrder:
    _authorize(uow, "read", "work_order")
    return uow.get(WorkOrder, work_order_id, "work order")
