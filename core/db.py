"""Database plumbing: the declarative base, shared column types and engines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import JSON, DateTime, MetaData, Numeric, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from core import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def fit(text: str, column) -> str:
    """`text` cut to what the string `column` (a model attribute) holds, with an ellipsis when cut: for a
    label the suite derives from input (a rule's "field operator value"), which a schema bounds only
    part by part."""
    length = column.property.columns[0].type.length
    return text if length is None or len(text) <= length else text[: length - 1] + "…"


def utcnow() -> datetime:
    """Now, from the suite's one clock (`core.clock`)."""
    return clock.now()


class AwareDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Naive values are UTC; aware ones are converted to UTC (SQLite keeps the wall time only, so a
        China-time value stored as it is would read back eight hours off)."""
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


Money = Annotated[Decimal, mapped_column(Numeric(18, 2))]
Quantity = Annotated[Decimal, mapped_column(Numeric(18, 4))]
UnitPrice = Annotated[Decimal, mapped_column(Numeric(18, 4))]
Rate = Annotated[Decimal, mapped_column(Numeric(6, 4))]
Code = Annotated[str, mapped_column(String(40))]
Name = Annotated[str, mapped_column(String(200))]
Timestamp = Annotated[datetime, mapped_column(AwareDateTime(), default=utcnow)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: JSON, datetime: AwareDateTime()}


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        _sqlite_transactions(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, open transactions, so SAVEPOINTs work and
    foreign keys are enforced."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
