"""The fleet view's queries: each terminal with its office, address and software.

The address and software a terminal had at its last connect are written once per
connection (not per heartbeat), so the fleet view shows them for offline terminals too.
The tenant boundary is the query's ``WHERE``, never a filter applied afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import Office, Terminal

MAX_SOFTWARE_CHARS = 100
"""The column's width: a longer software string from a hello is cut, not refused."""


@dataclass(frozen=True)
class FleetTerminal:
    """One terminal as the fleet view lists it."""

    id: str
    name: str
    municipality_id: int
    office_id: int | None
    office_name: str | None
    last_seen: datetime | None
    last_ip: str | None
    software: str | None


class FleetStore:
    """Reads the fleet and records each terminal's connection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def connected(self, terminal_id: str, ip: str | None, software: str) -> None:
        """Remember the address and software of a terminal's new connection."""
        software = software.replace("\x00", "")[:MAX_SOFTWARE_CHARS]  # PostgreSQL: no NUL
        values = {"last_ip": ip or None, "software": software or None}
        try:
            async with self._db.session() as s, s.begin():
                await s.execute(update(Terminal).where(Terminal.id == terminal_id).values(values))
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def terminals(self, municipality_id: int) -> list[FleetTerminal]:
        """The municipality's terminals with their office, by office then name."""
        query = (
            select(Terminal, Office.name)
            .outerjoin(Office, Terminal.office_id == Office.id)
            .where(Terminal.municipality_id == municipality_id)
            .order_by(Office.name, Terminal.name, Terminal.id)
        )
        try:
            async with self._db.session() as s:
                rows = (await s.execute(query)).all()
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return [_record(row[0], row[1]) for row in rows]

    async def terminal(self, terminal_id: str) -> FleetTerminal | None:
        """One terminal by id (any municipality: the caller checks the tenant)."""
        query = (
            select(Terminal, Office.name)
            .outerjoin(Office, Terminal.office_id == Office.id)
            .where(Terminal.id == terminal_id)
        )
        try:
            async with self._db.session() as s:
                row = (await s.execute(query)).first()
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return None if row is None else _record(row[0], row[1])


def _record(row: Terminal, office_name: str | None) -> FleetTerminal:
    return FleetTerminal(
        id=row.id,
        name=row.name,
        municipality_id=row.municipality_id,
        office_id=row.office_id,
        office_name=office_name,
        last_seen=row.last_seen,
        last_ip=row.last_ip,
        software=row.software,
    )
