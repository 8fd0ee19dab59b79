"""ORM models; the Alembic revisions in ``console/migrations`` create exactly these tables.

Types are portable (String, Integer, timezone-aware DateTime) so PostgreSQL can follow
SQLite without a schema fork. Times are stored in UTC; :class:`UTCDateTime` re-attaches the
zone that SQLite drops (PostgreSQL keeps it, in whatever zone the session uses). Server
defaults repeat the migrations' so that Alembic's comparison of models and migrated schema
finds nothing on either database (tests/console/test_migrations.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MAX_ROW_ID = 2**31 - 1
"""The largest integer id a row can have: PostgreSQL's ``integer`` columns (the SERIAL ids)
end here, SQLite's go further. Ids from outside beyond it name no row (404 or 400), and are
never sent to the database, which would refuse them as out of range."""


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that always comes back timezone-aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalize to UTC before writing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """SQLite returns naive datetimes; they were written in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; its metadata is Alembic's target."""


class Municipality(Base):
    """A tenant: caseworkers answer only their municipality's terminals."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(
        String(64), default="Europe/Berlin", server_default="Europe/Berlin"
    )
    """IANA zone its office hours are written in (revision 0002)."""
    brand_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    """Branding (revision 0004): "#rrggbb" accent colour of its kiosk and console pages."""
    welcome_text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    """Branding (revision 0004): a line under the kiosk's welcome heading."""


class Caseworker(Base):
    """A person who answers calls; signs in with username and password."""

    __tablename__ = "caseworkers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Bumped to sign out every session of this caseworker (password change, removal)."""
    role: Mapped[str] = mapped_column(String(16), default="caseworker", server_default="caseworker")
    """caseworker, supervisor or admin (revision 0004); see :mod:`console.roles`."""
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Base32 TOTP secret once the second factor is set up; None means not set up yet."""
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The last accepted TOTP time step: a code is accepted once only."""
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """``sub`` of this person at the municipality's identity provider, once linked."""
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    """Console language (de or en); None follows the browser."""
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False blocks sign-in without deleting the person's audit trail."""


class Terminal(Base):
    """A Pi in a town hall; authenticates with a credential it got at enrollment."""

    __tablename__ = "terminals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    credential_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """sha256 hex of the 32-byte random secret: a fast hash suffices for that much entropy."""
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The office whose queues and hours the terminal serves (revision 0004)."""
    last_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    software: Mapped[str | None] = mapped_column(String(100), nullable=True)


class EnrollmentCode(Base):
    """A one-time code a terminal trades for its credential."""

    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(
        ForeignKey("terminals.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Callback(Base):
    """A citizen's callback request; deleted some days after it is done (revision 0003)."""

    __tablename__ = "callbacks"
    __table_args__ = (UniqueConstraint("terminal_id", "request_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    terminal_id: Mapped[str | None] = mapped_column(
        ForeignKey("terminals.id", ondelete="SET NULL"), nullable=True
    )
    request_id: Mapped[str] = mapped_column(String(64))
    """The terminal's id for the request: a resend after a lost ack finds the same row."""
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    """open, done or failed."""
    done_by: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)


# --- revision 0004: offices, queues, roles, audit, usage, documents, tokens, SSO -------------


class Office(Base):
    """A place of a municipality (town hall, branch): its terminals, queues and hours."""

    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(
        String(64), default="Europe/Berlin", server_default="Europe/Berlin"
    )


class Queue(Base):
    """A service of an office (registration office, social benefits) that calls wait in."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("office_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    """Copied from the office so every tenant check is one column comparison."""
    name: Mapped[str] = mapped_column(String(200))
    routing: Mapped[str] = mapped_column(
        String(16), default="longest_idle", server_default="longest_idle"
    )
    """longest_idle (one caseworker is offered the call at a time) or ring_all."""
    wrap_up_s: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    """Seconds of automatic wrap-up after a call before the caseworker gets the next."""
    ring_s: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    """How long one caseworker is offered a call before the next is (longest_idle)."""
    answer_limit_s: Mapped[int] = mapped_column(Integer, default=600, server_default="600")
    """A call waiting longer is turned into a callback request."""
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Order on the terminal's welcome screen."""


class CaseworkerQueue(Base):
    """Which queues a caseworker serves; none at all means every queue of the municipality."""

    __tablename__ = "caseworker_queues"

    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True
    )
    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )


class OfficeHours(Base):
    """One weekly opening span of an office; an office with none is always open."""

    __tablename__ = "office_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    """ISO weekday, 1 = Monday."""
    opens: Mapped[str] = mapped_column(String(5))
    """Local "HH:MM" in the office's time zone."""
    closes: Mapped[str] = mapped_column(String(5))


class OfficeException(Base):
    """A dated exception to an office's week: a holiday (no times) or special hours."""

    __tablename__ = "office_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    day: Mapped[str] = mapped_column(String(10))
    """Local date "YYYY-MM-DD"."""
    opens: Mapped[str | None] = mapped_column(String(5), nullable=True)
    """None (with ``closes`` None): closed all day. Several rows of one day add up."""
    closes: Mapped[str | None] = mapped_column(String(5), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")


class AuditEntry(Base):
    """Who did what and when: metadata only, never media or chat text; append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    municipality_id: Mapped[int] = mapped_column(Integer, index=True)
    """No foreign key: the trail outlives a deleted caseworker or terminal."""
    actor_kind: Mapped[str] = mapped_column(String(16))
    """caseworker, terminal or system."""
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    target_kind: Mapped[str] = mapped_column(String(16), default="", server_default="")
    target_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    detail: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    """Small JSON object of metadata (ids, sizes, reasons)."""


class AuditRetention(Base):
    """One row (revision 0005_audit): the days the append-only triggers protect entries for."""

    __tablename__ = "audit_retention"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    days: Mapped[float] = mapped_column(Float)


class CallRecord(Base):
    """One call for usage figures: times, terminal, office and queue; no person."""

    __tablename__ = "call_records"

    call_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(Integer, index=True)
    office_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    terminal_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), default="waiting", server_default="waiting")
    """waiting, answered, abandoned, callback or closed."""
    wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    transfers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Document(Base):
    """A document photo in a municipality's case inbox, encrypted at rest (AES-GCM)."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    height: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    key_id: Mapped[str] = mapped_column(String(16))
    """Which document key encrypted it, so keys can be rotated."""
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary())


class KitReceipt(Base):
    """A document a mobile office kit uploaded, once per terminal and kit document id.

    A kit switched off after the console stored its upload but before it deleted its own
    copy sends the same id again; this row makes that a "got it already" rather than a second
    inbox document. Kept past the document itself (a caseworker may delete that), until
    ``console/kit_inbox.py`` purges it.
    """

    __tablename__ = "kit_receipts"

    terminal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kit_document_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[str] = mapped_column(String(32))
    """The case inbox document it became (may be deleted or expired since)."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ApiToken(Base):
    """A bearer token for the admin API; acts with its owner's role and municipality."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 hex of the 32-byte random token."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OidcProvider(Base):
    """A municipality's own OpenID Connect identity provider for single sign-on."""

    __tablename__ = "oidc_providers"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
