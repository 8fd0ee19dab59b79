"""Terminals of a municipality for the admin API: list, rename, move, delete.

Creating a terminal and issuing enrollment codes go through
:class:`console.enroll.Enroller` (codes are stored only as hashes); this module does the
rest, scoped by ``municipality_id`` in every WHERE clause.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import NotFoundError
from console.store.admin_common import lock_municipality, transaction
from console.store.database import Database
from console.store.models import Office, Terminal


class RegisteredTerminal(msgspec.Struct, frozen=True):
    """A terminal as the admin sees it (health and presence are in the fleet view)."""

    id: str
    name: str
    office_id: int | None
    enrolled: bool
    """Whether it has traded an enrollment code for its credential."""
    enrolled_at: datetime | None
    last_seen: datetime | None
    kind: str = "stationary"
    """``stationary`` or ``mobile`` (a staff kit)."""


def _out(row: Terminal) -> RegisteredTerminal:
    return RegisteredTerminal(
        id=row.id,
        name=row.name,
        office_id=row.office_id,
        enrolled=row.credential_hash is not None,
        enrolled_at=row.enrolled_at,
        last_seen=row.last_seen,
        kind=row.kind,
    )


class TerminalAdminStore:
    """Terminals of one database, always scoped to a municipality."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, municipality_id: int) -> list[RegisteredTerminal]:
        """The municipality's terminals by name."""
        async with transaction(self._db) as s:
            rows = await s.scalars(
                select(Terminal)
                .where(Terminal.municipality_id == municipality_id)
                .order_by(Terminal.name, Terminal.id)
            )
            return [_out(row) for row in rows]

    async def get(self, municipality_id: int, terminal_id: str) -> RegisteredTerminal:
        """One terminal (NotFoundError if not the municipality's)."""
        async with transaction(self._db) as s:
            return _out(await _terminal(s, municipality_id, terminal_id))

    async def update(
        self, municipality_id: int, terminal_id: str, **values: Any
    ) -> RegisteredTerminal:
        """Rename and/or move to another office of the municipality."""
        async with transaction(self._db) as s:
            row = await _terminal(s, municipality_id, terminal_id)
            office_id = values.get("office_id")
            if office_id is not None:
                await lock_municipality(s, municipality_id)  # not into an office being deleted
                found = await s.scalar(
                    select(Office.id).where(
                        Office.id == office_id, Office.municipality_id == municipality_id
                    )
                )
                if found is None:
                    raise NotFoundError("no such office")
            for key, value in values.items():
                setattr(row, key, value)
            await s.flush()
            return _out(row)

    async def delete(self, municipality_id: int, terminal_id: str) -> None:
        """Delete a terminal; its credential and codes stop working at once."""
        async with transaction(self._db) as s:
            await s.delete(await _terminal(s, municipality_id, terminal_id))


async def _terminal(s: AsyncSession, municipality_id: int, terminal_id: str) -> Terminal:
    row = await s.scalar(
        select(Terminal).where(
            Terminal.id == terminal_id, Terminal.municipality_id == municipality_id
        )
    )
    if row is None:
        raise NotFoundError("no such terminal")
    return row
