"""``WS /ws/caseworker``: the console page's signaling socket.

Authenticated by the session cookie (401 without a valid session). Browsers send cookies
on cross-site WebSocket handshakes too, so the Origin header must name this host (403
otherwise): that is the CSRF protection for sockets. After ``hello`` the page gets
``welcome`` and at once the municipality's queue, the person's presence, the desk
(colleagues and queues) and each office's status (console/hub.py). The session version is
re-checked on incoming messages (at most once a second; the page pings every heartbeat),
so "sign out everywhere" closes open pages with 4401 within one heartbeat.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from quart import Blueprint, abort, session, websocket

from console.hub import CaseworkerIdentity
from console.routes.flood_gate import client_address
from console.services import Services, services
from console.sessions import signed_in, still_current
from console.sockets import SocketConnection, greet, run_socket
from console.turn import caseworker_user
from protocol.codec import ProtocolError
from protocol.messages import CallbackDone, Error, Ping, Pong

bp = Blueprint("caseworker_ws", __name__)
CLOSE_SIGNED_OUT = 4401
SESSION_CHECK_S = 1.0


def same_origin(origin: str | None, host: str) -> bool:
    """Whether an Origin header names the host the request was sent to."""
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme in {"http", "https"} and parts.netloc.lower() == host.lower()


class CaseworkerSocket:
    """Per-connection state: before and after hello."""

    def __init__(
        self,
        svc: Services,
        who: CaseworkerIdentity,
        conn: SocketConnection,
        session_version: int | None = None,
    ) -> None:
        self.svc = svc
        self.who = who
        self.conn = conn
        self.welcomed = False
        self.session_version = session_version
        self._checked = time.monotonic()

    async def _session_ended(self) -> bool:
        """Whether the person signed out everywhere (or was deactivated) since connecting."""
        now = time.monotonic()
        if self.session_version is None or now - self._checked < SESSION_CHECK_S:
            return False
        self._checked = now
        store, who = self.svc.store, self.who
        if await still_current(store, who.caseworker_id, self.session_version):
            return False
        self.conn.close(CLOSE_SIGNED_OUT, "signed out")
        return True

    async def receive(self, data: str | bytes) -> None:
        """Handle one incoming frame."""
        if await self._session_ended():
            return
        try:
            msg = self.svc.caseworker_decoder.decode(data)
        except ProtocolError as err:
            self.conn.send(Error(code=err.code, message=err.message))
            return
        if not self.welcomed:
            self._hello(msg)
            if self.welcomed:
                await self.svc.callbacks.send_list(self.conn, self.who.municipality_id)
        elif isinstance(msg, Ping):
            self.conn.send(Pong(seq=msg.seq))
        elif isinstance(msg, CallbackDone):  # the database is async; the hub is not
            await self.svc.callbacks.done(self.who, self.conn, msg)
        else:
            self.svc.bus.from_caseworker(self.conn, msg)

    def _hello(self, msg: object) -> None:
        hello = greet(
            self.conn,
            msg,
            name=self.who.display_name,
            municipality=self.who.municipality_name,
            config=self.svc.config,
            upgrade_hint="reload the page",
            ice_servers=self.svc.hub.ice_servers_for(caseworker_user(self.who.caseworker_id)),
        )
        if hello is not None:
            self.welcomed = True
            self.svc.bus.connect_caseworker(self.who, self.conn)

    def close(self) -> None:
        """Tell the hub the page is gone."""
        if self.welcomed:
            self.svc.bus.disconnect_caseworker(self.conn)


@bp.websocket("/ws/caseworker")
async def caseworker_socket() -> None:
    """Check origin and session, then serve one console page until it leaves."""
    svc = services()
    if not same_origin(websocket.headers.get("Origin"), websocket.host):
        abort(403)
    # A copy: a socket cannot set a cookie, and Quart logs an error for every session
    # changed during a WebSocket (signed_in refreshes "seen" once a minute; found by fuzzing).
    record = await signed_in(svc.store, dict(session))
    if record is None:
        abort(401)
    who = CaseworkerIdentity(
        caseworker_id=record.id,
        display_name=record.display_name,
        municipality_id=record.municipality_id,
        municipality_name=record.municipality_name,
    )
    await websocket.accept()
    conn = SocketConnection()
    socket = CaseworkerSocket(svc, who, conn, record.session_version)
    budget = svc.floods.budget(client_address())
    try:
        await run_socket(websocket, conn, socket.receive, 3 * svc.config.heartbeat_s, budget)
    finally:
        socket.close()
