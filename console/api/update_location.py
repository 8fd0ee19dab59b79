"""``/api/v1/fleet/update``: where the municipality's terminals fetch their update bundle.

Updates are RAUC bundles (signed; the terminal's keyring checks them) fetched over HTTPS
from the location an admin sets here: the URL, optionally the bundle's SHA-256, and the
version label terminals report once they run it. Setting it sends ``update.offer`` at once
to every connected terminal of the municipality not on that version (the others get it
when they next connect, after ``welcome``); the fleet view shows each terminal's reported
software, so staff watch the rollout there. Supervisors read, admins set and clear; every
change is audited. The location belongs to the signed-in person's municipality: another
municipality's is never visible, and a municipality without one answers 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from quart import Blueprint, Response

from console.api.jsonio import actor, body, no_content, reply
from console.api.openapi import operation
from console.authz import require
from console.errors import InvalidInputError, NotFoundError
from console.roles import Role
from console.services import services
from console.store.update_location import UpdateLocation, UpdateLocationStore
from console.update_offer import offer_of
from protocol.messages import MAX_UPDATE_URL_CHARS, MAX_UPDATE_VERSION_CHARS

bp = Blueprint("api_update_location", __name__)
PATH = "/api/v1/fleet/update"
AUDIT_URL_CHARS = 500
"""The audit detail keeps this much of the URL, so its JSON stays under 1000 characters."""
BundleUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=9, max_length=MAX_UPDATE_URL_CHARS, pattern=r"^https://\S+$(?!\n)",
        description="https:// URL of the RAUC bundle",
    ),
]  # fmt: skip
Sha256 = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{64}$(?!\n)", description="64 hex digits")
]
Version = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=MAX_UPDATE_VERSION_CHARS,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._+~:/-]*$(?!\n)",
        description='the software version terminals report once they run it, e.g. "0.2.0"',
    ),
]  # fmt: skip


class UpdateLocationIn(msgspec.Struct, forbid_unknown_fields=True):
    """The bundle to offer; ``sha256`` null or omitted if unknown."""

    url: BundleUrl
    version: Version
    sha256: Sha256 | None = None


class UpdateLocationSet(msgspec.Struct, frozen=True, kw_only=True):
    """The stored location and the connected terminals it was offered to just now."""

    location: UpdateLocation
    offered_to: list[str]


def check_url(url: str) -> str:
    """The URL if it is a plain https URL with a host (no credentials, no fragment)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError as err:
        raise InvalidInputError(f"url: not a valid URL ({err})") from err
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInputError("url: must be an https:// URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError("url: must not contain a user name or password")
    if parts.fragment or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise InvalidInputError("url: must not contain a fragment, spaces or control characters")
    if port == 0:
        raise InvalidInputError("url: port 0 is not a port")
    return url


@bp.get(PATH)
async def get_location() -> Response:
    """The municipality's update location; 404 if none is set."""
    who = await require(Role.SUPERVISOR)
    found = await UpdateLocationStore(services().store.db).get(who.municipality_id)
    if found is None:
        raise NotFoundError("no update location is set for this municipality")
    return reply(found)


@bp.put(PATH)
async def set_location() -> Response:
    """Set the update location and offer it to connected terminals not on that version."""
    who = await require(Role.ADMIN)
    new = await body(UpdateLocationIn)
    url = check_url(new.url)
    sha256 = None if new.sha256 is None else new.sha256.lower()
    svc = services()
    location = await UpdateLocationStore(svc.store.db).put(
        who.municipality_id, url=url, sha256=sha256, version=new.version,
        set_at=datetime.now(UTC), set_by=who.display_name,
    )  # fmt: skip
    offered = svc.hub.offer_update(who.municipality_id, offer_of(location))
    svc.audit.record(
        who.municipality_id, actor(who), "update.set", "municipality", str(who.municipality_id),
        version=location.version, sha256=sha256 is not None, offered=len(offered),
        url=url[:AUDIT_URL_CHARS],
    )  # fmt: skip
    return reply(UpdateLocationSet(location=location, offered_to=offered))


@bp.delete(PATH)
async def clear_location() -> Response:
    """Stop offering updates; terminals keep what they run. 404 if none was set."""
    who = await require(Role.ADMIN)
    svc = services()
    if not await UpdateLocationStore(svc.store.db).delete(who.municipality_id):
        raise NotFoundError("no update location is set for this municipality")
    svc.audit.record(
        who.municipality_id, actor(who), "update.clear", "municipality", str(who.municipality_id)
    )
    return no_content()


_TAG = "fleet"
OPENAPI: dict[str, Any] = {
    "paths": {
        PATH: {
            "get": operation(
                "Where the municipality's terminals fetch their update bundle", role="supervisor",
                tag=_TAG, ok=UpdateLocation, errors=[404],
            ),
            "put": operation(
                "Set the update bundle location and offer it to terminals not on its version",
                role="admin", tag=_TAG, body=UpdateLocationIn, ok=UpdateLocationSet,
            ),
            "delete": operation(
                "Stop offering updates", role="admin", tag=_TAG, status=204, errors=[404],
            ),
        },
    },
    "schemas": {
        "UpdateLocation": UpdateLocation, "UpdateLocationIn": UpdateLocationIn,
        "UpdateLocationSet": UpdateLocationSet,
    },
}  # fmt: skip
