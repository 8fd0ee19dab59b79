"""``/api/v1/offices``: a municipality's offices (town hall, branch, mobile office).

Everyone of the municipality may read them (caseworkers need them for transfer menus);
only admins change them. Every change is audited and makes the hub reload its routing
directory.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import UNSET, UnsetType
from quart import Blueprint, Response

from console.api.jsonio import Name, actor, body, changed, no_content, reply
from console.api.openapi import ID, operation, path_param
from console.authz import require
from console.errors import InvalidInputError
from console.roles import Role
from console.services import services
from console.store.admin_offices import OfficeOut, OfficeStore

bp = Blueprint("api_offices", __name__)
TimeZone = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, description="IANA zone, e.g. Europe/Berlin")
]


class OfficeNew(msgspec.Struct, forbid_unknown_fields=True):
    """A new office; it starts with one queue."""

    name: Name
    timezone: TimeZone = "Europe/Berlin"


class OfficePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; omitted ones stay."""

    name: Name | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET


class OfficeList(msgspec.Struct):
    """The municipality's offices."""

    offices: list[OfficeOut]


def check_zone(name: str) -> str:
    """``name`` if it is an IANA time zone, else 400."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise InvalidInputError(f"unknown time zone {name!r}") from err
    return name


@bp.get("/api/v1/offices")
async def list_offices() -> Response:
    """The municipality's offices."""
    who = await require(Role.CASEWORKER)
    return reply(OfficeList(await OfficeStore(services().store.db).of(who.municipality_id)))


@bp.post("/api/v1/offices")
async def create_office() -> Response:
    """Create an office (with one queue)."""
    who = await require(Role.ADMIN)
    new = await body(OfficeNew)
    svc = services()
    office = await OfficeStore(svc.store.db).create(
        who.municipality_id, new.name, check_zone(new.timezone)
    )
    svc.audit.record(who.municipality_id, actor(who), "office.create", "office", str(office.id))
    svc.directory_changed.set()
    return reply(office, 201)


@bp.get(f"/api/v1/offices/<{ID}:office_id>")
async def get_office(office_id: int) -> Response:
    """One office."""
    who = await require(Role.CASEWORKER)
    return reply(await OfficeStore(services().store.db).get(who.municipality_id, office_id))


@bp.patch(f"/api/v1/offices/<{ID}:office_id>")
async def update_office(office_id: int) -> Response:
    """Rename an office or change its time zone."""
    who = await require(Role.ADMIN)
    values = changed(await body(OfficePatch))
    if "timezone" in values:
        check_zone(values["timezone"])
    svc = services()
    office = await OfficeStore(svc.store.db).update(who.municipality_id, office_id, **values)
    svc.audit.record(
        who.municipality_id, actor(who), "office.update", "office", str(office_id),
        fields=",".join(sorted(values)),
    )  # fmt: skip
    svc.directory_changed.set()
    return reply(office)


@bp.delete(f"/api/v1/offices/<{ID}:office_id>")
async def delete_office(office_id: int) -> Response:
    """Delete an office and its queues (409 while terminals stand in it, or the last one)."""
    who = await require(Role.ADMIN)
    svc = services()
    await OfficeStore(svc.store.db).delete(who.municipality_id, office_id)
    svc.audit.record(who.municipality_id, actor(who), "office.delete", "office", str(office_id))
    svc.directory_changed.set()
    return no_content()


_ID = [path_param("office_id")]
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/offices": {
            "get": operation("List offices", role="caseworker", tag="offices", ok=OfficeList),
            "post": operation(
                "Create an office (with one queue)", role="admin", tag="offices",
                body=OfficeNew, ok=OfficeOut, status=201, errors=[409],
            ),
        },
        "/api/v1/offices/{office_id}": {
            "get": operation(
                "One office", role="caseworker", tag="offices", ok=OfficeOut, params=_ID,
                errors=[404],
            ),
            "patch": operation(
                "Change an office", role="admin", tag="offices", body=OfficePatch,
                ok=OfficeOut, params=_ID, errors=[404, 409],
            ),
            "delete": operation(
                "Delete an office and its queues", role="admin", tag="offices", status=204,
                params=_ID, errors=[404, 409],
            ),
        },
    },
    "schemas": {
        "OfficeNew": OfficeNew, "OfficePatch": OfficePatch, "OfficeList": OfficeList,
        "OfficeOut": OfficeOut,
    },
}  # fmt: skip
