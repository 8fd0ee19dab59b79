"""The mobile office's schedule: public outpost hours and private home-visit appointments.

Two tables (revision 0008_visits), kept apart because they are two kinds of data:

- ``outpost_hours``: when and where the mobile office holds consultation hours (a village
  hall, a shop), run by one of the municipality's offices and optionally one of its queues.
  Public: the terminals' welcome screens show the next ones.
- ``home_visits``: appointments at a citizen's home. Personal data, so the row holds as
  little as the visit needs (date and time, a short place such as "Oberdorf, Lindenweg",
  the staff member, a status) and no name, phone or reason; the retention job deletes it
  ``home_visit_retention_days`` after the visit. Never sent to a terminal.

The models share :class:`~console.store.models.Base`, so Alembic and ``Base.metadata`` see
them once this module is imported (console/migrations/env.py imports it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec
from sqlalchemy import Date, ForeignKey, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from console.errors import NotFoundError
from console.store.admin_common import transaction
from console.store.database import Database
from console.store.models import Base, Caseworker, Office, Queue, UTCDateTime

MAX_PLACE_CHARS = 120
MAX_ADDRESS_CHARS = 200
MAX_NOTE_CHARS = 200
MAX_HOME_PLACE_CHARS = 80
"""A home visit's place is a hint for the staff, not an address book entry."""
VisitStatus = Literal["planned", "done", "cancelled"]


class OutpostHoursRow(Base):
    """One outpost consultation: a date, local times, a place (revision 0008_visits)."""

    __tablename__ = "outpost_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    """The office whose staff run it; its time zone reads ``starts`` and ``ends``."""
    queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("queues.id", ondelete="SET NULL"), nullable=True
    )
    day: Mapped[date] = mapped_column(Date, index=True)
    starts: Mapped[str] = mapped_column(String(5))
    ends: Mapped[str] = mapped_column(String(5))
    place: Mapped[str] = mapped_column(String(MAX_PLACE_CHARS))
    address: Mapped[str] = mapped_column(String(MAX_ADDRESS_CHARS), default="")
    note: Mapped[str] = mapped_column(String(MAX_NOTE_CHARS), default="")


class HomeVisitRow(Base):
    """One home-visit appointment (revision 0008_visits); deleted after its retention."""

    __tablename__ = "home_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(MAX_HOME_PLACE_CHARS))
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="planned")


class Outpost(msgspec.Struct, frozen=True, kw_only=True):
    """Outpost consultation hours as the API shows them."""

    id: int
    office_id: int
    office: str
    queue_id: int | None
    queue: str | None
    day: str
    """Local date ``YYYY-MM-DD`` in the office's time zone."""
    starts: str
    ends: str
    place: str
    address: str
    note: str
    timezone: str


class HomeVisit(msgspec.Struct, frozen=True, kw_only=True):
    """A home-visit appointment as the API shows it."""

    id: int
    at: datetime
    minutes: int
    place: str
    caseworker_id: int | None
    staff: str | None
    """The staff member's display name; None if unassigned or since removed."""
    status: VisitStatus


