"""Admin API for office hours: an office's week and its dated exceptions.

- ``GET|PUT /api/v1/offices/<id>/hours``: the weekly spans and the office's time zone.
- ``GET|POST /api/v1/offices/<id>/exceptions``, ``DELETE .../exceptions/<id>``: holidays
  (no times: closed all day) and special hours for a date (one span per entry; several
  entries of a date add up and replace that day's weekly hours).

Admins change, supervisors and caseworkers read; another municipality's office answers 404.
Every change is audited and takes effect at once: the route reloads the schedules into the
hub, which sends the office's terminals their new status (and sets ``directory_changed``).
Bodies are msgspec Structs, so what is validated is exactly what :data:`OPENAPI` documents.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from quart import Blueprint, Response

from console import hours
from console.api.jsonio import actor, body, no_content, reply
from console.api.openapi import MAX_ID, operation, path_param
from console.authz import Principal, require, same_municipality
from console.errors import InvalidInputError, NotFoundError
from console.hours import Schedule, Span, Special
from console.roles import Role
from console.services import Services, services
from console.store.hours import OfficeRef

bp = Blueprint("hours", __name__)

Time = Annotated[str, msgspec.Meta(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7)]
Zone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Note = Annotated[str, msgspec.Meta(max_length=hours.MAX_NOTE_CHARS)]


class HoursSpan(msgspec.Struct, forbid_unknown_fields=True):
    """One weekly opening period: ISO weekday (1 = Monday), local times "HH:MM"."""

    weekday: Weekday
    opens: Time
    closes: Time


class HoursWeekBody(msgspec.Struct, forbid_unknown_fields=True):
    """The whole new week (replaces the old one; empty = always open) and optionally the zone."""

    week: Annotated[list[HoursSpan], msgspec.Meta(max_length=70)]
    timezone: Zone | None = None


class HoursWeek(msgspec.Struct):
    """An office's week, time zone and whether it is open now."""

    office_id: int
    office: str
    timezone: str
    week: list[HoursSpan]
    open: bool
    next_open: float | None
    """Seconds since the epoch; None while open (or when it never opens)."""


class HoursExceptionBody(msgspec.Struct, forbid_unknown_fields=True):
    """A holiday (no times) or one span of special hours on ``day`` (local date)."""

    day: Day
    opens: Time | None = None
    closes: Time | None = None
    note: Note = ""


class HoursException(msgspec.Struct):
    """A stored exception."""

    id: int
    day: str
    opens: str | None
    closes: str | None
    note: str


class HoursExceptionList(msgspec.Struct):
    """An office's exceptions, by date."""

    exceptions: list[HoursException]


def _week(ref_: OfficeRef, schedule: Schedule) -> HoursWeek:
    now = services().hub.office.clock()
    return HoursWeek(
        office_id=ref_.id,
        office=schedule.office,
        timezone=schedule.timezone,
        week=[HoursSpan(s.weekday, s.opens, s.closes) for s in schedule.spans],
        open=hours.is_open(schedule, now),
        next_open=hours.next_open(schedule, now),
    )


def _exception(special: Special) -> HoursException:
    return HoursException(
        special.id, special.day.isoformat(), special.opens, special.closes, special.note
    )


async def _office(office_id: int, needed: Role) -> tuple[Principal, OfficeRef]:
    who = await require(needed)
    if office_id > MAX_ID:  # larger than any row id: never sent to the database
        raise NotFoundError("not found")
    found = await services().hours.office(office_id)
    same_municipality(who, found.municipality_id)
    return who, found


async def _apply(svc: Services) -> None:
    """Let the hub and the terminals see the change now, not at the next reload."""
    svc.hub.office.set_schedules(await svc.hours.all_weeks())
    svc.hub.refresh_office()
    svc.directory_changed.set()


@bp.get("/api/v1/offices/<int:office_id>/hours")
async def get_hours(office_id: int) -> Response:
    """The office's week."""
    _, found = await _office(office_id, Role.CASEWORKER)
    return reply(_week(found, await services().hours.week(office_id)))


