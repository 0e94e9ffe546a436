"""Shared models: people and permissions, master data every department uses,
and the platform's own records (audit log, outbox, mail, numbering, idempotency)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Code, Money, Name, Quantity, Rate, Timestamp, UnitPrice, utcnow


class Audited:
    """Marker: every insert, update and delete of this model is written to the audit log."""


class AppendOnly:
    """Marker of a ledger: rows are inserted, never updated or deleted (corrections are new rows).
    The flush hook in `core.audit` refuses any other change."""


# --------------------------------------------------------------------------- people


class Role(StrEnum):
    SALES_REP = "sales_rep"
    SALES_MANAGER = "sales_manager"
    FINANCE = "finance"
    WAREHOUSE = "warehouse"
    PURCHASING = "purchasing"
    PRODUCTION = "production"
    MANAGEMENT = "management"
    ADMIN = "admin"


class User(Audited, Base):
    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(80))
    locale: Mapped[str | None] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]
    # Signing out (or a new password) moves it on: a session cookie carries the value it was signed in
    # with, so a copied cookie of an ended session is refused by the server, not only forgotten by the browser.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session cookie holds: the id and the session generation it was signed in under."""
        return f"{self.id}:{self.session_generation}"

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(Base):
    __tablename__ = "core_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[Timestamp]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    __tablename__ = "core_login_attempt"
    __table_args__ = (Index("ix_core_login_attempt_who", "username", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[Timestamp]
    success: Mapped[bool] = mapped_column(Boolean)


class LoginThrottle(Base):
    """A counter of login attempts in a fixed window, one row per throttled key (a username at an
    address, a username from anywhere, all logins). It is checked and incremented in one conditional
    upsert, so parallel guesses cannot all pass a check made before any of them was counted."""

    __tablename__ = "core_login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer)


# --------------------------------------------------------------------------- master data


class Tier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class LifecycleStage(StrEnum):
    NURTURING = "nurturing"
    TARGET = "target"
    WON = "won"
    DORMANT = "dormant"


#: The acquisition source of a customer entered by hand.
DIRECT_SOURCE = "direct"

#: The pick list of acquisition sources offered for manual entry (a converted lead may bring others).
ACQUISITION_SOURCES = ("direct", "website", "trade_show", "referral", "b2b_marketplace", "cold_call",
                       "advertising", "social_media", "partner")


class Customer(Audited, Base):
    __tablename__ = "core_customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    tax_id: Mapped[str | None] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(10), default=Tier.B.value)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    region: Mapped[str | None] = mapped_column(String(80), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    credit_limit: Mapped[Money] = mapped_column(default=Decimal("0"))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    credit_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default=LifecycleStage.TARGET.value)
    # where the customer came from (a converted lead's channel, else its UTM source; `direct` when entered
    # by hand) and its trade: dimensions of the management reports
    source: Mapped[str] = mapped_column(String(80), default=DIRECT_SOURCE, server_default=DIRECT_SOURCE, index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]

    owner: Mapped[User | None] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", order_by="Contact.id")
    addresses: Mapped[list[Address]] = relationship(back_populates="customer", order_by="Address.id")


class Contact(Audited, Base):
    __tablename__ = "core_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    name: Mapped[Name]
    title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Address(Audited, Base):
    __tablename__ = "core_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="shipping")
    line1: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(80))
    province: Mapped[str | None] = mapped_column(String(80))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="CN")

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class Supplier(Audited, Base):
    __tablename__ = "core_supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    tax_id: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]


class UoM(Audited, Base):
    __tablename__ = "core_uom"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(80))


class ProductKind(StrEnum):
    BUY = "buy"
    MAKE = "make"
    SERVICE = "service"


class ProductLine(Audited, Base):
    """A managed list that groups products for the management reports (pumps, valves, service...)."""

    __tablename__ = "core_product_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]

    def label(self, locale: str | None) -> str:
        return self.name_zh if locale and locale.startswith("zh") and self.name_zh else self.name


class Product(Audited, Base):
    __tablename__ = "core_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    kind: Mapped[str] = mapped_column(String(10))
    uom: Mapped[str] = mapped_column(String(10), ForeignKey("core_uom.code"), default="pcs")
    list_price: Mapped[UnitPrice] = mapped_column(default=Decimal("0"))
    standard_cost: Mapped[UnitPrice] = mapped_column(default=Decimal("0"))
    tax_rate: Mapped[Rate] = mapped_column(default=Decimal("0.13"))
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    default_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("core_supplier.id"))
    min_order_qty: Mapped[Quantity] = mapped_column(default=Decimal("0"))
    product_line: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("core_product_line.code", onupdate="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Timestamp]

    default_supplier: Mapped[Supplier | None] = relationship(lazy="joined")


class Warehouse(Audited, Base):
    __tablename__ = "core_warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


# --------------------------------------------------------------------------- platform records


class AuditEntry(AppendOnly, Base):
    """Append-only: who changed which record, when, and each changed field's before/after."""

    __tablename__ = "core_audit_log"
    __table_args__ = (Index("ix_core_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[Timestamp] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship(lazy="joined")


class OutboxMessage(Base):
    """A message that must not be lost: written in the business transaction,
    delivered after commit by the Celery relay, at least once."""

    __tablename__ = "core_outbox"
    __table_args__ = (Index("ix_core_outbox_pending", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[Timestamp]
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ProcessedMessage(Base):
    """What each consumer has already handled, so that redelivery does nothing twice."""

    __tablename__ = "core_processed_message"
    __table_args__ = (UniqueConstraint("consumer", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(120))
    message_id: Mapped[int] = mapped_column(Integer)
    processed_at: Mapped[Timestamp]


class Notification(Base):
    __tablename__ = "core_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[Timestamp]
    read_at: Mapped[datetime | None]


class MailMessage(Base):
    """An e-mail the suite sent (or keeps, when no mail server is configured): written in the act that
    composes it, delivered by the outbox consumer of `mail.send` (`core.mail`). `key` makes a message
    that must go out once (the digest of one ISO week) unique."""

    __tablename__ = "core_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    body: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[Timestamp] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    transport: Mapped[str | None] = mapped_column(String(10))  # "smtp" or "stored"


class NumberSequence(Base):
    __tablename__ = "core_number_sequence"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(Base):
    __tablename__ = "core_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[Timestamp]


__all__ = ["utcnow"]
