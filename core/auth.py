"""Passwords (argon2) and their policy, login throttling, sessions that the server can end, and API
bearer tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from core.config import Settings
from core.db import AwareDateTime, utcnow
from core.errors import DomainError, Unauthorized
from core.models import ApiToken, LoginAttempt, LoginThrottle, User

_hasher = PasswordHasher()
# verified against when the user does not exist, so timing does not reveal usernames
_DUMMY_HASH = _hasher.hash("not-a-password")


class LoginThrottled(DomainError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, minutes: int, *, everyone: bool = False) -> None:
        message = ("Too many failed logins on this site. Try again in a minute." if everyone
                   else f"Too many failed logins. Try again in {minutes} minutes.")
        super().__init__(message, details={"minutes": minutes})
        self.minutes, self.everyone = minutes, everyone


# --------------------------------------------------------------------------- the password policy

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn's score: 3 is "safely unguessable" (over 10^8 guesses); common passwords, keyboard walks and their
# usual variations (capital first letter, digits or a year at the end, l33t) score lower.
MIN_PASSWORD_SCORE = 3
_ZXCVBN_LENGTH = 72  # zxcvbn refuses longer input; a longer password is scored on its first 72 characters
# zxcvbn keeps the user inputs of the current call in a module-level dictionary
_zxcvbn_lock = threading.Lock()


def _personal_words(inputs: Iterable[str | None]) -> list[str]:
    """A username or full name as zxcvbn should know it: whole, its words, and its words run together
    (`wang.fang` and `Wang Fang` give `wang`, `fang` and `wangfang`)."""
    words: set[str] = set()
    for text in inputs:
        parts = [part for part in re.split(r"[\W_]+", (text or "").lower()) if part]
        if parts:
            words.update([(text or "").lower(), "".join(parts), *(part for part in parts if len(part) >= 3)])
    return sorted(words)


def password_problems(password: str, *, user_inputs: Iterable[str | None] = ()) -> list[str]:
    """Why a password someone chose is refused (empty when it is accepted): at least 10 characters, and
    not a common password or an easy variation of one, nor of the user's own name or username (zxcvbn)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Use at most {MAX_PASSWORD_LENGTH} characters."]
    with _zxcvbn_lock:
        score = zxcvbn(password[:_ZXCVBN_LENGTH], user_inputs=_personal_words(user_inputs))["score"]
    if score < MIN_PASSWORD_SCORE:
        return ["This password is too common or too easy to guess; use a longer phrase of unrelated words."]
    return []


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --------------------------------------------------------------------------- login throttling


@dataclass(frozen=True)
class _Limit:
    key: str
    limit: int
    window: timedelta


def _key_part(text: str) -> str:
    """Usernames and addresses as typed, but no longer than a real one (a long one is hashed)."""
    return text if len(text) <= 64 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _limits(username: str, address: str, settings: Settings) -> list[_Limit]:
    """The counters one login attempt goes through, in the one order every attempt takes their row
    locks (so parallel attempts never deadlock): this username at this address, this username from
    anywhere, and every login together per minute."""
    window = timedelta(minutes=settings.login_lock_minutes)
    username, address = _key_part(username), _key_part(address)
    return [
        _Limit(f"address-user:{address} {username}", settings.login_max_failures, window),
        _Limit(f"user:{username}", settings.login_max_failures_per_user, window),
        _Limit("all", settings.login_max_failures_per_minute, timedelta(minutes=1)),
    ]


def _upsert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _count_attempt(session: Session, limit: _Limit, now: datetime) -> bool:
    """Count one attempt against `limit` unless its window is full: one conditional upsert, so the
    check and the increment are one atomic step (the row stays locked until the commit). A window that
    has run out starts again at `now`. False when the attempt is refused (nothing counted)."""
    table = LoginThrottle.__table__
    expired = table.c.window_start <= now - limit.window
    stmt = _upsert(session)(table).values(key=limit.key, window_start=now, attempts=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"attempts": case((expired, 1), else_=table.c.attempts + 1),
              "window_start": case((expired, literal(now, AwareDateTime())), else_=table.c.window_start)},
        where=or_(expired, table.c.attempts < limit.limit),
    ).returning(table.c.attempts)
    return session.execute(stmt).first() is not None


def _uncount_success(session: Session, limits: list[_Limit], now: datetime) -> None:
    """A successful login is not a failure: it clears its username's counters (as a success always
    reset them) and gives back the place it took under the per-minute ceiling."""
    personal, ceiling = limits[:-1], limits[-1]
    for limit in personal:  # one row at a time, in the order every attempt locks them
        session.execute(update(LoginThrottle).where(LoginThrottle.key == limit.key).values(attempts=0))
    session.execute(update(LoginThrottle).where(
        LoginThrottle.key == ceiling.key, LoginThrottle.attempts > 0,
        LoginThrottle.window_start > now - ceiling.window).values(attempts=LoginThrottle.attempts - 1))


def _forget_expired(session: Session, settings: Settings, now: datetime) -> None:
    """Counters whose window has run out mean nothing any more (the next attempt would restart them).
    Run in a transaction of its own that skips the rows other logins hold, so it never waits for them
    while holding rows they wait for."""
    longest = timedelta(minutes=max(settings.login_lock_minutes, 1))
    stale = (select(LoginThrottle.key).where(LoginThrottle.window_start <= now - longest)
             .with_for_update(skip_locked=True))
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(stale.scalar_subquery())))
    session.commit()


def authenticate(session: Session, username: str, password: str, *, address: str, settings: Settings,
                 now: datetime | None = None) -> User:
    """Check a username and password; every attempt is recorded and committed.

    The attempt is counted as a failure before the password is checked, and only while every limit has
    room: failures of this username at this address, of this username from all addresses, and of all
    logins in the last minute. So parallel guesses cannot pass a check made before any of them was
    counted, and when a limit is full even the right password is refused (429) until its window ends.
    A success then takes its count back."""
    now = now or utcnow()
    username = (username or "").strip()
    limits = _limits(username, address, settings)
    for limit in limits:
        if not _count_attempt(session, limit, now):
            session.rollback()
            raise LoginThrottled(max(1, int(limit.window.total_seconds()) // 60), everyone=limit is limits[-1])
    session.commit()  # counted (and the rows unlocked) before the slow password check
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=username[:80], address=address[:64], success=ok, at=now))
    if ok:
        _uncount_success(session, limits, now)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    session.commit()
    _forget_expired(session, settings, now)
    if not ok:
        raise Unauthorized("Unknown username or wrong password.", code="invalid_credentials")
    return user


# --------------------------------------------------------------------------- sessions


def user_for_session(session: Session, session_id: str) -> User | None:
    """The signed-in user of a session cookie (`User.get_id()`: id and session generation), or None
    when the user is unknown, deactivated, or has signed out (or changed password) since."""
    user_id, _, generation = (session_id or "").partition(":")
    if not (user_id.isdigit() and generation.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


# --------------------------------------------------------------------------- API tokens


def issue_token(session: Session, user: User, settings: Settings) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        token_hash=_hash_token(token),
        expires_at=utcnow() + timedelta(hours=settings.api_token_ttl_hours),
    )
    session.add(record)
    session.commit()
    return token, record


def user_for_token(session: Session, token: str) -> User | None:
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if record is None or record.revoked or record.expires_at <= utcnow() or not record.user.active:
        return None
    return record.user
