"""Callback requests of citizens (table of revision 0003): add, list, mark, purge.

The rows hold personal data (a name and a phone number), so they live only as long as they
are needed: :meth:`CallbackStore.purge` deletes every row done or failed more than the
retention period ago (``callback_retention_days``, default 30).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import Callback, Terminal


@dataclass(frozen=True)
class CallbackRecord:
    """One callback request with its terminal's name."""

    id: str
    municipality_id: int
    terminal_name: str
    name: str
    phone: str
    language: str | None
    reason: str
    created_at: datetime
    status: str
    done_at: datetime | None


@dataclass(frozen=True)
class NewCallback:
    """What a terminal sent in ``callback.request``."""

    municipality_id: int
    terminal_id: str
    request_id: str
    name: str
    phone: str
    language: str | None
    reason: str


class CallbackStore:
    """Reads and writes the callbacks table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, new: NewCallback, now: datetime) -> tuple[str, bool]:
        """Store a request once per (terminal, request_id); return (its id, whether it is new)."""
        try:
            existing = await self._find(new.terminal_id, new.request_id)
            if existing is not None:
                return existing, False
            callback_id = secrets.token_hex(16)
            async with self.db.session() as s, s.begin():
                s.add(
                    Callback(
                        id=callback_id,
                        municipality_id=new.municipality_id,
                        terminal_id=new.terminal_id,
                        request_id=new.request_id,
                        name=new.name,
                        phone=new.phone,
                        language=new.language,
                        reason=new.reason,
                        created_at=now,
                        status="open",
                    )
                )
            return callback_id, True
        except IntegrityError:  # the same request raced in twice: the first one won
            found = await self._find(new.terminal_id, new.request_id)
            if found is None:
                raise StoreError("callback request vanished while being stored") from None
            return found, False
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def _find(self, terminal_id: str, request_id: str) -> str | None:
        async with self.db.session() as s:
            return await s.scalar(
                select(Callback.id).where(
                    Callback.terminal_id == terminal_id, Callback.request_id == request_id
                )
            )

    async def listed(self, municipality_id: int, done_since: datetime) -> list[CallbackRecord]:
        """Open requests and those done or failed since ``done_since``, oldest first."""
        try:
            async with self.db.session() as s:
                result = await s.execute(
                    select(Callback, Terminal.name)
                    .outerjoin(Terminal, Callback.terminal_id == Terminal.id)
                    .where(
                        Callback.municipality_id == municipality_id,
                        or_(Callback.status == "open", Callback.done_at >= done_since),
                    )
                    .order_by(Callback.created_at, Callback.id)
                )
                return [_record(row, terminal_name or "") for row, terminal_name in result.all()]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def mark(
        self, municipality_id: int, callback_id: str, status: str, caseworker_id: int, now: datetime
    ) -> bool:
        """Set done or failed on a request of this municipality; False if there is none."""
        try:
            async with self.db.session() as s, s.begin():
                result = await s.execute(
                    update(Callback)
                    .where(Callback.id == callback_id, Callback.municipality_id == municipality_id)
                    .values(status=status, done_by=caseworker_id, done_at=now)
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def purge(self, done_before: datetime) -> int:
        """Delete requests done or failed before ``done_before``; return how many."""
        try:
            async with self.db.session() as s, s.begin():
                result = await s.execute(
                    delete(Callback).where(
                        Callback.status != "open", Callback.done_at < done_before
                    )
                )
                return int(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err


def _record(row: Callback, terminal_name: str) -> CallbackRecord:
    return CallbackRecord(
        id=row.id,
        municipality_id=row.municipality_id,
        terminal_name=terminal_name,
        name=row.name,
        phone=row.phone,
        language=row.language,
        reason=row.reason,
        created_at=row.created_at,
        status=row.status,
        done_at=row.done_at,
    )
