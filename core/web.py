"""Request-scoped database session and unit of work, shared by web views and the API."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, g
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.orm import Session, sessionmaker

from core.uow import UnitOfWork


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


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def current_actor():
    return g.get("actor")


def relay_outbox_later() -> None:
    """After commit: ask the app's own Celery (eager or Redis) to relay the outbox."""
    current_app.extensions["celery"].tasks["core.relay_outbox"].delay()


def get_uow() -> UnitOfWork:
    return UnitOfWork(get_session(), events=current_app.extensions["events"], actor=current_actor(),
                      on_outbox=relay_outbox_later)


def system_uow(session: Session | None = None) -> UnitOfWork:
    """A unit of work with no acting user, for the CLI and the demo loader."""
    session = session or current_app.extensions["db"].sessionmaker()
    return UnitOfWork(session, events=current_app.extensions["events"], on_outbox=relay_outbox_later)
