"""The `reports` module: management reports read what every department wrote.

It keeps its own aggregates beside the documents (the sales entries and cubes in `reports.models`),
written by its handlers in the act's own transaction, and serves the sales cube, the funnel, targets,
forecast against actual, operations and cash, and the dashboard."""

from flask import Flask

from core.events import EventRegistry
from core.models import Role
from core.registry import Registry

#: who reads the company-wide reports (a sales manager reads the team's, a rep their own)
COMPANY_READERS = frozenset({Role.MANAGEMENT, Role.FINANCE, Role.ADMIN})
READERS = COMPANY_READERS | {Role.SALES_MANAGER, Role.SALES_REP}


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register the reports' permissions, pages and the handlers that keep the sales entries."""
    from reports import handlers, tasks  # noqa: F401  (tasks: registers reports.snapshot_forecast)

    registry: Registry = app.extensions["registry"]
    registry.permissions.register("sales_report", {"read": READERS,
                                                    "update": frozenset({Role.MANAGEMENT, Role.ADMIN})})
    handlers.subscribe(events)
    from reports.sales import close_report_session

    app.teardown_appcontext(close_report_session)
    _init_dashboard(app, registry)
    _init_operations(app, registry)
    from reports.cli import reports_cli

    app.cli.add_command(reports_cli)
    _init_targets(app, registry)
    _init_report_pages(app, registry)
    from reports import demo

    # first of the modules' loaders (reports' init_app runs last): right after the core demo, while no
    # demand waits yet, so the stock each historical order receives is taken by that order alone
    app.extensions.setdefault("demo_loaders", []).insert(0, demo.load_history)


def _init_targets(app: Flask, registry: Registry) -> None:
    """Sales targets: who sets and reads them (`reports.targets`), the attainment board and the daily
    behind-pace task."""
    from flask_babel import lazy_gettext as _l

    from reports import target_views, targets, tasks  # noqa: F401  (tasks: registers reports.alert_behind_pace)

    registry.permissions.register(targets.RESOURCE, {
        "read": READERS,
        "create": frozenset({Role.SALES_MANAGER, Role.ADMIN}),
        "update": frozenset({Role.SALES_MANAGER, Role.ADMIN}),
    }, scope=targets.TARGET_SCOPE)
    app.register_blueprint(target_views.bp)
    registry.add_nav("reports_targets_web.board", _l("Targets"), ("read", targets.RESOURCE))


def _init_report_pages(app: Flask, registry: Registry) -> None:
    """The pages of operations and cash, forecast against actual and the funnel with time in each stage
    (`reports.report_views`), each in the menu of whoever reads its report."""
    from flask_babel import lazy_gettext as _l

    from reports import operations, report_views

    app.register_blueprint(report_views.bp)
    registry.add_nav("reports_pages.operations_page", _l("Operations"), ("read", operations.RESOURCE))
    registry.add_nav("reports_pages.forecast_page", _l("Forecast vs actual"), ("read", "sales_report"))
    registry.add_nav("reports_pages.funnel_page", _l("Funnel"), ("read", "sales_report"))


def _init_operations(app: Flask, registry: Registry) -> None:
    """Operations and cash (`reports.operations`): sales users read their orders' figures, warehouse,
    purchasing and production the parts their role reads; the weekly digest to management and the page of
    the e-mail the suite sent (admin and management read it, admin sends the digest at once)."""
    from flask_babel import lazy_gettext as _l

    from reports import digest, digest_views, operations, tasks  # noqa: F401  (registers reports.send_weekly_digest)

    registry.permissions.register(operations.RESOURCE, {
        "read": READERS | {Role.WAREHOUSE, Role.PURCHASING, Role.PRODUCTION}})
    registry.permissions.register(operations.CASH_RESOURCE, {"read": READERS})
    registry.permissions.register(digest.MAIL_RESOURCE, {"read": frozenset({Role.ADMIN, Role.MANAGEMENT}),
                                                         "create": frozenset({Role.ADMIN})})
    app.register_blueprint(digest_views.bp)
    registry.add_nav("reports_mail_web.sent_mail", _l("Sent mail"), ("read", digest.MAIL_RESOURCE))


def _init_dashboard(app: Flask, registry: Registry) -> None:
    """The dashboard and the pivot of the sales figures, and the rows behind their numbers (`reports.views`)."""
    from flask_babel import lazy_gettext as _l

    from reports import views

    app.register_blueprint(views.bp)
    registry.add_nav("reports_web.dashboard_page", _l("Dashboard"), ("read", "sales_report"))
    registry.add_nav("reports_web.pivot_page", _l("Pivot"), ("read", "sales_report"))
