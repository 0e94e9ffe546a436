"""Request-scoped database session, unit of work and permission checks, shared by web views and the API."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from flask import Flask, current_app, g
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from core.registry import current_registry
from core.schemas import INT_MAX, parse_int
from core.uow import UnitOfWork

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait (`Retry-After`) when the database cannot be reached.
DATABASE_RETRY_AFTER = 30


def current_locale() -> str:
    """The request's language as the templates name it: zh_CN, not zh_Hans_CN; en without one."""
    loc = get_locale()
    return "_".join(filter(None, (loc.language, loc.territory))) if loc else "en"


def database_unavailable_page() -> tuple[str, int, dict[str, str]]:
    """The web's answer when the database cannot be reached: 503 with `Retry-After`, on a plain page that
    reads nothing from the database (not the signed-in user, no menu), so the answer itself cannot fail
    the same way. `api.handle_database_unavailable` answers with it for every path outside the API; it
    lives here, beside the session, so that the API needs no page module for it."""
    html = current_app.jinja_env.get_template("core/unavailable.html").render(
        locale=current_locale(), title=_("Service unavailable"),
        message=_("The database cannot be reached right now. Please try again in a moment."))
    return html, 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}


class IdConverter(IntegerConverter):
    """`<int:...>` in every route, web and API: a number beyond the database's INTEGER matches no route,
    so `/customers/2147483648` is the 404 of an unknown id rather than a 500 from the database."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


class Parameters(ImmutableMultiDict):
    """A query string's or a form's fields. `get(name, type=int)` reads a whole number as the schemas do
    (`core.schemas.parse_int`: digits within the database's INTEGER), so `?page=99999999999999999999` or
    `?customer_id=1_000` is a value that is not a number (the default) rather than a database error."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, parse_int if type is int else type)

    def getlist(self, key, type=None):
        return super().getlist(key, parse_int if type is int else type)


class Request(FlaskRequest):
    parameter_storage_class = Parameters


class App(Flask):
    """The suite's Flask application: every view runs inside `request_act()`, `<int:...>` in a route is
    an `IdConverter`, and a request's query and form read whole numbers within the database's range."""

    request_class = Request

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = IdConverter

    def dispatch_request(self):
        with request_act():
            return super().dispatch_request()


class Database:
    def __init__(self, engine, factory: sessionmaker) -> None:
        self.engine = engine
        self.sessionmaker = factory


class DecimalJSONProvider(DefaultJSONProvider):
    """Decimals in JSON are strings on the way out and exact on the way in."""

    @staticmethod
    def default(o):
        if isinstance(o, Decimal):
            return str(o)
        return DefaultJSONProvider.default(o)

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        return super().loads(s, **kwargs)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["db"].sessionmaker()
    return g.db_session


@contextmanager
def request_act() -> Iterator[None]:
    """The scope of what a request does with its session: an exception that leaves it (a refusal no view
    caught, a conflict, an abort) rolls back whatever the request did not commit before anyone answers, so
    an error handler (the API's JSON error, the error page) and every read after it see the database as it
    was before the act. Views that go on after a refusal scope the act themselves with `with uow:`."""
    try:
        yield
    except BaseException:
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        raise


def close_session(_exc=None) -> None:
    """Teardown: the request's one session is closed, which rolls back anything it left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def current_actor():
    return g.get("actor")


# -- the app's permissions, for pages, templates and the API (services ask their unit of work)
def can(actor, action: str, resource: str) -> bool:
    return current_registry().permissions.can(actor, action, resource)


def in_scope(actor, action: str, resource: str, record) -> bool:
    return current_registry().permissions.in_scope(actor, action, resource, record)


def scoped(actor, resource: str, stmt: Select, action: str = "read") -> Select:
    return current_registry().permissions.scoped(actor, resource, stmt, action)


def database_unreachable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be used right now, not that the statement was
    wrong: SQLAlchemy's OperationalError (connection refused or lost, a file that cannot be opened, a lock
    that timed out) or any DBAPI error on a connection SQLAlchemy found disconnected. The web and the API
    answer it 503 with `Retry-After` (see `api.handle_database_unavailable`)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def relay_outbox_later(message_ids: Sequence[int] = ()) -> None:
    """After commit: ask the app's own Celery (eager or Redis) to relay the outbox now.

    Best effort, and the one place that hands off to the relay (web views, the API, tasks, the CLI): the
    act and its messages are committed, so a broker that cannot be reached (kombu/redis connection
    errors) or any other error from `.delay()` (an eager relay that fails) is logged with the message ids
    and swallowed, and the act answers its success. The beat sweep `core.relay_outbox` delivers those
    messages later (see `core.outbox`)."""
    try:
        current_app.extensions["celery"].tasks["core.relay_outbox"].delay()
    except Exception as exc:  # noqa: BLE001 - committed: the sweep delivers what was not handed off
        log.warning("Relay not queued (%s: %s); %d outbox message(s) %s stay pending for the beat sweep",
                    type(exc).__name__, exc, len(message_ids), list(message_ids))


def get_uow() -> UnitOfWork:
    return UnitOfWork(get_session(), events=current_app.extensions["events"], actor=current_actor(),
                      on_outbox=relay_outbox_later)


@contextmanager
def task_uow(*, relay: bool = True) -> Iterator[UnitOfWork]:
    """A Celery task's unit of work on a session of its own: what the task leaves uncommitted is rolled
    back and the session closed on the way out; with `relay`, its outbox messages are relayed after commit."""
    ext = current_app.extensions
    with ext["db"].sessionmaker() as session, UnitOfWork(
            session, events=ext["events"], on_outbox=relay_outbox_later if relay else None) as uow:
        yield uow


def system_uow(session: Session | None = None) -> UnitOfWork:
    """A unit of work with no acting user, for the CLI and the demo loader."""
    session = session or current_app.extensions["db"].sessionmaker()
    return UnitOfWork(session, events=current_app.extensions["events"], on_outbox=relay_outbox_later)
