"""Office hours per office: weekly spans, dated exceptions and the office's time zone.

Tables ``office_hours`` and ``office_exceptions`` of revision 0004. Kept apart from
:mod:`console.store.repository` so each file holds one concept. The tables are small (a few
spans per office, a few dozen exceptions a year), so the running console reloads all of
them once a minute (:mod:`console.office`) and whenever the admin API changes them; a
``bt-console set-hours`` in another process therefore takes effect within a minute.
Exceptions more than two days in the past are not loaded: no time zone is that far behind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import InvalidInputError, NotFoundError, StoreError
from console.hours import Schedule, Span, Special, merge_exceptions
from console.store.database import Database
from console.store.models import Municipality, Office, OfficeException, OfficeHours


@dataclass(frozen=True)
class OfficeRef:
    """An office as hour commands need it."""

    id: int
    municipality_id: int
    name: str
    timezone: str


def _special(row: OfficeException) -> Special:
    return Special(date.fromisoformat(row.day), row.opens, row.closes, row.note, row.id)


def _ref(row: Office) -> OfficeRef:
    return OfficeRef(row.id, row.municipality_id, row.name, row.timezone)


class HoursStore:
    """Reads and changes offices' weekly hours and exceptions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def office(self, office_id: int) -> OfficeRef:
        """An office by id, or NotFoundError."""
        async with self.db.session() as s:
            row = await s.get(Office, office_id)
            if row is None:
                raise NotFoundError(f"no office with id {office_id}")
            return _ref(row)

    async def find_office(self, office: str | None, municipality: str | None) -> OfficeRef:
        """An office by id or name (within ``municipality``), or a municipality's only office."""
        query = select(Office).join(Municipality, Municipality.id == Office.municipality_id)
        if municipality is not None:
            query = query.where(Municipality.name == municipality)
        if office is not None:
            by = Office.id == int(office) if office.isdigit() else Office.name == office
            query = query.where(by)
        elif municipality is None:
            raise InvalidInputError("name an office (--office) or a municipality (--municipality)")
        async with self.db.session() as s:
            rows = list(await s.scalars(query.order_by(Office.id)))
        if not rows:
            what = f"office {office!r}" if office is not None else "office"
            where = f" in municipality {municipality!r}" if municipality is not None else ""
            raise NotFoundError(f"no {what}{where}")
        if len(rows) > 1:
            names = ", ".join(f"{r.id} {r.name}" for r in rows)
            raise InvalidInputError(f"several offices match ({names}); name one with --office ID")
        return _ref(rows[0])

    async def set_week(
        self, office_id: int, spans: tuple[Span, ...], timezone: str | None = None
    ) -> Schedule:
        """Replace an office's week (and its time zone if given), atomically."""
        try:
            async with self.db.session() as s, s.begin():
                # The office's row lock: a second instance replacing the week at once waits,
                # then deletes this week too, instead of adding its spans to it.
                row = await s.get(Office, office_id, with_for_update=True)
                if row is None:
                    raise NotFoundError(f"no office with id {office_id}")
                if timezone is not None:
                    await s.execute(
                        update(Office).where(Office.id == office_id).values(timezone=timezone)
                    )
                await s.execute(delete(OfficeHours).where(OfficeHours.office_id == office_id))
                s.add_all(
                    OfficeHours(
                        office_id=office_id, weekday=sp.weekday, opens=sp.opens, closes=sp.closes
                    )
                    for sp in spans
                )
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return await self.week(office_id)

    async def week(self, office_id: int) -> Schedule:
        """An office's schedule: week, time zone, name and every stored exception."""
        try:
            async with self.db.session() as s:
                row = await s.get(Office, office_id)
                if row is None:
                    raise NotFoundError(f"no office with id {office_id}")
                hours = await s.scalars(
                    select(OfficeHours).where(OfficeHours.office_id == office_id)
                )
                spans = tuple(sorted(Span(r.weekday, r.opens, r.closes) for r in hours))
                return Schedule(row.timezone, spans, await self._exceptions(s, office_id), row.name)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    @staticmethod
    async def _exceptions(s: AsyncSession, office_id: int) -> tuple[Special, ...]:
        rows = await s.scalars(
            select(OfficeException).where(OfficeException.office_id == office_id)
        )
        return tuple(sorted((_special(r) for r in rows), key=Special.sort_key))

    async def add_exceptions(self, office_id: int, specials: list[Special]) -> list[Special]:
        """Store a holiday or a day's special hours; refused if it conflicts with stored ones."""
        try:
            async with self.db.session() as s, s.begin():
                # Under the office's row lock: two instances adding a holiday and special
                # hours for one day at once would each find no conflict and store both.
                if await s.get(Office, office_id, with_for_update=True) is None:
                    raise NotFoundError(f"no office with id {office_id}")
                merge_exceptions(await self._exceptions(s, office_id), specials)
                rows = [
                    OfficeException(
                        office_id=office_id,
                        day=e.day.isoformat(),
                        opens=e.opens,
                        closes=e.closes,
                        note=e.note,
                    )
                    for e in specials
                ]
                s.add_all(rows)
                await s.flush()
                return [replace(e, id=r.id) for e, r in zip(specials, rows, strict=True)]
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def remove_exception(self, office_id: int, exception_id: int) -> Special:
        """Delete one exception of the office; NotFoundError if it has no such one."""
        try:
            async with self.db.session() as s, s.begin():
                row = await s.get(OfficeException, exception_id)
                if row is None or row.office_id != office_id:
                    raise NotFoundError(f"office {office_id} has no exception {exception_id}")
                removed = _special(row)
                await s.delete(row)
                return removed
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def remove_day(self, office_id: int, day: date) -> int:
        """Delete every exception of ``day``; how many there were."""
        try:
            async with self.db.session() as s, s.begin():
                ids = list(
                    await s.scalars(
                        select(OfficeException.id).where(
                            OfficeException.office_id == office_id,
                            OfficeException.day == day.isoformat(),
                        )
                    )
                )
                await s.execute(delete(OfficeException).where(OfficeException.id.in_(ids)))
                return len(ids)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def all_weeks(self, today: date | None = None) -> dict[int, Schedule]:
        """Every office's schedule by office id (three queries, whatever the count)."""
        since = (today or datetime.now(UTC).date()) - timedelta(days=2)
        try:
            async with self.db.session() as s:
                offices = list(await s.execute(select(Office.id, Office.timezone, Office.name)))
                spans: dict[int, list[Span]] = {}
                for row in await s.scalars(select(OfficeHours)):
                    spans.setdefault(row.office_id, []).append(
                        Span(row.weekday, row.opens, row.closes)
                    )
                specials: dict[int, list[Special]] = {}
                query = select(OfficeException).where(OfficeException.day >= since.isoformat())
                for ex in await s.scalars(query):
                    specials.setdefault(ex.office_id, []).append(_special(ex))
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return {
            oid: Schedule(
                timezone=tz,
                spans=tuple(sorted(spans.get(oid, []))),
                exceptions=tuple(sorted(specials.get(oid, []), key=Special.sort_key)),
                office=name,
            )
            for oid, tz, name in offices
        }
