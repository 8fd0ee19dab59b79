"""Call records for the usage figures (table ``call_records``): save, read a range, purge.

A record holds times, terminal, office, queue, language and outcome of one call, never a
person: no caseworker, no citizen. :class:`console.usage.UsageRecorder` writes them; the
figures read them back with the names of terminals and queues joined in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from console.errors import NotFoundError, StoreError
from console.store.database import Database
from console.store.models import CallRecord, Municipality, Office, Queue, Terminal
from console.store.upsert import upsert


@dataclass(frozen=True)
class CallRow:
    """Everything a call record stores; ``*_at`` are aware UTC datetimes."""

    call_id: str
    municipality_id: int
    office_id: int | None
    queue_id: int | None
    terminal_id: str | None
    requested_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str
    wait_s: float | None
    talk_s: float | None
    transfers: int
    language: str | None


@dataclass(frozen=True)
class NamedCall:
    """A stored call with the current names of its terminal, office and queue."""

    row: CallRow
    terminal_name: str | None
    office_name: str | None
    queue_name: str | None


_COLUMNS = tuple(getattr(CallRecord, f.name) for f in fields(CallRow))
"""The columns of ``call_records`` in the order of :class:`CallRow`'s fields."""


class UsageStore:
    """Reads and writes ``call_records``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, rows: Sequence[CallRow]) -> None:
        """Insert or update the records (by call id) in one transaction, one statement."""
        if not rows:
            return
        try:
            async with self.db.session() as s, s.begin():
                await s.execute(_upsert(self.db.engine.dialect.name), [asdict(r) for r in rows])
        except SQLAlchemyError as err:
            raise StoreError(f"writing call records failed: {err}") from err

    async def calls(self, municipality_id: int, start: datetime, end: datetime) -> list[NamedCall]:
        """The municipality's calls requested in ``[start, end)``, oldest first."""
        query = (
            select(*_COLUMNS, Terminal.name, Office.name, Queue.name)
            .outerjoin(Terminal, Terminal.id == CallRecord.terminal_id)
            .outerjoin(Office, Office.id == CallRecord.office_id)
            .outerjoin(Queue, Queue.id == CallRecord.queue_id)
            .where(
                CallRecord.municipality_id == municipality_id,
                CallRecord.requested_at >= start,
                CallRecord.requested_at < end,
            )
            .order_by(CallRecord.requested_at)
        )
        try:  # plain rows, not ORM objects: 20,000 calls load several times faster
            async with self.db.session() as s:
                found = (await s.execute(query)).all()
        except SQLAlchemyError as err:
            raise StoreError(f"reading call records failed: {err}") from err
        width = len(_COLUMNS)
        return [NamedCall(CallRow(*row[:width]), *row[width:]) for row in found]

    async def timezone(self, municipality_id: int) -> str:
        """The IANA zone the municipality's figures are counted in."""
        try:
            async with self.db.session() as s:
                zone = await s.scalar(
                    select(Municipality.timezone).where(Municipality.id == municipality_id)
                )
        except SQLAlchemyError as err:
            raise StoreError(f"reading the municipality failed: {err}") from err
        if zone is None:
            raise NotFoundError("no such municipality")
        return zone

    async def purge(self, before: datetime) -> int:
        """Delete every record of a call requested before ``before``; return how many."""
        try:
            async with self.db.session() as s, s.begin():
                result = await s.execute(delete(CallRecord).where(CallRecord.requested_at < before))
        except SQLAlchemyError as err:
            raise StoreError(f"purging call records failed: {err}") from err
        return int(getattr(result, "rowcount", 0) or 0)


def _upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (call_id) DO UPDATE, for PostgreSQL or SQLite."""
    changed = [c.key for c in _COLUMNS if c.key != "call_id"]
    return upsert(CallRecord, dialect, ["call_id"], changed)
