"""``/api/v1/municipality``: the signed-in person's municipality, its time zone and branding.

Everyone of the municipality may read it (pages show its colour and name); admins change
time zone, brand colour (``"#rrggbb"``) and the kiosk's welcome line. The name is
read-only. Changes are audited.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType
from quart import Blueprint, Response

from console.api.admin_offices import TimeZone, check_zone
from console.api.jsonio import actor, body, changed, reply
from console.api.openapi import operation
from console.authz import require
from console.roles import Role
from console.services import services
from console.store.admin_municipality import MunicipalityOut, MunicipalityStore

bp = Blueprint("api_municipality", __name__)
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$(?!\n)", description='"#rrggbb"')]
Welcome = Annotated[str, msgspec.Meta(max_length=500)]
PATH = "/api/v1/municipality"


class MunicipalityPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; omitted ones stay, null resets colour or welcome text."""

    timezone: TimeZone | UnsetType = UNSET
    brand_color: Color | UnsetType | None = UNSET
    welcome_text: Welcome | UnsetType | None = UNSET


@bp.get(PATH)
async def get_municipality() -> Response:
    """The municipality's settings."""
    who = await require(Role.CASEWORKER)
    return reply(await MunicipalityStore(services().store.db).get(who.municipality_id))


@bp.patch(PATH)
async def update_municipality() -> Response:
    """Change time zone and branding."""
    who = await require(Role.ADMIN)
    values = changed(await body(MunicipalityPatch))
    if "timezone" in values:
        check_zone(values["timezone"])
    if isinstance(values.get("brand_color"), str):
        values["brand_color"] = values["brand_color"].lower()
    if isinstance(values.get("welcome_text"), str):
        values["welcome_text"] = values["welcome_text"].strip() or None
    svc = services()
    settings = await MunicipalityStore(svc.store.db).update(who.municipality_id, **values)
    svc.directory_changed.set()  # terminals show the new branding within moments
    svc.audit.record(
        who.municipality_id, actor(who), "municipality.update", "municipality",
        str(who.municipality_id), fields=",".join(sorted(values)),
    )  # fmt: skip
    return reply(settings)


OPENAPI: dict[str, Any] = {
    "paths": {
        PATH: {
            "get": operation(
                "Your municipality's settings", role="caseworker", tag="municipality",
                ok=MunicipalityOut,
            ),
            "patch": operation(
                "Change time zone and branding", role="admin", tag="municipality",
                body=MunicipalityPatch, ok=MunicipalityOut,
            ),
        },
    },
    "schemas": {"MunicipalityPatch": MunicipalityPatch, "MunicipalityOut": MunicipalityOut},
}  # fmt: skip
