"""A committed act never answers an error because the broker is down, the relay drains the whole
backlog in one call, and a database that cannot be reached answers 503 with `Retry-After`.

No mocks: the broker is a Redis URL on a closed port of 127.0.0.1 and the database is a PostgreSQL
port where nothing listens, or a SQLite file in a folder that does not exist."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import clock
from core.app import create_app
from core.models import Customer, Notification, OutboxMessage, ProcessedMessage, User
from core.outbox import relay_pending
from core.uow import UnitOfWork
from tests.conftest import PASSWORD, ApiClient, fresh_database, make_user, settings_for, uow_for
from tests.core.test_outbox import _Keep
from tests.finance.builders import build_books, invoiced_order
from tests.parallel import parallel_database, run_at_once
from tests.web.test_forms import csrf_token, sign_in


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (the OS just handed it out and it was closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    app: Flask
    customer_id: int
    finance: User


@pytest.fixture
def broker_down(tmp_path: Path) -> Iterator[Site]:
    """An app on a database of its own (real commits) whose broker cannot be reached, with a finance
    user and a customer whose invoice is 70 days overdue."""
    with fresh_database(tmp_path, postgres=bool(os.environ.get("TEST_DATABASE_URL"))) as url:
        app = create_app(settings_for(url, tmp_path, redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
        app.config.update(TESTING=True)
        try:
            with app.app_context(), app.extensions["db"].sessionmaker() as session:
                session.info["app"] = app
                uow = UnitOfWork(session, events=app.extensions["events"])
                books = build_books(uow)
                invoiced_order(uow, books.customer_id, [(books.a, 1)], on=clock.today() - timedelta(days=100))
                finance = make_user(session, "finance")
            yield Site(app, books.customer_id, finance)
        finally:
            app.extensions["db"].engine.dispose()


def committed_state(site: Site) -> tuple[bool, list[bool]]:
    """The customer's credit hold and, per outbox message, whether it was delivered (read afresh)."""
    with site.app.extensions["db"].sessionmaker() as session:
        hold = session.get(Customer, site.customer_id).credit_hold
        delivered = [m.delivered_at is not None
                     for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    return hold, delivered


def relay_later(site: Site) -> int:
    """What the beat sweep does once the broker is back: one relay call."""
    ext = site.app.extensions
    with site.app.app_context():
        return relay_pending(ext["db"].sessionmaker, ext["outbox_consumers"])


def notifications(site: Site) -> int:
    with site.app.extensions["db"].sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Notification))


def hand_off_failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.web" and "beat sweep" in r.getMessage()]


def test_the_overdue_check_button_succeeds_with_the_broker_down_and_the_sweep_delivers_later(broker_down, caplog):
    site = broker_down
    client = site.app.test_client()
    sign_in(client, site.finance)
    token = csrf_token(client, "/finance/credit-holds")

    with caplog.at_level(logging.WARNING, logger="core.web"):
        answer = client.post("/finance/credit-holds/check", data={"csrf_token": token})

    assert answer.status_code == 303 and answer.headers["Location"].endswith("/finance/credit-holds")
    assert "1 customers put on credit hold" in client.get("/finance/credit-holds").get_data(as_text=True)
    hold, delivered = committed_state(site)
    assert hold is True and delivered == [False]  # committed; the notification waits in the outbox
    [logged] = hand_off_failures(caplog)
    assert "1 outbox message(s)" in logged and "OperationalError" in logged
    assert relay_later(site) == 1
    assert committed_state(site) == (True, [True]) and notifications(site) == 1


def test_the_api_overdue_check_answers_its_success_with_the_broker_down(broker_down, caplog):
    site = broker_down
    api = ApiClient(site.app.test_client(), site.finance)

    with caplog.at_level(logging.WARNING, logger="core.web"):
        answer = api.post("/credit-holds/check")

    assert answer.status_code == 200, answer.get_data(as_text=True)
    [held] = answer.get_json()["held"]
    assert held["customer_id"] == site.customer_id and len(held["invoice_numbers"]) == 1
    assert committed_state(site) == (True, [False])
    assert len(hand_off_failures(caplog)) == 1
    assert api.post("/credit-holds/check").get_json() == {"held": []}  # nobody is held twice
    assert relay_later(site) == 1 and notifications(site) == 1


def test_the_daily_hold_task_returns_its_count_with_the_broker_down(broker_down):
    site = broker_down
    task = site.app.extensions["celery"].tasks["finance.hold_overdue_customers"]

    with site.app.app_context():
        result = task.apply()

    assert result.successful(), result.traceback
    assert result.get() == 1 and committed_state(site) == (True, [False])
    assert relay_later(site) == 1 and notifications(site) == 1


