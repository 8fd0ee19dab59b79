"""Office hours and time zones of municipalities (tables of revision 0002).

Kept apart from :mod:`console.store.repository` so each file holds one concept. The whole
table is small (a few spans per municipality), so the running console reloads all of it
once a minute (:mod:`console.office`) rather than being told about each change; a
``bt-console set-hours`` in another process therefore takes effect within a minute.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from console.errors import NotFoundError, StoreError
from console.hours import Schedule, Span
from console.store.database import Database
from console.store.models import Municipality, OpeningHours


class HoursStore:
    """Reads and replaces the weekly opening hours of municipalities."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_week(
        self, municipality: str, spans: tuple[Span, ...], timezone: str | None = None
    ) -> Schedule:
        """Replace a municipality's week (and its time zone if given), atomically."""
        try:
            async with self.db.session() as s, s.begin():
                muni = await s.scalar(select(Municipality).where(Municipality.name == municipality))
                if muni is None:
                    raise NotFoundError(f"no municipality named {municipality!r}")
                if timezone is not None:
                    await s.execute(
                        update(Municipality)
                        .where(Municipality.id == muni.id)
                        .values(timezone=timezone)
                    )
                await s.execute(delete(OpeningHours).where(OpeningHours.municipality_id == muni.id))
                s.add_all(
                    OpeningHours(
                        municipality_id=muni.id,
                        weekday=sp.weekday,
                        opens=sp.opens,
                        closes=sp.closes,
                    )
                    for sp in spans
                )
                return Schedule(timezone=timezone or muni.timezone, spans=tuple(sorted(spans)))
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err

    async def week(self, municipality: str) -> Schedule:
        """A municipality's schedule by name."""
        async with self.db.session() as s:
            muni = await s.scalar(select(Municipality).where(Municipality.name == municipality))
            if muni is None:
                raise NotFoundError(f"no municipality named {municipality!r}")
            rows = await s.scalars(
                select(OpeningHours).where(OpeningHours.municipality_id == muni.id)
            )
            spans = tuple(sorted(Span(r.weekday, r.opens, r.closes) for r in rows))
            return Schedule(timezone=muni.timezone, spans=spans)

    async def all_weeks(self) -> dict[int, Schedule]:
        """Every municipality's schedule by id (two queries, whatever the count)."""
        try:
            async with self.db.session() as s:
                zones = dict(
                    (await s.execute(select(Municipality.id, Municipality.timezone))).all()
                )
                spans: dict[int, list[Span]] = {}
                for row in await s.scalars(select(OpeningHours)):
                    spans.setdefault(row.municipality_id, []).append(
                        Span(row.weekday, row.opens, row.closes)
                    )
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return {
            mid: Schedule(timezone=tz, spans=tuple(sorted(spans.get(mid, []))))
            for mid, tz in zones.items()
        }
