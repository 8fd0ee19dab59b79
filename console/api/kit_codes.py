"""``POST /api/v1/kit-codes``: a one-time code for signing in on a mobile kit.

A caseworker (any staff role) creates it at their console page ("code for a mobile kit")
and types it on the kit at the outpost, instead of their password and TOTP on a
touchscreen in public. It is 8 digits, valid 10 minutes, used once, only on a kit of the
caseworker's municipality, and shown in this answer only: the console keeps its hash
(:mod:`console.kits`). A new code replaces the caseworker's unused older one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from quart import Blueprint, Response

from console.api.jsonio import actor, reply
from console.api.openapi import operation
from console.authz import require
from console.kits import Kits
from console.roles import Role
from console.services import services

bp = Blueprint("api_kit_codes", __name__)
PATH = "/api/v1/kit-codes"


class KitCodeCreated(msgspec.Struct):
    """The code, shown once, and when it stops working."""

    code: str
    expires_at: datetime


@bp.post(PATH)
async def create_kit_code() -> Response:
    """A fresh code for the signed-in person (their older unused one stops working)."""
    who = await require(Role.CASEWORKER)
    svc = services()
    kits = Kits(svc.store, svc.passwords, svc.login_throttle, svc.audit)
    code, expires = await kits.new_code(who.caseworker_id)
    svc.audit.record(who.municipality_id, actor(who), "kit.code_created", "caseworker",
                     str(who.caseworker_id))  # fmt: skip
    return reply(KitCodeCreated(code, datetime.fromtimestamp(expires, UTC)), 201)


OPENAPI: dict[str, Any] = {
    "paths": {
        PATH: {
            "post": operation(
                "A one-time code for signing in on a mobile kit (8 digits, 10 minutes)",
                role="caseworker", tag="kits", ok=KitCodeCreated, status=201,
            ),
        },
    },
    "schemas": {"KitCodeCreated": KitCodeCreated},
}  # fmt: skip
