"""Import directions inside modules that the layers contract of import-linter does not see: it checks
that `crm` never imports `inventory`, not which way two parts of one module lean on each other."""

from __future__ import annotations

import grimp
import pytest

ROOTS = ("core", "crm", "inventory", "production", "purchasing", "finance", "reports", "api")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*ROOTS)


def _modules(graph, package: str) -> set[str]:
    return {package} | graph.find_descendants(package)


def test_the_pipeline_does_not_import_the_leads(graph):
    """Leads convert into opportunities, so leads may use the pipeline and never the other way round:
    what the pipeline needs of leads reaches it through the app's registry."""
    found = [(a, b) for a in _modules(graph, "crm.pipeline") for b in _modules(graph, "crm.leads")
             if graph.direct_import_exists(importer=a, imported=b)]
    assert found == []


def test_stock_allocation_and_the_inventory_services_are_not_a_circle(graph):
    """Both build on `inventory.reservations`; the services call the allocation, never the reverse."""
    assert graph.find_shortest_chain(importer="inventory.allocation", imported="inventory.services") is None
    assert graph.find_shortest_chain(importer="inventory.reservations", imported="inventory.services") is None
    assert graph.find_shortest_chain(importer="inventory.reservations", imported="inventory.allocation") is None


def test_the_api_reaches_no_html_view_module(graph):
    """PDF and workbook answers are built by response modules that the pages and the API both call."""
    views = {m for m in graph.modules if "views" in m.rsplit(".", 1)[-1]}
    found = [(a, chain) for a in _modules(graph, "api") for v in views
             if (chain := graph.find_shortest_chain(importer=a, imported=v)) is not None]
    assert found == []
