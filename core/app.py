"""The application factory and composition root.

This is the one module allowed to import every domain module: it wires their
blueprints, event handlers and outbox consumers into one app."""

from __future__ import annotations

from flask import Flask, g, request, session
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

import api
import crm
import finance
import inventory
import production
import purchasing
import reports
from core import (
    audit,  # noqa: F401  (registers the audit flush hooks)
    cli,
    clock,
    input_bounds,
    mail,
    security,
    views,
)
from core.auth import user_for_session
from core.celery_app import init_celery
from core.config import Settings
from core.db import make_engine, make_sessionmaker
from core.events import EventRegistry
from core.outbox import ConsumerRegistry, notify_user
from core.permissions import register_core
from core.registry import Registry
from core.web import App, Database, DecimalJSONProvider, close_session, get_session

DOMAIN_MODULES = (crm, inventory, production, purchasing, finance, reports)

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def select_locale() -> str:
    settings: Settings = g.get("settings") or Settings.from_env()
    chosen = session.get("locale")
    if chosen in settings.locales:
        return chosen
    user = g.get("actor")
    if user is not None and user.locale in settings.locales:
        return user.locale
    return request.accept_languages.best_match(settings.locales) or settings.default_locale


def create_app(settings: Settings | None = None, *, engine=None) -> Flask:
    settings = settings or Settings.from_env()
    if settings.clock_start is not None:
        clock.start_at(settings.clock_start)
    app = App(__name__, instance_path=str(settings.instance_path), template_folder="templates",
              static_folder="static")
    app.json = DecimalJSONProvider(app)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES="translations",
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )

    engine = engine or make_engine(settings.database_url)
    app.extensions["db"] = Database(engine, make_sessionmaker(engine))
    registry = Registry()
    app.extensions["registry"] = registry
    app.extensions["events"] = EventRegistry(registry)
    consumers = ConsumerRegistry()
    consumers.subscribe("notify.user", "core.notify_user", notify_user)
    consumers.subscribe(mail.TOPIC, "core.send_mail", mail.MailSender(settings))
    app.extensions["outbox_consumers"] = consumers
    init_celery(app, settings)

    @app.before_request
    def _settings():
        g.settings = settings

    app.teardown_appcontext(close_session)

    security.init_app(app, settings)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "core_web.login"
    login_manager.login_message_category = "warning"
    login_manager.login_message = _l("Please sign in to open this page.")

    @login_manager.user_loader
    def _load_user(session_id: str):
        user = user_for_session(get_session(), session_id)
        if user is not None:
            g.actor = user
        return user

    with registry.contributions_of("core"):
        register_core(registry.permissions)
        views.init_app(app)
    for module in DOMAIN_MODULES:
        with registry.contributions_of(module.__name__):
            module.init_app(app, app.extensions["events"])
    api.init_app(app, csrf)
    # After the API's authentication: an anonymous caller is told 401 before anything about its input.
    app.before_request(input_bounds.check_request)
    cli.init_app(app)
    return app
