"""Repository: every query the console makes, each in its own short transaction.

Callers get records (:mod:`console.store.records`) or a :class:`~console.errors.ConsoleError`;
SQLAlchemy exceptions do not escape this module, so the HTTP and CLI layers translate
only the console's own errors.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import (
    AlreadyExistsError,
    CodeExpiredError,
    CodeInvalidError,
    CodeUsedError,
    NotFoundError,
    StoreError,
)
from console.store.database import Database
from console.store.models import (
    Caseworker,
    EnrollmentCode,
    Municipality,
    Office,
    Queue,
    Terminal,
)
from console.store.records import CaseworkerRecord, MunicipalityRecord, TerminalRecord

DEFAULT_QUEUE = "Bürgerservice"
"""The queue every new office starts with."""


class Store:
    """Reads and writes the console's tables through a :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ping(self) -> bool:
        """Whether the database is reachable."""
        return await self.db.ping()

    # --- municipalities -----------------------------------------------------------

    async def add_municipality(self, name: str) -> MunicipalityRecord:
        """Create a municipality with one office (its name) and one queue; names are unique."""
        try:
            async with self.db.session() as s, s.begin():
                row = Municipality(name=name)
                s.add(row)
                await s.flush()
                office = Office(municipality_id=row.id, name=name, timezone=row.timezone)
                s.add(office)
                await s.flush()
                s.add(Queue(office_id=office.id, municipality_id=row.id, name=DEFAULT_QUEUE))
                return MunicipalityRecord(id=row.id, name=row.name)
        except IntegrityError as err:
            raise AlreadyExistsError(f"municipality {name!r} already exists") from err
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def municipality(self, name: str) -> MunicipalityRecord:
        """Look a municipality up by name or raise NotFoundError."""
        async with self.db.session() as s:
            row = await _municipality(s, name)
            return MunicipalityRecord(id=row.id, name=row.name)

    # --- caseworkers ----------------------------------------------------------------

    async def add_caseworker(
        self,
        municipality: str,
        username: str,
        display_name: str,
        password_hash: str,
        role: str = "caseworker",
    ) -> CaseworkerRecord:
        """Create a caseworker in a municipality; usernames are unique console-wide."""
        try:
            async with self.db.session() as s, s.begin():
                muni = await _municipality(s, municipality)
                row = Caseworker(
                    municipality_id=muni.id,
                    username=username,
                    display_name=display_name,
                    password_hash=password_hash,
                    session_version=1,
                    role=role,
                    active=True,
                )
                s.add(row)
                await s.flush()
                return _caseworker(row, muni)
        except IntegrityError as err:
            raise AlreadyExistsError(f"username {username!r} is already taken") from err

    async def caseworker_by_username(self, username: str) -> CaseworkerRecord | None:
        """The caseworker with this username, or None."""
        return await self._caseworker_where(Caseworker.username == username)

    async def caseworker_by_id(self, caseworker_id: int) -> CaseworkerRecord | None:
        """The caseworker with this id, or None."""
        return await self._caseworker_where(Caseworker.id == caseworker_id)

    async def _caseworker_where(self, condition: ColumnElement[bool]) -> CaseworkerRecord | None:
        async with self.db.session() as s:
            result = await s.execute(
                select(Caseworker, Municipality)
                .join(Municipality, Caseworker.municipality_id == Municipality.id)
                .where(condition)
            )
            found = result.first()
            return None if found is None else _caseworker(found[0], found[1])

    # --- terminals and enrollment ------------------------------------------------------

    async def add_terminal(
        self,
        municipality: str,
        terminal_id: str,
        name: str,
        code_hash: str,
        expires_at: datetime,
        *,
        kind: str = "stationary",
    ) -> TerminalRecord:
        """Create a terminal (in the municipality's first office) with its first enrollment code."""
        async with self.db.session() as s, s.begin():
            muni = await _municipality(s, municipality)
            office_id = await s.scalar(
                select(Office.id).where(Office.municipality_id == muni.id).order_by(Office.id)
            )
            row = Terminal(
                id=terminal_id, municipality_id=muni.id, name=name, office_id=office_id, kind=kind
            )
            s.add(row)
            await s.flush()
            s.add(
                EnrollmentCode(code_hash=code_hash, terminal_id=terminal_id, expires_at=expires_at)
            )
            return _terminal(row, muni)

    async def replace_code(
        self, terminal_id: str, code_hash: str, expires_at: datetime
    ) -> TerminalRecord:
        """Issue a new enrollment code for a terminal; its unused older codes stop working."""
        async with self.db.session() as s, s.begin():
            # The terminal's row lock: a second new code issued at once (another instance)
            # waits, then deletes this one, so only the newest code works.
            found = await _terminal_row(s, terminal_id, lock=True)
            if found is None:
                raise NotFoundError(f"no terminal with id {terminal_id!r}")
            await s.execute(
                delete(EnrollmentCode).where(
                    EnrollmentCode.terminal_id == terminal_id, EnrollmentCode.used_at.is_(None)
                )
            )
            s.add(
                EnrollmentCode(code_hash=code_hash, terminal_id=terminal_id, expires_at=expires_at)
            )
            return _terminal(*found)

    async def redeem_code(
        self, code_hash: str, now: datetime, credential_hash: str
    ) -> TerminalRecord:
        """Mark a code used and set its terminal's credential hash, atomically."""
        async with self.db.session() as s, s.begin():
            code = await s.get(EnrollmentCode, code_hash)
            if code is None:
                raise CodeInvalidError("unknown enrollment code")
            if code.used_at is not None:
                raise CodeUsedError("this enrollment code was already used")
            if code.expires_at <= now:
                raise CodeExpiredError("this enrollment code has expired; ask for a new one")
            claimed = await s.execute(
                update(EnrollmentCode)
                .where(EnrollmentCode.code_hash == code_hash, EnrollmentCode.used_at.is_(None))
                .values(used_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise CodeUsedError("this enrollment code was already used")
            await s.execute(
                update(Terminal)
                .where(Terminal.id == code.terminal_id)
                .values(credential_hash=credential_hash, enrolled_at=now)
            )
            found = await _terminal_row(s, code.terminal_id)
            assert found is not None  # the foreign key guarantees it
            return _terminal(*found)

    async def terminal(self, terminal_id: str) -> TerminalRecord | None:
        """The terminal with this id, or None."""
        async with self.db.session() as s:
            found = await _terminal_row(s, terminal_id)
            return None if found is None else _terminal(*found)

    async def terminals_of(self, municipality_id: int) -> list[TerminalRecord]:
        """The terminals of one municipality, by name."""
        try:
            async with self.db.session() as s:
                result = await s.execute(
                    select(Terminal, Municipality)
                    .join(Municipality, Terminal.municipality_id == Municipality.id)
                    .where(Terminal.municipality_id == municipality_id)
                    .order_by(Terminal.name, Terminal.id)
                )
                return [_terminal(row[0], row[1]) for row in result.all()]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err


async def _municipality(s: AsyncSession, name: str) -> Municipality:
    row = await s.scalar(select(Municipality).where(Municipality.name == name))
    if row is None:
        raise NotFoundError(f"no municipality named {name!r}")
    return row


async def _terminal_row(
    s: AsyncSession, terminal_id: str, *, lock: bool = False
) -> tuple[Terminal, Municipality] | None:
    query = (
        select(Terminal, Municipality)
        .join(Municipality, Terminal.municipality_id == Municipality.id)
        .where(Terminal.id == terminal_id)
    )
    if lock:
        query = query.with_for_update(of=Terminal)
    result = await s.execute(query)
    found = result.first()
    return None if found is None else (found[0], found[1])


def _code(code_hash: str, terminal_id: str, expires_at: datetime) -> EnrollmentCode:
    return EnrollmentCode(code_hash=code_hash, terminal_id=terminal_id, expires_at=expires_at)


def _caseworker(row: Caseworker, muni: Municipality) -> CaseworkerRecord:
    return CaseworkerRecord(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        password_hash=row.password_hash,
        session_version=row.session_version,
        municipality_id=muni.id,
        municipality_name=muni.name,
        role=row.role,
        totp_secret=row.totp_secret,
        active=row.active,
        language=row.language,
    )


def _terminal(row: Terminal, muni: Municipality) -> TerminalRecord:
    return TerminalRecord(
        id=row.id,
        name=row.name,
        municipality_id=muni.id,
        municipality_name=muni.name,
        credential_hash=row.credential_hash,
        enrolled_at=row.enrolled_at,
        last_seen=row.last_seen,
        office_id=row.office_id,
        last_ip=row.last_ip,
        software=row.software,
        kind=row.kind,
    )
