"""Wiring of the pipeline pages (board, forecast, team view), their menu entries and the stalled-deal
task. Called from `crm.init_app`; the opportunity permissions themselves are registered with the leads."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.models import Role
from core.permissions import SALES
from core.registry import Registry


def init_app(app: Flask) -> None:
    from crm.pipeline import tasks, views  # noqa: F401  (tasks: registers crm.alert_stalled_deals)

    registry: Registry = app.extensions["registry"]
    # the sales manager's team view; management and admin see every sales user
    registry.permissions.register("team_view", {"read": frozenset({Role.SALES_MANAGER, Role.MANAGEMENT,
                                                                    Role.ADMIN})})
    # pipelines and their stages: sales users read them, sales managers and admin configure them
    registry.permissions.register("pipeline_settings", {
        "read": SALES | {Role.MANAGEMENT, Role.ADMIN},
        "create": frozenset({Role.SALES_MANAGER, Role.ADMIN}),
        "update": frozenset({Role.SALES_MANAGER, Role.ADMIN}),
    })

    app.register_blueprint(views.bp)
    registry.add_nav("crm_pipeline_web.board", _l("Pipeline"), ("read", "opportunity"))
    registry.add_nav("crm_pipeline_web.forecast", _l("Forecast"), ("read", "opportunity"))
    registry.add_nav("crm_pipeline_web.team", _l("Team"), ("read", "team_view"))
