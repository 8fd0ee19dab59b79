"""Caseworkers of a municipality for the admin API: people, roles, queue memberships.

Scoped by ``municipality_id`` in every WHERE clause. Usernames are unique console-wide
(409). A municipality never loses its last active admin: demoting, deactivating or deleting
that person is refused (409), so nobody locks a town out of its own console. Password
changes, second-factor resets and "sign out everywhere" bump ``session_version``, which
ends every session of the person at once (see :mod:`console.sessions`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import ConflictError, NotFoundError
from console.store.admin_common import lock_municipality, transaction
from console.store.database import Database
from console.store.models import Caseworker, CaseworkerQueue

ADMIN = "admin"


class CaseworkerOut(msgspec.Struct, frozen=True):
    """A person who answers calls; ``queue_ids`` empty means every queue of the municipality."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    language: str | None
    second_factor: bool
    """Whether a TOTP second factor is set up."""
    queue_ids: list[int]


class CaseworkerStore:
    """Caseworkers of one database, always scoped to a municipality."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, municipality_id: int) -> list[CaseworkerOut]:
        """The municipality's caseworkers by display name."""
        async with transaction(self._db) as s:
            rows = list(
                await s.scalars(
                    select(Caseworker)
                    .where(Caseworker.municipality_id == municipality_id)
                    .order_by(Caseworker.display_name, Caseworker.id)
                )
            )
            memberships = await _memberships(s, [row.id for row in rows])
            return [_out(row, memberships.get(row.id, [])) for row in rows]

    async def get(self, municipality_id: int, caseworker_id: int) -> CaseworkerOut:
        """One caseworker (NotFoundError if not the municipality's)."""
        async with transaction(self._db) as s:
            row = await _caseworker(s, municipality_id, caseworker_id)
            return _out(row, (await _memberships(s, [row.id])).get(row.id, []))

    async def create(
        self, municipality_id: int, queue_ids: list[int], **values: Any
    ) -> CaseworkerOut:
        """A new caseworker (``values``: username, display_name, password_hash, role, active)."""
        username = values.get("username", "")
        async with transaction(self._db, f"username {username!r} is already taken") as s:
            row = Caseworker(municipality_id=municipality_id, session_version=1, **values)
            s.add(row)
            await s.flush()
            s.add_all(CaseworkerQueue(caseworker_id=row.id, queue_id=q) for q in queue_ids)
            return _out(row, sorted(queue_ids))

    async def update(
        self,
        municipality_id: int,
        caseworker_id: int,
        queue_ids: list[int] | None = None,
        **values: Any,
    ) -> CaseworkerOut:
        """Change fields and, if ``queue_ids`` is given, replace the memberships."""
        username = values.get("username", "")
        async with transaction(self._db, f"username {username!r} is already taken") as s:
            row = await _caseworker(s, municipality_id, caseworker_id)
            stays_admin = values.get("role", row.role) == ADMIN and values.get("active", row.active)
            if not stays_admin:
                await _keep_an_admin(s, row)
            if values.get("active") is False and row.active:
                _end_sessions(row)
            for key, value in values.items():
                setattr(row, key, value)
            if queue_ids is not None:
                await s.execute(
                    delete(CaseworkerQueue).where(CaseworkerQueue.caseworker_id == row.id)
                )
                s.add_all(CaseworkerQueue(caseworker_id=row.id, queue_id=q) for q in queue_ids)
            await s.flush()
            return _out(row, (await _memberships(s, [row.id])).get(row.id, []))

    async def delete(self, municipality_id: int, caseworker_id: int) -> None:
        """Delete a caseworker (409 for the last active admin)."""
        async with transaction(self._db) as s:
            row = await _caseworker(s, municipality_id, caseworker_id)
            await _keep_an_admin(s, row)
            await s.delete(row)

    async def set_password(self, municipality_id: int, caseworker_id: int, hashed: str) -> None:
        """Store a new password hash and end the person's sessions."""
        async with transaction(self._db) as s:
            row = await _caseworker(s, municipality_id, caseworker_id)
            row.password_hash = hashed
            _end_sessions(row)

    async def reset_second_factor(self, municipality_id: int, caseworker_id: int) -> None:
        """Remove the TOTP secret (set up again at next sign-in) and end the sessions."""
        async with transaction(self._db) as s:
            row = await _caseworker(s, municipality_id, caseworker_id)
            row.totp_secret = None
            row.totp_last_step = None
            _end_sessions(row)

    async def sign_out_everywhere(self, municipality_id: int, caseworker_id: int) -> None:
        """End every session of the person."""
        async with transaction(self._db) as s:
            row = await _caseworker(s, municipality_id, caseworker_id)
            _end_sessions(row)


def _end_sessions(row: Caseworker) -> None:
    """Bump the session version in SQL (``+ 1`` on the stored value), not from the value
    read earlier: two instances bumping at once then count twice instead of writing the
    same number."""
    row.session_version = Caseworker.session_version + 1


def _out(row: Caseworker, queue_ids: list[int]) -> CaseworkerOut:
    return CaseworkerOut(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        active=row.active,
        language=row.language,
        second_factor=row.totp_secret is not None,
        queue_ids=queue_ids,
    )


async def _caseworker(s: AsyncSession, municipality_id: int, caseworker_id: int) -> Caseworker:
    row = await s.scalar(
        select(Caseworker).where(
            Caseworker.id == caseworker_id, Caseworker.municipality_id == municipality_id
        )
    )
    if row is None:
        raise NotFoundError("no such caseworker")
    return row


async def _memberships(s: AsyncSession, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    if not ids:
        return found
    rows = await s.execute(
        select(CaseworkerQueue.caseworker_id, CaseworkerQueue.queue_id)
        .where(CaseworkerQueue.caseworker_id.in_(ids))
        .order_by(CaseworkerQueue.queue_id)
    )
    for caseworker_id, queue_id in rows.all():
        found.setdefault(caseworker_id, []).append(queue_id)
    return found


async def _keep_an_admin(s: AsyncSession, row: Caseworker) -> None:
    """409 if ``row`` is the municipality's last active admin (counted under its lock)."""
    if row.role != ADMIN or not row.active:
        return
    await lock_municipality(s, row.municipality_id)
    others = await s.scalar(
        select(func.count())
        .select_from(Caseworker)
        .where(
            Caseworker.municipality_id == row.municipality_id,
            Caseworker.role == ADMIN,
            Caseworker.active.is_(True),
            Caseworker.id != row.id,
        )
    )
    if not others:
        raise ConflictError("the municipality would be left without an active admin")
