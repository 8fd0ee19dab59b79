"""``GET /api/v1/terminals`` and ``POST /api/v1/terminals/<id>/restart``.

The list is the caseworker's view of their municipality's terminals: name, whether it is
connected, when it was last heard from, its software and the health of its parts as it
last reported them (``camera``, ``printer``, ``card_reader``: ``missing``, ``ok`` or the
inserted card's type, ...). ``call_id`` names its waiting or answered call, so the
caseworker page can show the parts of the terminal it is talking to. Parts and software
live in the hub's memory: after a console restart they come back with each terminal's
next hello. Supervisors get more in ``GET /api/v1/fleet`` (console/routes/fleet.py).

Restart is for admins: the console sends ``terminal.restart`` to the connected terminal,
which restarts its daemon once no call is running; an offline terminal answers 409.
Every restart is audited. The tenant boundary is the query itself (list) or a 404 for
another municipality's terminal id (restart), never a filter applied afterwards.
"""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Blueprint, Response

from console.api.jsonio import actor, reply
from console.api.openapi import operation, path_param
from console.authz import require, same_municipality
from console.errors import ConsoleError, NotFoundError
from console.roles import Role
from console.services import services

bp = Blueprint("terminals", __name__)
RESTART_REASON = "restart requested from the console's fleet view"


class TerminalOfflineError(ConsoleError):
    """The terminal is not connected, so a command cannot reach it."""

    code = "terminal_offline"
    status = 409


class TerminalSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A terminal as the caseworker page sees it."""

    terminal_id: str
    name: str
    online: bool
    last_seen: float | None
    software: str
    parts: dict[str, str]
    call_id: str | None


class TerminalList(msgspec.Struct, frozen=True, kw_only=True):
    """The municipality's terminals."""

    terminals: list[TerminalSummary]


class RestartSent(msgspec.Struct, frozen=True, kw_only=True):
    """The restart command went out to the terminal."""

    terminal_id: str
    status: str = "sent"
    call_running: bool = False
    """True: the terminal restarts after its current call ends."""


@bp.get("/api/v1/terminals")
async def list_terminals() -> Response:
    """The municipality's terminals with their parts (any signed-in role)."""
    who = await require(Role.CASEWORKER)
    svc = services()
    hub = svc.hub
    out: list[TerminalSummary] = []
    for terminal in await svc.store.terminals_of(who.municipality_id):
        seen = svc.presence.last_seen(terminal.id)
        stored = None if terminal.last_seen is None else terminal.last_seen.timestamp()
        out.append(
            TerminalSummary(
                terminal_id=terminal.id,
                name=terminal.name,
                online=hub.online(terminal.id),
                last_seen=max((t for t in (seen, stored) if t is not None), default=None),
                software=hub.software(terminal.id),
                parts=hub.parts(terminal.id),
                call_id=hub.live_call_id(terminal.id),
            )
        )
    return reply(TerminalList(terminals=out))


@bp.post("/api/v1/terminals/<terminal_id>/restart")
async def restart_terminal(terminal_id: str) -> Response:
    """Ask a connected terminal of the admin's municipality to restart (audited)."""
    who = await require(Role.ADMIN)
    svc = services()
    terminal = await svc.store.terminal(terminal_id) if len(terminal_id) <= 64 else None
    if terminal is None:
        raise NotFoundError("no such terminal")
    same_municipality(who, terminal.municipality_id)
    if not svc.hub.restart_terminal(terminal.id, RESTART_REASON):
        raise TerminalOfflineError("the terminal is offline; it cannot be restarted from here")
    running = svc.hub.live_call_id(terminal.id) is not None
    svc.audit.record(
        who.municipality_id, actor(who), "terminal.restart", "terminal", terminal.id,
        call_running=running,
    )  # fmt: skip
    return reply(RestartSent(terminal_id=terminal.id, call_running=running), 202)


_TERMINAL = path_param("terminal_id", str)
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/terminals": {
            "get": operation(
                "The municipality's terminals with their parts (for the caseworker page)",
                role="caseworker",
                tag="fleet",
                ok=TerminalList,
            )
        },
        "/api/v1/terminals/{terminal_id}/restart": {
            "post": operation(
                "Restart a connected terminal's daemon (after its current call, if any)",
                role="admin",
                tag="fleet",
                ok=RestartSent,
                status=202,
                params=[_TERMINAL],
                errors=[404, 409],
            )
        },
    },
    "schemas": {
        "TerminalSummary": TerminalSummary,
        "TerminalList": TerminalList,
        "RestartSent": RestartSent,
    },
}
