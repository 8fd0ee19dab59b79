"""Reading the audit log (pages, export batches) and its retention purge.

Entries are written by :class:`console.audit.AuditLog` and never updated: revision
0005_audit adds triggers that abort an UPDATE, and a DELETE of entries younger than the
retention period kept in ``audit_retention`` (written here from the configuration at start).
Every query is scoped to one municipality in its WHERE clause.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import AuditEntry, AuditRetention

EXPORT_BATCH = 2000


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry as the API and the export show it."""

    id: int
    at: datetime
    actor_kind: str
    actor_id: str
    actor_name: str
    action: str
    target_kind: str
    target_id: str
    detail: str


_COLUMNS = tuple(getattr(AuditEntry, f.name) for f in fields(AuditRecord))
"""The columns of ``audit_log`` in the order of :class:`AuditRecord`'s fields (plain rows
load several times faster than ORM objects: a 100,000-entry export streams in seconds)."""


class AuditStore:
    """Queries of the ``audit_log`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(
        self,
        municipality_id: int,
        start: datetime,
        end: datetime,
        *,
        action: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditRecord]:
        """Newest written first: entries with ``start <= at < end`` (and ``id < before_id``)."""
        query = (
            select(*_COLUMNS)
            .where(
                AuditEntry.municipality_id == municipality_id,
                AuditEntry.at >= start,
                AuditEntry.at < end,
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        if action:
            query = query.where(AuditEntry.action == action)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        try:
            async with self.db.session() as s:
                rows = (await s.execute(query)).all()
        except SQLAlchemyError as err:
            raise StoreError(f"reading the audit log failed: {err}") from err
        return [AuditRecord(*row) for row in rows]

    async def batches(
        self, municipality_id: int, start: datetime, end: datetime, size: int = EXPORT_BATCH
    ) -> AsyncIterator[list[AuditRecord]]:
        """In the order written, ``size`` entries at a time (keyset paging by id: no long
        transaction, and entries written meanwhile are included or not, never twice)."""
        after = 0
        while True:
            query = (
                select(*_COLUMNS)
                .where(
                    AuditEntry.municipality_id == municipality_id,
                    AuditEntry.at >= start,
                    AuditEntry.at < end,
                    AuditEntry.id > after,
                )
                .order_by(AuditEntry.id)
                .limit(size)
            )
            try:
                async with self.db.session() as s:
                    rows = (await s.execute(query)).all()
            except SQLAlchemyError as err:
                raise StoreError(f"reading the audit log failed: {err}") from err
            if not rows:
                return
            yield [AuditRecord(*row) for row in rows]
            if len(rows) < size:
                return
            after = rows[-1].id

    async def set_retention(self, days: float) -> None:
        """Tell the database's triggers how long entries are protected from deletion."""
        try:
            async with self.db.session() as s, s.begin():
                await s.execute(
                    update(AuditRetention).where(AuditRetention.id == 1).values(days=days)
                )
        except SQLAlchemyError as err:
            raise StoreError(f"setting the audit retention failed: {err}") from err

    async def purge(self, before: datetime) -> int:
        """Delete every entry written before ``before``; return how many."""
        try:
            async with self.db.session() as s, s.begin():
                result = await s.execute(delete(AuditEntry).where(AuditEntry.at < before))
        except SQLAlchemyError as err:
            raise StoreError(f"purging the audit log failed: {err}") from err
        return int(getattr(result, "rowcount", 0) or 0)
