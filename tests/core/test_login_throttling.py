"""Login throttling beyond one username at one address: one username from many addresses, a ceiling on
all failures per minute, windows that end on the clock passed in, and parallel guesses on PostgreSQL
that cannot slip past a limit between its check and its count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.auth import LoginThrottled, authenticate
from core.errors import Unauthorized
from core.models import LoginAttempt
from tests.conftest import PASSWORD, make_user
from tests.parallel import Clients, parallel_database, run_at_once

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def settings(app, **limits):
    return replace(app.config["SETTINGS"], **limits)


def attempt(db, config, username, password, address, now=NOW) -> str:
    """What one login attempt met: ok, wrong (401) or throttled (429)."""
    try:
        authenticate(db, username, password, address=address, settings=config, now=now)
    except LoginThrottled:
        return "throttled"
    except Unauthorized:
        return "wrong"
    return "ok"


def checked(db, username=None) -> int:
    """Attempts whose password was checked (a throttled attempt is refused before that)."""
    stmt = select(func.count()).select_from(LoginAttempt)
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    return db.scalar(stmt)


def test_failures_of_one_username_from_many_addresses_lock_it_from_every_address(app, db):
    config = settings(app, login_max_failures=5, login_max_failures_per_user=10)
    victim, other = make_user(db, "finance"), make_user(db, "finance")

    spread = [attempt(db, config, victim.username, "guess", f"10.0.{i}.1") for i in range(12)]

    assert spread == ["wrong"] * 10 + ["throttled"] * 2
    assert attempt(db, config, victim.username, PASSWORD, "192.168.7.7") == "throttled"  # even the owner, for now
    assert attempt(db, config, other.username, PASSWORD, "10.0.0.1") == "ok"
    assert checked(db, victim.username) == 10


def test_a_ceiling_on_failures_per_minute_stops_a_spray_over_many_users(app, db):
    config = settings(app, login_max_failures_per_minute=8)
    users = [make_user(db, "sales_rep") for _ in range(9)]

    spray = [attempt(db, config, user.username, "Summer2026!", "203.0.113.9") for user in users]

    assert spray == ["wrong"] * 8 + ["throttled"]
    assert checked(db) == 8
    assert attempt(db, config, users[0].username, PASSWORD, "198.51.100.1") == "throttled"  # all logins wait
    a_minute_later = NOW + timedelta(minutes=1, seconds=1)
    assert attempt(db, config, users[0].username, PASSWORD, "198.51.100.1", now=a_minute_later) == "ok"


def test_a_success_gives_its_place_under_the_ceiling_back(app, db):
    config = settings(app, login_max_failures_per_minute=3)
    user = make_user(db, "warehouse")

    outcomes = [attempt(db, config, user.username, PASSWORD, "10.1.1.1") for _ in range(6)]
    outcomes += [attempt(db, config, user.username, "nope", "10.1.1.1") for _ in range(4)]

    assert outcomes == ["ok"] * 6 + ["wrong"] * 3 + ["throttled"]


def test_a_lock_lasts_its_window_on_the_clock_passed_in(app, db):
    config = settings(app, login_max_failures=5, login_lock_minutes=15)
    user = make_user(db, "warehouse")
    for _ in range(5):
        assert attempt(db, config, user.username, "nope", "10.2.2.2") == "wrong"

    assert attempt(db, config, user.username, PASSWORD, "10.2.2.2", now=NOW + timedelta(minutes=14)) == "throttled"
    assert attempt(db, config, user.username, PASSWORD, "10.2.2.2", now=NOW + timedelta(minutes=15)) == "ok"


def sign_in_as(client, username, password):
    from tests.web.test_forms import csrf_token

    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username, "password": password})


def test_the_throttled_page_names_the_wait_of_the_limit_that_was_reached(app, client, db, clock):
    user = make_user(db, "warehouse")
    settings_now = app.config["SETTINGS"]
    with clock.frozen_at(NOW):
        for _ in range(settings_now.login_max_failures):
            sign_in_as(client, user.username, "x")
        answer = sign_in_as(client, user.username, PASSWORD)

    assert answer.status_code == 429
    minutes = settings_now.login_lock_minutes
    assert f"Too many failed logins. Try again in {minutes} minutes." in answer.get_data(as_text=True)


def test_the_page_says_when_the_whole_site_has_reached_its_ceiling(app, client, db, clock):
    user = make_user(db, "warehouse")
    with clock.frozen_at(NOW):
        for i in range(app.config["SETTINGS"].login_max_failures_per_minute):
            assert sign_in_as(client, f"nobody-{i}", "x").status_code == 401
        answer = sign_in_as(client, user.username, PASSWORD)

    assert answer.status_code == 429
    assert "Too many failed logins on this site. Try again in a minute." in answer.get_data(as_text=True)


# --------------------------------------------------------------------------- parallel guesses on PostgreSQL

CLIENTS = 20
EXPECTED = frozenset({"too_many_attempts", "invalid_credentials"})


def _parallel_guesses(tmp_path, address_of) -> tuple[list[str], int]:
    with parallel_database(tmp_path, CLIENTS) as database:
        config = replace(database.app.config["SETTINGS"], login_max_failures=5, login_max_failures_per_user=10,
                         login_max_failures_per_minute=100)
        with database.session() as session:
            make_user(session_with_app(session, database), "finance", username="victim")
        clients = Clients(database, expected=EXPECTED)

        def client(index: int) -> None:
            clients.attempt(f"guess {index}", lambda uow: authenticate(
                uow.session, "victim", f"guess-{index}", address=address_of(index), settings=config, now=NOW))

        run_at_once(CLIENTS, client)
        with database.session() as session:
            checked_count = checked(session, "victim")
    assert clients.unexpected == []
    return clients.outcomes, checked_count


def session_with_app(session, database):
    session.info["app"] = database.app
    return session


@pytest.mark.postgres
def test_parallel_guesses_from_one_address_check_no_more_passwords_than_the_limit(tmp_path):
    outcomes, checked_count = _parallel_guesses(tmp_path, lambda index: "198.51.100.7")

    assert sorted(outcomes).count("invalid_credentials") == 5
    assert sorted(outcomes).count("too_many_attempts") == CLIENTS - 5
    assert checked_count == 5


@pytest.mark.postgres
def test_parallel_guesses_from_many_addresses_check_no_more_passwords_than_the_per_user_limit(tmp_path):
    outcomes, checked_count = _parallel_guesses(tmp_path, lambda index: f"198.51.100.{index}")

    assert outcomes.count("invalid_credentials") == 10
    assert outcomes.count("too_many_attempts") == CLIENTS - 10
    assert checked_count == 10


@pytest.mark.postgres
def test_parallel_logins_right_and_wrong_of_many_users_never_deadlock_nor_pass_the_ceiling(tmp_path):
    with parallel_database(tmp_path, CLIENTS) as database:
        config = replace(database.app.config["SETTINGS"], login_max_failures=3, login_max_failures_per_user=4,
                         login_max_failures_per_minute=9)
        with database.session() as session:
            for n in range(4):
                make_user(session_with_app(session, database), "sales_rep", username=f"rep{n}")
        clients = Clients(database, expected=EXPECTED)

        def client(index: int) -> None:
            password = PASSWORD if index % 4 == 0 else f"guess-{index}"
            clients.attempt(f"login {index}", lambda uow: authenticate(
                uow.session, f"rep{index % 4}", password, address=f"10.9.0.{index % 3}", settings=config,
                now=NOW), done="ok")

        run_at_once(CLIENTS, client)
        with database.session() as session:
            failures = session.scalar(select(func.count()).select_from(LoginAttempt)
                                      .where(LoginAttempt.success.is_(False)))
    assert clients.unexpected == []  # no deadlock, no other error: only answers and clean refusals
    assert clients.outcomes.count("invalid_credentials") == failures <= 9
