"""Mobile kits in the database: one-time kit codes and the staff session bound to each kit.

A code is redeemed with one conditional UPDATE (``used_at IS NULL``), so two kits racing
with the same code cannot both win. A kit has at most one session (its primary key): a
new sign-in replaces the previous staff member's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import Caseworker, KitCode, KitSession


@dataclass(frozen=True)
class KitCodeOwner:
    """Whose a presented kit code is, and whether it may still be used."""

    caseworker_id: int
    municipality_id: int
    expires_at: datetime
    used: bool


@dataclass(frozen=True)
class KitSessionRecord:
    """The staff member signed in on a kit."""

    terminal_id: str
    caseworker_id: int
    started_at: datetime
    expires_at: datetime


class KitStore:
    """Reads and writes kit_codes and kit_sessions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_code(self, code_hash: str, caseworker_id: int, expires_at: datetime) -> None:
        """Store a new code's hash; the caseworker's older unused codes stop working."""
        try:
            async with self._db.session() as s, s.begin():
                await s.execute(
                    delete(KitCode).where(
                        KitCode.caseworker_id == caseworker_id, KitCode.used_at.is_(None)
                    )
                )
                s.add(KitCode(code_hash=code_hash, caseworker_id=caseworker_id,
                              expires_at=expires_at))  # fmt: skip
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def code_owner(self, code_hash: str) -> KitCodeOwner | None:
        """The caseworker a code belongs to, or None for an unknown code."""
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(KitCode, Caseworker.municipality_id)
                    .join(Caseworker, KitCode.caseworker_id == Caseworker.id)
                    .where(KitCode.code_hash == code_hash)
                )
            ).first()
            if found is None:
                return None
            code = found[0]
            return KitCodeOwner(code.caseworker_id, found[1], code.expires_at,
                                code.used_at is not None)  # fmt: skip

    async def use_code(self, code_hash: str, now: datetime) -> bool:
        """Mark an unused, unexpired code used; False if it was used or expired meanwhile."""
        try:
            async with self._db.session() as s, s.begin():
                result = await s.execute(
                    update(KitCode)
                    .where(
                        KitCode.code_hash == code_hash,
                        KitCode.used_at.is_(None),
                        KitCode.expires_at > now,
                    )
                    .values(used_at=now)
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def start_session(
        self, terminal_id: str, caseworker_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Bind a staff member to a kit (replacing whoever was signed in there)."""
        try:
            async with self._db.session() as s, s.begin():
                await s.execute(delete(KitSession).where(KitSession.terminal_id == terminal_id))
                s.add(KitSession(terminal_id=terminal_id, caseworker_id=caseworker_id,
                                 started_at=now, expires_at=expires_at))  # fmt: skip
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def session(self, terminal_id: str) -> KitSessionRecord | None:
        """The kit's session (expired ones too: the caller decides), or None."""
        async with self._db.session() as s:
            row = await s.get(KitSession, terminal_id)
            if row is None:
                return None
            return KitSessionRecord(row.terminal_id, row.caseworker_id, row.started_at,
                                    row.expires_at)  # fmt: skip

    async def end_session(self, terminal_id: str) -> bool:
        """Remove the kit's session; whether there was one."""
        try:
            async with self._db.session() as s, s.begin():
                result = await s.execute(
                    delete(KitSession).where(KitSession.terminal_id == terminal_id)
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
