"""Passwords, tokens and login throttling."""

import hashlib
from datetime import timedelta

from sqlalchemy import select

from core.db import utcnow
from core.models import ApiToken, User
from tests.conftest import PASSWORD, make_user


def _token(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_passwords_are_stored_as_argon2_hashes(db):
    user = make_user(db, "sales_rep")
    stored = db.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_token_is_stored_only_as_its_hash_and_expires(client, db):
    user = make_user(db, "finance")
    answer = _token(client, user.username)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["token_type"] == "Bearer"
    token = body["access_token"]
    record = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest() and record.token_hash != token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/products", headers=headers).status_code == 200
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/api/v1/products", headers=headers).status_code == 401


def test_a_deactivated_user_loses_api_access(client, db):
    user = make_user(db, "finance")
    token = _token(client, user.username).get_json()["access_token"]
    db.get(User, user.id).active = False
    db.commit()
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_wrong_passwords_are_401_and_repeated_failures_lock_the_login(client, db, app):
    user = make_user(db, "warehouse")
    limit = app.config["SETTINGS"].login_max_failures
    for _ in range(limit):
        wrong = _token(client, user.username, "not-the-password")
        assert wrong.status_code == 401
        assert wrong.get_json()["error"]["code"] == "invalid_credentials"
    locked = _token(client, user.username)  # even the right password is refused now
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"


def test_a_successful_login_resets_the_failure_count(client, db, app):
    user = make_user(db, "warehouse")
    limit = app.config["SETTINGS"].login_max_failures
    for _ in range(limit - 1):
        _token(client, user.username, "nope")
    assert _token(client, user.username).status_code == 200
    for _ in range(limit - 1):
        _token(client, user.username, "nope")
    assert _token(client, user.username).status_code == 200


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client, db):
    answer = _token(client, "nobody-here", "whatever")
    assert answer.status_code == 401
    assert answer.get_json()["error"]["message"] == "Unknown username or wrong password."
