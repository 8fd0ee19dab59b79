"""The fleet view: ``GET /api/v1/fleet`` and the ``/fleet`` page (supervisors and admins).

Every terminal of the municipality with its office, online state, last contact, software,
address and the health of its parts (console/fleet.py), and whether a call is running.
The page (web/console/templates/fleet.html, static/fleet.js) refreshes the table every
few seconds from the API; admins get a restart button per online terminal
(``POST /api/v1/terminals/<id>/restart``, console/routes/terminals.py).
"""

from __future__ import annotations

import time
from typing import Any

from quart import Blueprint, Response, g, redirect, render_template, session
from werkzeug.wrappers.response import Response as WerkzeugResponse

from console.api.jsonio import reply
from console.api.openapi import operation
from console.auth import csrf_token
from console.authz import current_principal, require
from console.fleet import Fleet, FleetEntry, PartsHealth, entry
from console.i18n import LANGUAGES
from console.roles import Role
from console.services import services
from console.store.fleet import FleetStore

bp = Blueprint("fleet", __name__)
REFRESH_S = 5
"""How often the page reloads the table: a terminal's restart shows within seconds."""


@bp.get("/api/v1/fleet")
async def fleet() -> Response:
    """The municipality's terminals with office, address, software, health and call."""
    who = await require(Role.SUPERVISOR)
    svc = services()
    rows = await FleetStore(svc.store.db).terminals(who.municipality_id)
    fresh = (svc.presence.fresh(row) for row in rows)  # connections not yet written, too
    terminals = [entry(svc.hub, row, svc.presence.last_seen(row.id)) for row in fresh]
    return reply(Fleet(now=time.time(), terminals=terminals))


@bp.get("/fleet")
async def fleet_page() -> Response | WerkzeugResponse:
    """The fleet page; signed-out visitors go to the sign-in form, caseworkers get 403."""
    who = await current_principal()
    if who is None or who.via != "session":
        return redirect("/login", 303)
    if not who.can(Role.SUPERVISOR):
        html = await render_template(
            "fleet.html", forbidden=True, municipality=who.municipality_name
        )
        return Response(html, status=403, mimetype="text/html")
    record = await services().store.caseworker_by_id(who.caseworker_id)
    if record is not None and record.language in LANGUAGES:
        g.lang = record.language  # the person's own choice, as on the console page
    html = await render_template(
        "fleet.html",
        forbidden=False,
        municipality=who.municipality_name,
        caseworker=who.display_name,
        can_restart=who.can(Role.ADMIN),
        csrf_token=csrf_token(session),
        refresh_s=REFRESH_S,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/fleet": {
            "get": operation(
                "Every terminal of the municipality: office, online, last contact, software, "
                "address, health of camera, microphone, speaker, card reader and printer, call",
                role="supervisor",
                tag="fleet",
                ok=Fleet,
            )
        }
    },
    "schemas": {"Fleet": Fleet, "FleetEntry": FleetEntry, "PartsHealth": PartsHealth},
}
