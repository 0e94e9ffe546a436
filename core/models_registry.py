"""Imports every module's models so that the metadata is complete
(for Alembic and for building test schemas)."""

import importlib

MODEL_MODULES = ("core.models", "crm.orders.models", "crm.policy", "crm.leads.models", "crm.pipeline.models", "crm.quotes.models",
                 "crm.tickets.models", "crm.tasks.models", "crm.segments.models",
                 "inventory.models", "production.models", "purchasing.models", "finance.models", "finance.plans.models",
                 "reports.models", "reports.forecast", "reports.targets")


def load_all_models() -> None:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
