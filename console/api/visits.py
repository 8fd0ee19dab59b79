"""``/api/v1/visits/...``: the mobile office's schedule.

- ``/api/v1/visits/outposts``: public consultation hours at outposts (village hall, shop):
  date, local times in the running office's time zone, place, address, optional queue and
  note. Every change sends the municipality's terminals their new ``mobile`` message
  (console/mobile_office.py), so the welcome screens show the next visit at once.
- ``/api/v1/visits/home``: home-visit appointments. Personal data: a time, a duration, a
  short place, the staff member and a status, nothing more; deleted by the retention job
  ``home_visit_retention_days`` after the visit; never sent to a terminal.

Supervisors and admins change, caseworkers read; another municipality's entries answer 404.
Every change is audited (without the place of a home visit: the audit log outlives it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType
from quart import Blueprint, Response

from console import mobile_office
from console.api.jsonio import actor, body, changed, no_content, reply
from console.api.openapi import MAX_ID, operation, path_param
from console.authz import require
from console.errors import InvalidInputError
from console.roles import Role
from console.services import services
from console.store.visits import (
    MAX_ADDRESS_CHARS,
    MAX_HOME_PLACE_CHARS,
    MAX_NOTE_CHARS,
    MAX_PLACE_CHARS,
    HomeVisit,
    Outpost,
    VisitStatus,
    VisitStore,
)

bp = Blueprint("api_visits", __name__)
OUTPOSTS = "/api/v1/visits/outposts"
HOME = "/api/v1/visits/home"
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""One line of text: no control characters (the kiosk shows it as one line)."""

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Day = Annotated[
    str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="local date YYYY-MM-DD")
]
Time = Annotated[
    str, msgspec.Meta(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", description="local HH:MM")
]
_LINE = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"
"""One line with at least one character that is not blank."""
Place = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PLACE_CHARS, pattern=_LINE)]
Address = Annotated[str, msgspec.Meta(max_length=MAX_ADDRESS_CHARS, pattern=_PRINTABLE)]
Note = Annotated[str, msgspec.Meta(max_length=MAX_NOTE_CHARS, pattern=_PRINTABLE)]
HomePlace = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=MAX_HOME_PLACE_CHARS,
        pattern=_LINE,
        description='as little as the staff need, e.g. "Oberdorf, Lindenweg"; no names',
    ),
]  # fmt: skip
When = Annotated[datetime, msgspec.Meta(tz=True, description="date and time with offset")]
Minutes = Annotated[int, msgspec.Meta(ge=5, le=720)]
FIRST_YEAR, LAST_YEAR = 2000, 2199
"""Dates outside these years are typing errors (and year 1 cannot move to UTC)."""


class OutpostIn(msgspec.Struct, forbid_unknown_fields=True):
    """New outpost consultation hours."""

    office_id: Id
    day: Day
    starts: Time
    ends: Time
    place: Place
    address: Address = ""
    queue_id: Id | None = None
    note: Note = ""


class OutpostList(msgspec.Struct):
    """The municipality's outpost hours by date."""

    outposts: list[Outpost]


class HomeVisitIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new home visit."""

    at: When
    place: HomePlace
    minutes: Minutes = 60
    caseworker_id: Id | None = None
    status: VisitStatus = "planned"


class HomeVisitPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; omitted ones stay (``caseworker_id`` null: unassigned)."""

    at: When | UnsetType = UNSET
    place: HomePlace | UnsetType = UNSET
    minutes: Minutes | UnsetType = UNSET
    caseworker_id: Id | UnsetType | None = UNSET
    status: VisitStatus | UnsetType = UNSET


class HomeVisitList(msgspec.Struct):
    """The municipality's home visits by time."""

    home_visits: list[HomeVisit]


def check_day(text: str) -> date:
    """A real calendar date within the accepted years."""
    try:
        day = date.fromisoformat(text)
    except ValueError as err:
        raise InvalidInputError(f"day: not a date ({text!r})") from err
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInputError(f"day: must be within {FIRST_YEAR}-{LAST_YEAR}")
    return day


def check_when(at: datetime) -> datetime:
    """The time in UTC, if within the accepted years."""
    if not FIRST_YEAR <= at.year <= LAST_YEAR:
        raise InvalidInputError(f"at: must be within {FIRST_YEAR}-{LAST_YEAR}")
    return at.astimezone(UTC)


def _text(value: str) -> str:
    return " ".join(value.split())


@bp.get(OUTPOSTS)
async def list_outposts() -> Response:
    """Every outpost consultation of the municipality."""
    who = await require(Role.CASEWORKER)
    return reply(OutpostList(await VisitStore(services().store.db).outposts(who.municipality_id)))


