"""Plain immutable records the store hands out instead of ORM objects.

Returning detached ORM instances invites lazy loads outside a session, which in async
SQLAlchemy fail at run time; frozen dataclasses cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MunicipalityRecord:
    """A municipality (tenant)."""

    id: int
    name: str


@dataclass(frozen=True)
class CaseworkerRecord:
    """A caseworker with the name of their municipality."""

    id: int
    username: str
    display_name: str
    password_hash: str
    session_version: int
    municipality_id: int
    municipality_name: str
    role: str = "caseworker"
    """caseworker, supervisor or admin: see :mod:`console.roles`."""
    totp_secret: str | None = None
    active: bool = True
    language: str | None = None


@dataclass(frozen=True)
class TerminalRecord:
    """A terminal with the name of its municipality."""

    id: str
    name: str
    municipality_id: int
    municipality_name: str
    credential_hash: str | None
    enrolled_at: datetime | None
    last_seen: datetime | None
    office_id: int | None = None
    last_ip: str | None = None
    software: str | None = None
    kind: str = "stationary"
