"""Shared test plumbing.

The main suite runs on SQLite by default and on PostgreSQL when
`TEST_DATABASE_URL` is set (CI sets it). Each test gets one outer transaction
that is rolled back at the end; services commit into savepoints inside it.
Tests that need real commits (concurrency, the Celery worker, the browser)
build their own database with `fresh_database`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from core import migrate, services
from core.app import create_app
from core.config import Settings
from core.db import make_engine
from core.models import User
from core.uow import UnitOfWork

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = bool(os.environ.get("CI"))
PASSWORD = "secret-pass-1"


def _reachable_postgres() -> str | None:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def require_postgres() -> None:
    problem = _reachable_postgres()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL must be reachable in CI at {POSTGRES_URL}: {problem}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL} ({problem}); CI runs this test")


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"Redis must be reachable in CI at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}; CI runs this test")


def settings_for(url: str, tmp: Path, **overrides) -> Settings:
    env = {"DATABASE_URL": url, "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(tmp),
           "CLOCK_START": os.environ.get("CLOCK_START", "")}  # CI runs the suite once as of a year end
    return Settings.from_env(env, **overrides)


@contextmanager
def fresh_database(tmp_path: Path, *, postgres: bool) -> Iterator[str]:
    """A new, migrated database whose URL is yielded; dropped afterwards.
    On PostgreSQL it is a schema of its own in the test database."""
    if not postgres:
        url = f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- the main suite's database


@pytest.fixture(scope="session")
def engine(tmp_path_factory) -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    tmp = tmp_path_factory.mktemp("db")
    if url:
        with fresh_database(tmp, postgres=True) as schema_url:
            engine = make_engine(schema_url)
            yield engine
            engine.dispose()
    else:
        with fresh_database(tmp, postgres=False) as sqlite_url:
            engine = make_engine(sqlite_url)
            yield engine
            engine.dispose()


@pytest.fixture(scope="session")
def app(engine, tmp_path_factory):
    app = create_app(settings_for(str(engine.url), tmp_path_factory.mktemp("instance")), engine=engine)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def db(app, engine):
    """One rolled-back transaction per test; yields a session inside it.

    No app context is held open around the test, so each test-client request
    gets its own (its own `g`, session and signed-in user), as in production.
    Build units of work for direct service calls with `uow_for(db)`."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    saved = app.extensions["db"].sessionmaker
    app.extensions["db"].sessionmaker = factory
    session = factory()
    session.info["app"] = app
    yield session
    session.close()
    app.extensions["db"].sessionmaker = saved
    outer.rollback()
    connection.close()


@pytest.fixture
def clock():
    """The suite's clock, to stop at a chosen moment in a test that depends on the time of day:
    `with clock.frozen_at(moment): ...`."""
    from core import clock as suite_clock

    return suite_clock


def uow_for(db, actor: User | None = None) -> UnitOfWork:
    """A unit of work on the test session, acting as `actor` (None: the system)."""
    app = db.info["app"]
    return UnitOfWork(db, events=app.extensions["events"], actor=actor)


@pytest.fixture
def uow(app, db):
    return uow_for(db)


@pytest.fixture
def client(app, db):
    return app.test_client()


# --------------------------------------------------------------------------- builders


def make_user(db, role: str, username: str | None = None, team: str | None = None) -> User:
    return services.create_user(uow_for(db), {
        "username": username or f"{role}-{uuid.uuid4().hex[:6]}", "role": role, "password": PASSWORD,
        "team": team, "full_name": f"Test {role}"})


class ApiClient:
    """A test client that sends a bearer token for one user."""

    def __init__(self, client, user: User) -> None:
        self.client, self.user = client, user
        answer = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        self.headers = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}

    def _call(self, method, path, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def patch(self, path, **kw):
        return self._call("patch", path, **kw)


def api_as(client, db, role: str, **kwargs) -> ApiClient:
    return ApiClient(client, make_user(db, role, **kwargs))


def ok(answer, status: int = 200):
    """The JSON body of an API answer, after checking its status (the body is the failure message)."""
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()
