"""``GET /api/v1/terminals``: the caseworker's view of their municipality's terminals.

Each terminal with its name, whether it is connected, when it was last heard from, its
software and the health of its parts as it last reported them (``camera``, ``printer``,
``card_reader``: ``missing``, ``ok`` or the inserted card's type, ...). ``call_id`` names
its waiting or answered call, so the caseworker page can show the parts of the terminal
it is talking to. Parts and software live in the hub's memory: after a console restart
they come back with each terminal's next hello.

Only signed-in caseworkers (401 otherwise), and only their own municipality's terminals:
the tenant boundary is the query itself, never a filter applied afterwards.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify, session

from console.routes.enroll import api_error
from console.services import services
from console.sessions import signed_in

bp = Blueprint("terminals", __name__)


@bp.get("/api/v1/terminals")
async def list_terminals() -> tuple[Response, int]:
    """The signed-in caseworker's municipality's terminals with their parts."""
    svc = services()
    record = await signed_in(svc.store, session)
    if record is None:
        return api_error(401, "unauthorized", "sign in first")
    hub = svc.hub
    out: list[dict[str, Any]] = []
    for terminal in await svc.store.terminals_of(record.municipality_id):
        seen = svc.presence.last_seen(terminal.id)
        stored = None if terminal.last_seen is None else terminal.last_seen.timestamp()
        last_seen = max((t for t in (seen, stored) if t is not None), default=None)
        out.append(
            {
                "terminal_id": terminal.id,
                "name": terminal.name,
                "online": hub.online(terminal.id),
                "last_seen": last_seen,
                "software": hub.software(terminal.id),
                "parts": hub.parts(terminal.id),
                "call_id": hub.live_call_id(terminal.id),
            }
        )
    response = jsonify({"terminals": out})
    response.headers["Cache-Control"] = "no-store"
    return response, 200