@bp.put("/api/v1/offices/<int:office_id>/hours")
async def put_hours(office_id: int) -> Response:
    """Replace the office's week (and its time zone if given)."""
    who, found = await _office(office_id, Role.ADMIN)
    new = await body(HoursWeekBody)
    spans = hours.check_week([Span(s.weekday, s.opens, s.closes) for s in new.week])
    if new.timezone is not None:
        hours.zone(new.timezone)
    svc = services()
    schedule = await svc.hours.set_week(office_id, spans, new.timezone)
    svc.audit.record(
        found.municipality_id,
        actor(who),
        "hours.update",
        "office",
        str(office_id),
        spans=len(spans),
        timezone=schedule.timezone,
    )
    await _apply(svc)
    return reply(_week(found, schedule))


@bp.get("/api/v1/offices/<int:office_id>/exceptions")
async def list_exceptions(office_id: int) -> Response:
    """The office's holidays and special hours."""
    await _office(office_id, Role.CASEWORKER)
    schedule = await services().hours.week(office_id)
    return reply(HoursExceptionList([_exception(e) for e in schedule.exceptions]))


@bp.post("/api/v1/offices/<int:office_id>/exceptions")
async def add_exception(office_id: int) -> Response:
    """Add a holiday or one span of special hours."""
    who, found = await _office(office_id, Role.ADMIN)
    new = await body(HoursExceptionBody)
    if (new.opens is None) != (new.closes is None):
        raise InvalidInputError("give both opens and closes (special hours) or neither (holiday)")
    times = None if new.opens is None else f"{new.opens}-{new.closes}"
    svc = services()
    (added,) = await svc.hours.add_exceptions(
        office_id, hours.parse_exception(new.day, times, new.note)
    )
    svc.audit.record(
        found.municipality_id,
        actor(who),
        "hours.exception_add",
        "office",
        str(office_id),
        exception_id=added.id,
        day=new.day,
        holiday=added.holiday,
    )
    await _apply(svc)
    return reply(_exception(added), 201)


@bp.delete("/api/v1/offices/<int:office_id>/exceptions/<int:exception_id>")
async def remove_exception(office_id: int, exception_id: int) -> Response:
    """Remove one exception."""
    who, found = await _office(office_id, Role.ADMIN)
    if exception_id > MAX_ID:
        raise NotFoundError("not found")
    svc = services()
    removed = await svc.hours.remove_exception(office_id, exception_id)
    svc.audit.record(
        found.municipality_id,
        actor(who),
        "hours.exception_remove",
        "office",
        str(office_id),
        exception_id=exception_id,
        day=removed.day.isoformat(),
    )
    await _apply(svc)
    return no_content()


_OFFICE = path_param("office_id")
_EXCEPTION = path_param("exception_id")
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/offices/{office_id}/hours": {
            "get": operation(
                "An office's weekly hours",
                role="caseworker",
                tag="hours",
                ok=HoursWeek,
                params=[_OFFICE],
                errors=[404],
            ),
            "put": operation(
                "Replace an office's weekly hours (and time zone)",
                role="admin",
                tag="hours",
                body=HoursWeekBody,
                ok=HoursWeek,
                params=[_OFFICE],
                errors=[404],
            ),
        },
        "/api/v1/offices/{office_id}/exceptions": {
            "get": operation(
                "An office's holidays and special hours",
                role="caseworker",
                tag="hours",
                ok=HoursExceptionList,
                params=[_OFFICE],
                errors=[404],
            ),
            "post": operation(
                "Add a holiday (no times) or special hours for a date",
                role="admin",
                tag="hours",
                body=HoursExceptionBody,
                ok=HoursException,
                status=201,
                params=[_OFFICE],
                errors=[404],
            ),
        },
        "/api/v1/offices/{office_id}/exceptions/{exception_id}": {
            "delete": operation(
                "Remove an exception",
                role="admin",
                tag="hours",
                status=204,
                params=[_OFFICE, _EXCEPTION],
                errors=[404],
            ),
        },
    },
    "schemas": {
        "HoursSpan": HoursSpan,
        "HoursWeekBody": HoursWeekBody,
        "HoursWeek": HoursWeek,
        "HoursExceptionBody": HoursExceptionBody,
        "HoursException": HoursException,
        "HoursExceptionList": HoursExceptionList,
    },
}
