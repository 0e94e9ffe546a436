"""The one settings object of the suite.

Every setting is read here from the environment, once, when the app is created.
Modules read `current_app.config["SETTINGS"]` (or receive the object); nothing
else looks at `os.environ`.

| variable | meaning | default |
| --- | --- | --- |
| `DATABASE_URL` | SQLAlchemy URL of the database | SQLite file `instance/suite.db` |
| `REPORTS_DATABASE_URL` | SQLAlchemy URL the management reports read from (a PostgreSQL replica of `DATABASE_URL`) | the database itself |
| `REDIS_URL` | Celery broker and result backend | absent: tasks run eagerly in-process |
| `SECRET_KEY` | signs sessions and CSRF tokens | generated once into `instance/secret_key` |
| `DEFAULT_LOCALE` | UI language when the user has not chosen one | `en` |
| `DEFAULT_CURRENCY` | currency of amounts | `CNY` |
| `API_TOKEN_TTL_HOURS` | lifetime of API bearer tokens | `12` |
| `LOGIN_MAX_FAILURES` | failed logins allowed per user and address in the window | `5` |
| `LOGIN_MAX_FAILURES_PER_USER` | failed logins allowed per user from all addresses together in the window | `10` |
| `LOGIN_MAX_FAILURES_PER_MINUTE` | failed logins allowed per minute for all users and addresses together | `30` |
| `LOGIN_LOCK_MINUTES` | the throttling window | `15` |
| `SECURE_COOKIES` | session cookies are sent over HTTPS only (`1`/`true`); on whenever the site is served over HTTPS | off |
| `PROXY_HOPS` | reverse proxies in front of the app whose `X-Forwarded-For/-Proto/-Host` are trusted | `0` |
| `CELERY_QUEUE` | the queue that web and workers share | `suite` |
| `INSTANCE_PATH` | where the SQLite file and generated secret live | `./instance` |
| `RECEIPT_TOLERANCE` | over-receipt allowed on a purchase order line, a fraction of the ordered quantity | `0` |
| `CREDIT_HOLD_OVERDUE_DAYS` | days past due after which an open invoice puts its customer on credit hold | `30` |
| `INSTALLMENT_REMIND_BEFORE_DAYS` | days before a payment-plan installment falls due when the order's owner is reminded | `3` |
| `INSTALLMENT_REMIND_AFTER_DAYS` | days after due (comma-separated) on which the owner is reminded of an unpaid installment | `1,7,14` |
| `STALLED_DEAL_HOURS` | hours without activity after which an open opportunity is stalled (managers are alerted once) | `48` |
| `CLOCK_START` | run the suite's clock from this moment (ISO, with its zone), e.g. to rehearse a month end | the real time |
| `DORMANT_AFTER_DAYS` | days without an order after which a customer is dormant (RFM refresh) | `180` |
| `SMTP_HOST` | mail server the suite sends e-mail through (the weekly digest); without it mail is kept in the database and read on the "Sent mail" page | absent: mail is stored, not sent |
| `SMTP_PORT` | its port: `465` is TLS from the start, any other port upgrades with STARTTLS when the server offers it | `25` |
| `SMTP_USER` | user name to log in to the mail server | absent: no login |
| `SMTP_PASSWORD` | password of `SMTP_USER` | absent |
| `SMTP_FROM` | the sender address of the suite's e-mail | `noreply@localhost` |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw else default


def _flag(raw: str | None, default: bool) -> bool:
    """A yes/no variable: `1`, `true`, `yes`, `on` (any case) are yes."""
    if not raw:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _days(raw: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of day counts (`1,7,14`)."""
    if not raw:
        return default
    return tuple(sorted({int(part) for part in raw.replace(" ", "").split(",") if part}))


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    reports_database_url: str | None = None
    default_locale: str = "en"
    default_currency: str = "CNY"
    api_token_ttl_hours: int = 12
    login_max_failures: int = 5
    login_max_failures_per_user: int = 10
    login_max_failures_per_minute: int = 30
    login_lock_minutes: int = 15
    secure_cookies: bool = False
    proxy_hops: int = 0
    instance_path: Path = field(default_factory=lambda: PROJECT_ROOT / "instance")
    celery_queue: str = "suite"
    locales: tuple[str, ...] = ("en", "zh_CN")
    receipt_tolerance: Decimal = Decimal("0")
    credit_hold_overdue_days: int = 30
    installment_remind_before_days: int = 3
    installment_remind_after_days: tuple[int, ...] = (1, 7, 14)
    stalled_deal_hours: int = 48
    dormant_after_days: int = 180
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "noreply@localhost"
    clock_start: datetime | None = None

    @property
    def eager_tasks(self) -> bool:
        """Without a broker, Celery tasks run in-process right away."""
        return not self.redis_url

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
        values = dict(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{instance / 'suite.db'}",
            redis_url=env.get("REDIS_URL") or None,
            reports_database_url=env.get("REPORTS_DATABASE_URL") or None,
            secret_key=env.get("SECRET_KEY") or None,
            default_locale=env.get("DEFAULT_LOCALE") or "en",
            default_currency=env.get("DEFAULT_CURRENCY") or "CNY",
            api_token_ttl_hours=_int(env, "API_TOKEN_TTL_HOURS", 12),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5),
            login_max_failures_per_user=_int(env, "LOGIN_MAX_FAILURES_PER_USER", 10),
            login_max_failures_per_minute=_int(env, "LOGIN_MAX_FAILURES_PER_MINUTE", 30),
            login_lock_minutes=_int(env, "LOGIN_LOCK_MINUTES", 15),
            secure_cookies=_flag(env.get("SECURE_COOKIES"), False),
            proxy_hops=_int(env, "PROXY_HOPS", 0),
            instance_path=instance,
            celery_queue=env.get("CELERY_QUEUE") or "suite",
            receipt_tolerance=Decimal(env.get("RECEIPT_TOLERANCE") or "0"),
            credit_hold_overdue_days=_int(env, "CREDIT_HOLD_OVERDUE_DAYS", 30),
            installment_remind_before_days=_int(env, "INSTALLMENT_REMIND_BEFORE_DAYS", 3),
            installment_remind_after_days=_days(env.get("INSTALLMENT_REMIND_AFTER_DAYS"), (1, 7, 14)),
            stalled_deal_hours=_int(env, "STALLED_DEAL_HOURS", 48),
            dormant_after_days=_int(env, "DORMANT_AFTER_DAYS", 180),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=_int(env, "SMTP_PORT", 25),
            smtp_user=env.get("SMTP_USER") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_from=env.get("SMTP_FROM") or "noreply@localhost",
            clock_start=datetime.fromisoformat(env["CLOCK_START"]) if env.get("CLOCK_START") else None,
        )
        values.update(overrides)
        if not values["secret_key"]:
            values["secret_key"] = _secret_key(Path(values["instance_path"]))
        return cls(**values)
