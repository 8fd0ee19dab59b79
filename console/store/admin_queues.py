"""Queues (services) of a municipality's offices for the admin API.

Scoped by ``municipality_id`` in every WHERE clause (the column is copied from the office
so the check is one comparison). An office keeps at least one queue, so its terminals
always have somewhere to call.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import ConflictError, NotFoundError
from console.store.admin_common import lock_municipality, transaction
from console.store.database import Database
from console.store.models import Office, Queue

Routing = Literal["longest_idle", "ring_all"]


class QueueOut(msgspec.Struct, frozen=True):
    """A queue (service) of an office, with its routing settings."""

    id: int
    office_id: int
    name: str
    routing: Routing
    wrap_up_s: int
    ring_s: int
    answer_limit_s: int
    position: int


def _out(row: Queue) -> QueueOut:
    routing: Routing = "ring_all" if row.routing == "ring_all" else "longest_idle"
    return QueueOut(
        id=row.id,
        office_id=row.office_id,
        name=row.name,
        routing=routing,
        wrap_up_s=row.wrap_up_s,
        ring_s=row.ring_s,
        answer_limit_s=row.answer_limit_s,
        position=row.position,
    )


class QueueStore:
    """Queues of one database, always scoped to a municipality."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, municipality_id: int, office_id: int | None = None) -> list[QueueOut]:
        """The municipality's queues (of one office if given), by office and position."""
        query = select(Queue).where(Queue.municipality_id == municipality_id)
        if office_id is not None:
            query = query.where(Queue.office_id == office_id)
        async with transaction(self._db) as s:
            rows = await s.scalars(query.order_by(Queue.office_id, Queue.position, Queue.name))
            return [_out(row) for row in rows]

    async def get(self, municipality_id: int, queue_id: int) -> QueueOut:
        """One queue (NotFoundError if not the municipality's)."""
        async with transaction(self._db) as s:
            return _out(await _queue(s, municipality_id, queue_id))

    async def create(self, municipality_id: int, office_id: int, **values: Any) -> QueueOut:
        """A new queue in one of the municipality's offices; names are unique per office."""
        name = values.get("name", "")
        async with transaction(self._db, f"the office has a queue named {name!r}") as s:
            await _office_of(s, municipality_id, office_id)
            row = Queue(office_id=office_id, municipality_id=municipality_id, **values)
            s.add(row)
            await s.flush()
            return _out(row)

    async def update(self, municipality_id: int, queue_id: int, **values: Any) -> QueueOut:
        """Change settings or move the queue to another office of the municipality."""
        name = values.get("name", "")
        async with transaction(self._db, f"the office has a queue named {name!r}") as s:
            row = await _queue(s, municipality_id, queue_id)
            target = values.get("office_id")
            if target is not None and target != row.office_id:
                await _office_of(s, municipality_id, target)
                await _not_last(s, municipality_id, row.office_id)
            for key, value in values.items():
                setattr(row, key, value)
            await s.flush()
            return _out(row)

    async def delete(self, municipality_id: int, queue_id: int) -> None:
        """Delete a queue (409 if it is its office's last one)."""
        async with transaction(self._db) as s:
            row = await _queue(s, municipality_id, queue_id)
            await _not_last(s, municipality_id, row.office_id)
            await s.delete(row)

    async def ids_of(self, municipality_id: int, queue_ids: list[int]) -> set[int]:
        """Which of ``queue_ids`` are queues of the municipality."""
        if not queue_ids:
            return set()
        async with transaction(self._db) as s:
            found = await s.scalars(
                select(Queue.id).where(
                    Queue.municipality_id == municipality_id, Queue.id.in_(queue_ids)
                )
            )
            return set(found)


async def _queue(s: AsyncSession, municipality_id: int, queue_id: int) -> Queue:
    row = await s.scalar(
        select(Queue).where(Queue.id == queue_id, Queue.municipality_id == municipality_id)
    )
    if row is None:
        raise NotFoundError("no such queue")
    return row


async def _office_of(s: AsyncSession, municipality_id: int, office_id: int) -> None:
    found = await s.scalar(
        select(Office.id).where(Office.id == office_id, Office.municipality_id == municipality_id)
    )
    if found is None:
        raise NotFoundError("no such office")


async def _not_last(s: AsyncSession, municipality_id: int, office_id: int) -> None:
    """409 if the office has one queue left (counted under the municipality's lock)."""
    await lock_municipality(s, municipality_id)
    count = await s.scalar(
        select(func.count()).select_from(Queue).where(Queue.office_id == office_id)
    )
    if (count or 0) <= 1:
        raise ConflictError("an office keeps at least one queue")