def test_an_after_commit_hook_that_fails_is_logged_and_the_others_still_run(db, caplog):
    ran = []
    uow = uow_for(db)
    user = make_user(db, "sales_rep")

    def broken() -> None:
        raise ConnectionError("broker unreachable")

    uow.after_commit(broken)
    uow.after_commit(lambda: ran.append("next hook"))
    with caplog.at_level(logging.ERROR, logger="core.uow"):
        uow.enqueue("notify.user", {"user_id": user.id, "message": "kept"})
        uow.commit()  # does not raise: the act is committed

    assert ran == ["next hook"]
    assert [r.getMessage() for r in caplog.records if r.name == "core.uow"][0].startswith("after-commit hook")
    db.rollback()  # whatever the session does next, the act stays
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def enqueue_many(db, count: int) -> int:
    user = make_user(db, "sales_rep")
    uow = uow_for(db)
    for number in range(count):
        uow.enqueue("notify.user", {"user_id": user.id, "message": f"note {number}"})
    uow.commit()
    return user.id


def test_one_relay_call_delivers_a_backlog_of_300_messages(db, app):
    user_id = enqueue_many(db, 300)

    assert relay_pending(_Keep(db), app.extensions["outbox_consumers"]) == 300

    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id)) == 300
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))) == 0
    assert relay_pending(_Keep(db), app.extensions["outbox_consumers"]) == 0


def test_a_message_whose_consumer_fails_does_not_stop_the_rest_of_the_backlog(db, app):
    from core.outbox import ConsumerRegistry, notify_user

    user_id = enqueue_many(db, 150)
    first = db.scalar(select(func.min(OutboxMessage.id)))

    def picky(session, payload, message_id):
        if message_id == first:
            raise RuntimeError("mail server down")

    consumers = ConsumerRegistry()
    consumers.subscribe("notify.user", "core.notify_user", notify_user)
    consumers.subscribe("notify.user", "test.picky", picky)

    assert relay_pending(_Keep(db), consumers, batch=50) == 149  # and it ends: the failure waits for the sweep
    assert db.get(OutboxMessage, first).delivered_at is None
    assert relay_pending(_Keep(db), app.extensions["outbox_consumers"], batch=50) == 1
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id)) == 150


@pytest.mark.postgres
def test_two_relays_at_once_on_postgresql_deliver_each_of_300_messages_once(tmp_path):
    with parallel_database(tmp_path, clients=2) as database:
        with database.session() as session:
            session.info["app"] = database.app
            enqueue_many(session, 300)
        factory = database.app.extensions["db"].sessionmaker
        consumers = database.app.extensions["outbox_consumers"]
        counts: list[int] = []
        lock = threading.Lock()

        def relay(_index: int) -> None:
            delivered = relay_pending(factory, consumers, batch=20)
            with lock:
                counts.append(delivered)

        run_at_once(2, relay)

        with database.session() as session:
            notes = session.scalar(select(func.count()).select_from(Notification))
            processed = session.scalar(select(func.count()).select_from(ProcessedMessage))
            pending = session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.delivered_at.is_(None)))
    assert len(counts) == 2 and sum(counts) == 300, counts
    assert (notes, processed, pending) == (300, 300, 0)


# --------------------------------------------------------------------------- the database cannot be reached


@pytest.fixture(params=["postgresql", "sqlite"])
def database_down(request, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database cannot be reached: a PostgreSQL port where nothing listens, or a SQLite
    file in a folder that does not exist."""
    url = (f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test" if request.param == "postgresql"
           else f"sqlite:///{tmp_path / 'no-such-folder' / 'suite.sqlite'}")
    app = create_app(settings_for(url, tmp_path))
    app.config.update(TESTING=True)
    yield app
    app.extensions["db"].engine.dispose()


def test_the_api_answers_503_with_retry_after_in_the_error_shape(database_down):
    client = database_down.test_client()

    token = client.post("/api/v1/auth/token", json={"username": "finance", "password": PASSWORD})
    listed = client.get("/api/v1/customers", headers={"Authorization": "Bearer some-token"})

    for answer in (token, listed):
        assert answer.status_code == 503
        assert int(answer.headers["Retry-After"]) > 0
        assert answer.get_json() == {"error": {
            "code": "database_unavailable", "fields": {},
            "message": "The database cannot be reached right now; try again in a moment."}}


def test_the_web_answers_a_plain_translated_503_page(database_down):
    client = database_down.test_client()
    token = csrf_token(client, "/login")  # the sign-in form itself reads nothing

    answer = client.post("/login", data={"csrf_token": token, "username": "finance", "password": PASSWORD},
                         headers={"Accept-Language": "zh-CN"})

    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    page = answer.get_data(as_text=True)
    assert answer.mimetype == "text/html" and "暂时无法连接数据库" in page and 'lang="zh-CN"' in page


def test_a_signed_in_page_answers_503_without_reading_the_user(app, client, db, tmp_path):
    """The session cookie of a signed-in user, sent to the same site once its database is gone: the
    user cannot be loaded, and the page says so without trying again."""
    sign_in(client, make_user(db, "finance"))
    cookie = client.get_cookie("session")
    down = create_app(settings_for(f"sqlite:///{tmp_path / 'gone' / 'suite.sqlite'}", tmp_path))
    down.config.update(TESTING=True)
    visitor = down.test_client()
    visitor.set_cookie("session", cookie.value)

    answer = visitor.get("/finance/credit-holds")

    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "The database cannot be reached right now" in answer.get_data(as_text=True)