@bp.post(OUTPOSTS)
async def add_outpost() -> Response:
    """Add outpost hours and tell the municipality's terminals."""
    who = await require(Role.SUPERVISOR)
    new = await body(OutpostIn)
    day = check_day(new.day)
    if new.starts == "24:00" or new.starts >= new.ends:
        raise InvalidInputError("starts must be before ends")
    svc = services()
    added = await VisitStore(svc.store.db).add_outpost(
        who.municipality_id, office_id=new.office_id, queue_id=new.queue_id, day=day,
        starts=new.starts, ends=new.ends, place=_text(new.place), address=_text(new.address),
        note=_text(new.note),
    )  # fmt: skip
    svc.audit.record(
        who.municipality_id, actor(who), "visits.outpost_add", "outpost", str(added.id),
        day=added.day, office_id=added.office_id,
    )  # fmt: skip
    await mobile_office.publish(svc, who.municipality_id, svc.hub.office.clock())
    return reply(added, 201)


@bp.delete(OUTPOSTS + "/<id:outpost_id>")
async def remove_outpost(outpost_id: int) -> Response:
    """Remove outpost hours and tell the municipality's terminals."""
    who = await require(Role.SUPERVISOR)
    svc = services()
    removed = await VisitStore(svc.store.db).remove_outpost(who.municipality_id, outpost_id)
    svc.audit.record(
        who.municipality_id, actor(who), "visits.outpost_remove", "outpost", str(outpost_id),
        day=removed.day,
    )  # fmt: skip
    await mobile_office.publish(svc, who.municipality_id, svc.hub.office.clock())
    return no_content()


@bp.get(HOME)
async def list_home_visits() -> Response:
    """Every home visit of the municipality (past ones until the retention job deletes them)."""
    who = await require(Role.CASEWORKER)
    found = await VisitStore(services().store.db).home_visits(who.municipality_id)
    return reply(HomeVisitList(found))


@bp.post(HOME)
async def add_home_visit() -> Response:
    """Add a home visit."""
    who = await require(Role.SUPERVISOR)
    new = await body(HomeVisitIn)
    svc = services()
    added = await VisitStore(svc.store.db).add_home_visit(
        who.municipality_id, at=check_when(new.at), minutes=new.minutes,
        place=_text(new.place), caseworker_id=new.caseworker_id, status=new.status,
    )  # fmt: skip
    svc.audit.record(
        who.municipality_id, actor(who), "visits.home_add", "home_visit", str(added.id)
    )
    return reply(added, 201)


@bp.patch(HOME + "/<id:visit_id>")
async def change_home_visit(visit_id: int) -> Response:
    """Change a home visit (time, place, staff, status)."""
    who = await require(Role.SUPERVISOR)
    patch = changed(await body(HomeVisitPatch))
    if "at" in patch:
        patch["at"] = check_when(patch["at"])
    if "place" in patch:
        patch["place"] = _text(patch["place"])
    svc = services()
    updated = await VisitStore(svc.store.db).update_home_visit(who.municipality_id, visit_id, patch)
    svc.audit.record(
        who.municipality_id, actor(who), "visits.home_change", "home_visit", str(visit_id),
        fields=",".join(sorted(patch)), status=updated.status,
    )  # fmt: skip
    return reply(updated)


@bp.delete(HOME + "/<id:visit_id>")
async def remove_home_visit(visit_id: int) -> Response:
    """Delete a home visit now (the retention job would later)."""
    who = await require(Role.SUPERVISOR)
    svc = services()
    await VisitStore(svc.store.db).remove_home_visit(who.municipality_id, visit_id)
    svc.audit.record(
        who.municipality_id, actor(who), "visits.home_remove", "home_visit", str(visit_id)
    )
    return no_content()


_TAG = "visits"
_OUTPOST = path_param("outpost_id")
_VISIT = path_param("visit_id")
OPENAPI: dict[str, Any] = {
    "paths": {
        OUTPOSTS: {
            "get": operation("The mobile office's outpost hours", role="caseworker", tag=_TAG,
                             ok=OutpostList),
            "post": operation(
                "Add outpost hours (the terminals show the next ones)", role="supervisor",
                tag=_TAG, body=OutpostIn, ok=Outpost, status=201, errors=[404],
            ),
        },
        OUTPOSTS + "/{outpost_id}": {
            "delete": operation("Remove outpost hours", role="supervisor", tag=_TAG,
                                status=204, params=[_OUTPOST], errors=[404]),
        },
        HOME: {
            "get": operation("The mobile office's home visits", role="caseworker", tag=_TAG,
                             ok=HomeVisitList),
            "post": operation("Add a home visit", role="supervisor", tag=_TAG,
                              body=HomeVisitIn, ok=HomeVisit, status=201, errors=[404]),
        },
        HOME + "/{visit_id}": {
            "patch": operation("Change a home visit", role="supervisor", tag=_TAG,
                               body=HomeVisitPatch, ok=HomeVisit, params=[_VISIT], errors=[404]),
            "delete": operation("Delete a home visit", role="supervisor", tag=_TAG,
                                status=204, params=[_VISIT], errors=[404]),
        },
    },
    "schemas": {
        "Outpost": Outpost, "OutpostIn": OutpostIn, "OutpostList": OutpostList,
        "HomeVisit": HomeVisit, "HomeVisitIn": HomeVisitIn, "HomeVisitPatch": HomeVisitPatch,
        "HomeVisitList": HomeVisitList,
    },
}  # fmt: skip
