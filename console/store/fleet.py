"""The fleet view's queries, and the batched writes of when and how terminals connected.

The address and software a terminal had at its last connect are written once per
connection (not per heartbeat), so the fleet view shows them for offline terminals too.
They and each terminal's last contact are written by :class:`console.presence.Presence`
in batches (:meth:`FleetStore.record`: one transaction, one statement per kind), never in
a socket's receive path: awaited there, 10,000 terminals' separate SQLite commits made
pongs wait up to 5 s (bench/idle_terminals.py).
The tenant boundary is the query's ``WHERE``, never a filter applied afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import StoreError
from console.store.database import Database
from console.store.models import Office, Terminal

MAX_SOFTWARE_CHARS = 100
"""The column's width: a longer software string from a hello is cut, not refused."""


def clean_software(software: str) -> str:
    """A hello's software string as stored: no NUL (PostgreSQL refuses it), cut to the column."""
    return software.replace("\x00", "")[:MAX_SOFTWARE_CHARS]


@dataclass(frozen=True)
class Contact:
    """What to write for one terminal: when it was last heard from, its last connection, or both."""

    terminal_id: str
    last_seen: datetime | None = None
    """None: leave the stored last contact as it is."""
    connection: tuple[str | None, str] | None = None
    """(address, software) of its newest connection; None: leave the stored ones."""


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

    async def record(self, contacts: Sequence[Contact]) -> None:
        """Write many terminals' last contact and connections in one transaction.

        Terminals deleted meanwhile are skipped (their update matches no row).
        """
        seen = [
            {"b_id": c.terminal_id, "b_seen": c.last_seen}
            for c in contacts
            if c.last_seen is not None
        ]
        connections = [
            {"b_id": c.terminal_id, "b_ip": c.connection[0] or None,
             "b_software": clean_software(c.connection[1]) or None}
            for c in contacts
            if c.connection is not None
        ]  # fmt: skip
        if not seen and not connections:
            return
        by_id = update(Terminal).where(Terminal.id == bindparam("b_id"))  # Core on a connection
        try:
            async with self._db.engine.begin() as conn:  # executemany: one statement per kind
                if seen:
                    last_seen = bindparam("b_seen", type_=Terminal.last_seen.type)
                    await conn.execute(by_id.values(last_seen=last_seen), seen)
                if connections:
                    values: dict[str, Any] = {
                        "last_ip": bindparam("b_ip"),
                        "software": bindparam("b_software"),
                    }
                    await conn.execute(by_id.values(values), connections)
        except (SQLAlchemyError, OSError) as err:
            raise StoreError(
                f"recording {len(contacts)} terminals' contacts failed: {err}"
            ) from err

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
