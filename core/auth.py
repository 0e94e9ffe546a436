"""Passwords (argon2), login throttling and API bearer tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.errors import DomainError, Unauthorized
from core.models import ApiToken, LoginAttempt, User

_hasher = PasswordHasher()
# verified against when the user does not exist, so timing does not reveal usernames
_DUMMY_HASH = _hasher.hash("not-a-password")


class LoginThrottled(DomainError):
    status = 429
    code = "too_many_attempts"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def recent_failures(session: Session, username: str, address: str, settings: Settings) -> int:
    since = utcnow() - timedelta(minutes=settings.login_lock_minutes)
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.address == address, LoginAttempt.success.is_(True)
        )
    )
    if last_success is not None and last_success > since:
        since = last_success
    return session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username,
            LoginAttempt.address == address,
            LoginAttempt.success.is_(False),
            LoginAttempt.at > since,
        )
    ) or 0


def authenticate(session: Session, username: str, password: str, *, address: str, settings: Settings) -> User:
    """Check a username and password; every attempt is recorded and committed,
    and too many recent failures from one address lock that username out."""
    username = (username or "").strip()
    if recent_failures(session, username, address, settings) >= settings.login_max_failures:
        raise LoginThrottled(
            f"Too many failed logins. Try again in {settings.login_lock_minutes} minutes."
        )
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=username, address=address, success=ok))
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.commit()
    if not ok:
        raise Unauthorized("Unknown username or wrong password.", code="invalid_credentials")
    return user


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
