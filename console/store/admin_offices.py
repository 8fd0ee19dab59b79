"""Offices of a municipality for the admin API: list, read, create, rename, delete.

Every query is scoped by ``municipality_id`` in its WHERE clause, so another tenant's
office is simply not found (404), never filtered out afterwards. A new office starts with
one queue (:data:`~console.store.repository.DEFAULT_QUEUE`) so its terminals can call at
once. An office cannot be deleted while terminals stand in it, nor the last one.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import ConflictError, NotFoundError
from console.store.admin_common import lock_municipality, transaction
from console.store.database import Database
from console.store.models import Office, Queue, Terminal
from console.store.repository import DEFAULT_QUEUE


class OfficeOut(msgspec.Struct, frozen=True):
    """An office (town hall, branch) of the municipality."""

    id: int
    name: str
    timezone: str


def _out(row: Office) -> OfficeOut:
    return OfficeOut(id=row.id, name=row.name, timezone=row.timezone)


class OfficeStore:
    """Offices of one database, always scoped to a municipality."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, municipality_id: int) -> list[OfficeOut]:
        """The municipality's offices by name."""
        async with transaction(self._db) as s:
            rows = await s.scalars(
                select(Office)
                .where(Office.municipality_id == municipality_id)
                .order_by(Office.name, Office.id)
            )
            return [_out(row) for row in rows]

    async def get(self, municipality_id: int, office_id: int) -> OfficeOut:
        """One office (NotFoundError if not the municipality's)."""
        async with transaction(self._db) as s:
            return _out(await _office(s, municipality_id, office_id))

    async def create(self, municipality_id: int, name: str, timezone: str) -> OfficeOut:
        """A new office with its first queue; names are unique per municipality."""
        async with transaction(self._db, f"an office named {name!r} exists") as s:
            row = Office(municipality_id=municipality_id, name=name, timezone=timezone)
            s.add(row)
            await s.flush()
            s.add(Queue(office_id=row.id, municipality_id=municipality_id, name=DEFAULT_QUEUE))
            return _out(row)

    async def update(self, municipality_id: int, office_id: int, **values: Any) -> OfficeOut:
        """Change name and/or time zone."""
        name = values.get("name", "")
        async with transaction(self._db, f"an office named {name!r} exists") as s:
            row = await _office(s, municipality_id, office_id)
            for key, value in values.items():
                setattr(row, key, value)
            await s.flush()
            return _out(row)

    async def delete(self, municipality_id: int, office_id: int) -> None:
        """Delete an office and its queues (409 if terminals stand in it or it is the last)."""
        async with transaction(self._db) as s:
            row = await _office(s, municipality_id, office_id)
            await lock_municipality(s, municipality_id)  # counts below see every commit
            terminals = await s.scalar(
                select(func.count()).select_from(Terminal).where(Terminal.office_id == row.id)
            )
            if terminals:
                raise ConflictError("move this office's terminals to another office first")
            offices = await s.scalar(
                select(func.count())
                .select_from(Office)
                .where(Office.municipality_id == municipality_id)
            )
            if offices == 1:
                raise ConflictError("a municipality keeps at least one office")
            await s.delete(row)


async def _office(s: AsyncSession, municipality_id: int, office_id: int) -> Office:
    row = await s.scalar(
        select(Office).where(Office.id == office_id, Office.municipality_id == municipality_id)
    )
    if row is None:
        raise NotFoundError("no such office")
    return row
