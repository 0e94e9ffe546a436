"""Wiring of the pipeline pages (board, forecast, team view) and the stalled-deal task. Called
from `crm.init_app`; the opportunity permissions themselves are registered with the leads."""

from __future__ import annotations

from flask import Flask

from core.models import Role
from core.permissions import SALES, register

R = Role


def init_app(app: Flask) -> None:
    # the sales manager's team view; management and admin see every sales user
    register("team_view", {"read": frozenset({R.SALES_MANAGER, R.MANAGEMENT, R.ADMIN})})
    # pipelines and their stages: sales users read them, sales managers and admin configure them
    register("pipeline_settings", {
        "read": SALES | {R.MANAGEMENT, R.ADMIN},
        "create": frozenset({R.SALES_MANAGER, R.ADMIN}),
        "update": frozenset({R.SALES_MANAGER, R.ADMIN}),
    })

    from crm.pipeline import tasks, views  # noqa: F401  (tasks: registers crm.alert_stalled_deals)

    app.register_blueprint(views.bp)
