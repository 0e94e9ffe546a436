"""The whole OpenAPI document, fuzzed: no input gets a 5xx, and every answer is what the document says.

Schemathesis reads `/api/v1/openapi.json` from the app in this process (WSGI, no network) and, for every
operation, sends a few requests that fit the document and a few that do not (wrong types, out-of-range
numbers, missing fields), as an admin and as a sales rep, on a company with the demo data. Each answer
must not be a server error and must match the response the document declares for its status (the
`{"error": {...}}` shape for every error). Afterwards the books must still agree: `flask stock check`
and `flask finance journal-check` find no difference, whatever the fuzzer managed to create.

The run is bounded (FUZZ_EXAMPLES requests per operation, role and kind, no shrinking) and derandomized,
so it sends the same requests on every run. It runs in the PostgreSQL pass of the suite (CI's
`TEST_DATABASE_URL`), where ids beyond INTEGER, NUL bytes and over-long text fail loudly; SQLite accepts
most of them silently, so the run would prove little there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy import text

from core.app import create_app
from core.db import make_engine
from core.demo import DEMO_PASSWORD, load_demo
from core.uow import UnitOfWork
from tests.conftest import POSTGRES_URL, fresh_database, settings_for

pytestmark = pytest.mark.postgres

ROLES = ("admin", "sales_rep")  # demo users: everything, and the narrowest data scope that writes
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))


@dataclass
class FuzzRun:
    app: Flask
    requests: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)  # role -> one line per failing operation


def _describe(exc: BaseException) -> str:
    """One line per failed check (schemathesis raises them as a group)."""
    parts = []
    for failure in getattr(exc, "exceptions", None) or [exc]:
        message = (getattr(failure, "message", "") or str(failure)).strip().splitlines()
        parts.append(f"{getattr(failure, 'title', type(failure).__name__)}: {message[0] if message else ''}")
    return "; ".join(parts)


def _fuzz(app: Flask, token: str, run: FuzzRun) -> list[str]:
    """Every operation, EXAMPLES requests that fit the document and EXAMPLES that do not; one line per
    operation and kind whose answers failed a check."""
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            found = _send_examples(app, operation, mode, {"Authorization": f"Bearer {token}"}, run)
            if found:
                failures.append(f"{operation.label} [{mode.value}]: {len(found)} failing, e.g. {found[0]}")
    return failures


def _send_examples(app: Flask, operation, mode, headers: dict[str, str], run: FuzzRun) -> list[str]:
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import Failure, FailureGroup
    from schemathesis.specs.openapi.checks import response_schema_conformance

    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def send(case):
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        run.requests += 1
        request = case.as_curl_command(headers=headers)[:400]
        if app.extensions["db"].engine.pool.checkedout():  # a request must give its connection back
            found.append(f"left a database connection checked out ({response.status_code}) {request}")
            return
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                   headers=case.headers)
        except (FailureGroup, Failure) as exc:  # a BaseExceptionGroup: `except Exception` would miss it
            found.append(f"{_describe(exc)} ({response.status_code}) {request}")

    send()
    return found


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory) -> Iterator[FuzzRun]:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("The fuzz runs in the PostgreSQL pass (TEST_DATABASE_URL set, as in CI): SQLite lets ids "
                    "beyond INTEGER, NUL bytes and over-long text through, so the run would prove little there")
    tmp = tmp_path_factory.mktemp("fuzz")
    with fresh_database(tmp, postgres=True) as url:
        name = f"suite-fuzz-{uuid.uuid4().hex[:8]}"  # to find the run's connections again
        app = create_app(settings_for(f"{url}&application_name={name}", tmp / "instance"))  # not TESTING: a
        # server error is the 500 a client would get
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            load_demo(UnitOfWork(session, events=app.extensions["events"]), app.extensions["demo_loaders"])
            session.close()
        run = FuzzRun(app)
        client = app.test_client()
        for role in ROLES:
            answer = client.post("/api/v1/auth/token", json={"username": role, "password": DEMO_PASSWORD})
            assert answer.status_code == 200, answer.get_json()
            run.failures[role] = _fuzz(app, answer.get_json()["access_token"], run)
        yield run
        app.extensions["db"].engine.dispose()
        _end_connections_left_open(name)  # else dropping the schema would wait for them forever


def _end_connections_left_open(application_name: str) -> None:
    """A connection some request kept (the run reports it as a failure) holds locks on the run's schema."""
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                     {"name": application_name})
    engine.dispose()


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gets_a_server_error_or_an_answer_the_document_does_not_describe(fuzz_run, role):
    assert fuzz_run.requests > 0
    assert fuzz_run.failures[role] == [], "\n".join(fuzz_run.failures[role])


def test_the_stock_ledger_and_the_journal_still_agree_after_the_fuzz(fuzz_run):
    from finance.journal.booking import check as journal_check
    from inventory.services import check_ledger

    session = fuzz_run.app.extensions["db"].sessionmaker()
    try:
        assert [str(m) for m in check_ledger(session)] == []
        assert [str(d) for d in journal_check(session)] == []
    finally:
        session.close()