class VisitStore:
    """Reads and changes a municipality's outpost hours and home visits."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- outpost hours ------------------------------------------------------------------

    async def outposts(
        self, municipality_id: int, since: date | None = None, outpost_id: int | None = None
    ) -> list[Outpost]:
        """The municipality's outpost hours by date (from ``since`` on, or the one
        ``outpost_id``, if given)."""
        query = (
            select(OutpostHoursRow, Office.name, Office.timezone, Queue.name)
            .join(Office, Office.id == OutpostHoursRow.office_id)
            .outerjoin(Queue, Queue.id == OutpostHoursRow.queue_id)
            .where(OutpostHoursRow.municipality_id == municipality_id)
            .order_by(OutpostHoursRow.day, OutpostHoursRow.starts, OutpostHoursRow.id)
        )
        if since is not None:
            query = query.where(OutpostHoursRow.day >= since)
        if outpost_id is not None:
            query = query.where(OutpostHoursRow.id == outpost_id)
        async with transaction(self._db) as s:
            rows = (await s.execute(query)).all()
        return [_outpost(row, office, zone, queue) for row, office, zone, queue in rows]

    async def add_outpost(
        self,
        municipality_id: int,
        *,
        office_id: int,
        queue_id: int | None,
        day: date,
        starts: str,
        ends: str,
        place: str,
        address: str,
        note: str,
    ) -> Outpost:
        """Store new outpost hours; the office (and queue) must belong to the municipality."""
        async with transaction(self._db) as s:
            office = await s.get(Office, office_id)
            if office is None or office.municipality_id != municipality_id:
                raise NotFoundError("office_id: no such office")
            queue_name = None
            if queue_id is not None:
                queue = await s.get(Queue, queue_id)
                if queue is None or queue.office_id != office_id:
                    raise NotFoundError("queue_id: no such queue in this office")
                queue_name = queue.name
            row = OutpostHoursRow(
                municipality_id=municipality_id, office_id=office_id, queue_id=queue_id,
                day=day, starts=starts, ends=ends, place=place, address=address, note=note,
            )  # fmt: skip
            s.add(row)
            await s.flush()
            return _outpost(row, office.name, office.timezone, queue_name)

    async def remove_outpost(self, municipality_id: int, outpost_id: int) -> Outpost:
        """Delete outpost hours; another municipality's answer 404."""
        found = await self.outposts(municipality_id, outpost_id=outpost_id)
        async with transaction(self._db) as s:
            result = await s.execute(
                delete(OutpostHoursRow).where(
                    OutpostHoursRow.id == outpost_id,
                    OutpostHoursRow.municipality_id == municipality_id,
                )
            )
        if not found or not getattr(result, "rowcount", 0):
            raise NotFoundError("no such outpost hours")
        return found[0]

    # --- home visits --------------------------------------------------------------------

    async def home_visits(self, municipality_id: int) -> list[HomeVisit]:
        """The municipality's home visits by time."""
        async with transaction(self._db) as s:
            rows = (
                await s.execute(
                    select(HomeVisitRow, Caseworker.display_name)
                    .outerjoin(Caseworker, Caseworker.id == HomeVisitRow.caseworker_id)
                    .where(HomeVisitRow.municipality_id == municipality_id)
                    .order_by(HomeVisitRow.at, HomeVisitRow.id)
                )
            ).all()
        return [_home(row, staff) for row, staff in rows]

    async def add_home_visit(
        self,
        municipality_id: int,
        *,
        at: datetime,
        minutes: int,
        place: str,
        caseworker_id: int | None,
        status: VisitStatus = "planned",
    ) -> HomeVisit:
        """Store a home visit; the staff member must belong to the municipality."""
        async with transaction(self._db) as s:
            staff = await _staff(s, municipality_id, caseworker_id)
            row = HomeVisitRow(
                municipality_id=municipality_id, at=at, minutes=minutes, place=place,
                caseworker_id=caseworker_id, status=status,
            )  # fmt: skip
            s.add(row)
            await s.flush()
            return _home(row, staff)

    async def update_home_visit(
        self, municipality_id: int, visit_id: int, changes: dict[str, object]
    ) -> HomeVisit:
        """Change some fields of a home visit (``at``, ``minutes``, ``place``,
        ``caseworker_id``, ``status``); another municipality's answers 404."""
        async with transaction(self._db) as s:
            row = await s.get(HomeVisitRow, visit_id)
            if row is None or row.municipality_id != municipality_id:
                raise NotFoundError("no such home visit")
            if "caseworker_id" in changes:
                assigned = changes["caseworker_id"]
                await _staff(s, municipality_id, assigned if isinstance(assigned, int) else None)
            for name, value in changes.items():
                setattr(row, name, value)
            await s.flush()
            staff = await _staff(s, municipality_id, row.caseworker_id)
            return _home(row, staff)

    async def remove_home_visit(self, municipality_id: int, visit_id: int) -> None:
        """Delete a home visit; another municipality's answers 404."""
        async with transaction(self._db) as s:
            result = await s.execute(
                delete(HomeVisitRow).where(
                    HomeVisitRow.id == visit_id, HomeVisitRow.municipality_id == municipality_id
                )
            )
        if not getattr(result, "rowcount", 0):
            raise NotFoundError("no such home visit")

    async def purge_home_visits(self, before: datetime) -> int:
        """Delete every home visit (of any municipality) that took place before ``before``."""
        async with transaction(self._db) as s:
            result = await s.execute(delete(HomeVisitRow).where(HomeVisitRow.at < before))
        return int(getattr(result, "rowcount", 0) or 0)


async def _staff(s: AsyncSession, municipality_id: int, caseworker_id: int | None) -> str | None:
    """The display name of a staff member of the municipality; 404 for anyone else."""
    if caseworker_id is None:
        return None
    person = await s.get(Caseworker, caseworker_id)
    if person is None or person.municipality_id != municipality_id:
        raise NotFoundError("caseworker_id: no such staff member")
    return person.display_name


def _outpost(row: OutpostHoursRow, office: str, zone: str, queue: str | None) -> Outpost:
    return Outpost(
        id=row.id, office_id=row.office_id, office=office, queue_id=row.queue_id, queue=queue,
        day=row.day.isoformat(), starts=row.starts, ends=row.ends, place=row.place,
        address=row.address, note=row.note, timezone=zone,
    )  # fmt: skip


def _home(row: HomeVisitRow, staff: str | None) -> HomeVisit:
    status: VisitStatus = row.status if row.status in ("done", "cancelled") else "planned"  # type: ignore[assignment]
    return HomeVisit(
        id=row.id, at=row.at, minutes=row.minutes, place=row.place,
        caseworker_id=row.caseworker_id, staff=staff, status=status,
    )  # fmt: skip
