"""ORM models; the Alembic revisions in ``console/migrations`` create exactly these tables.

Types are portable (String, Integer, timezone-aware DateTime) so PostgreSQL can follow
SQLite without a schema fork. Times are stored in UTC; :class:`UTCDateTime` re-attaches the
zone that SQLite drops.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    """IANA zone its office hours are written in (revision 0002)."""


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
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped to sign out every session of this caseworker (password change, removal)."""


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


class EnrollmentCode(Base):
    """A one-time code a terminal trades for its credential."""

    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(
        ForeignKey("terminals.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OpeningHours(Base):
    """One opening period of a municipality's week; none at all means always open (rev. 0002)."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    """ISO weekday, 1 = Monday."""
    opens: Mapped[str] = mapped_column(String(5))
    """Local time "HH:MM" in the municipality's time zone."""
    closes: Mapped[str] = mapped_column(String(5))


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
    status: Mapped[str] = mapped_column(String(8), default="open")
    """open, done or failed."""
    done_by: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
