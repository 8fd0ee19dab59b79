"""``WS /ws/terminal``: a terminal's signaling socket.

The handshake is refused with HTTP 401 (never accepted) unless ``Authorization: Bearer
<terminal_id>.<secret>`` matches a stored credential. The first message must be ``hello``
with our protocol version (else ``error`` unsupported_version and close 4400); then
``welcome``, pings answered with pongs, everything else handed to the hub. A message the
codec refuses is answered with ``error`` and the socket keeps working.
"""

from __future__ import annotations

import math

from quart import Blueprint, abort, websocket

from console.enroll import credential_matches, split_credential
from console.hub import TerminalIdentity
from console.mobile_office import send_at_connect
from console.routes.flood_gate import client_address
from console.routes.kit_staff import KitStaff
from console.services import Services, services
from console.sockets import MIN_IDLE_TIMEOUT_S, SocketConnection, greet, run_socket
from console.turn import terminal_user
from console.update_offer import offer_at_connect
from protocol.codec import ProtocolError
from protocol.messages import (
    PROTOCOL_VERSION,
    CallbackRequest,
    Error,
    Hello,
    Ping,
    Pong,
    StaffSignin,
    StaffSignout,
)

bp = Blueprint("terminal_ws", __name__)


async def authenticate(svc: Services, authorization: str) -> TerminalIdentity | None:
    """The terminal a Bearer credential belongs to, or None."""
    scheme, _, credential = authorization.partition(" ")
    parts = split_credential(credential.strip()) if scheme.lower() == "bearer" else None
    if parts is None:
        return None
    terminal = await svc.store.terminal(parts[0])
    if terminal is None or not credential_matches(terminal.credential_hash, parts[1]):
        return None
    return TerminalIdentity(
        terminal_id=terminal.id,
        name=terminal.name,
        municipality_id=terminal.municipality_id,
        municipality_name=terminal.municipality_name,
        office_id=terminal.office_id,
        kind=terminal.kind,
    )


class TerminalSocket:
    """Per-connection state: before and after hello."""

    def __init__(
        self,
        svc: Services,
        who: TerminalIdentity,
        conn: SocketConnection,
        remote_addr: str | None = None,
    ) -> None:
        self.svc = svc
        self.who = who
        self.conn = conn
        self.remote_addr = remote_addr
        self.welcomed = False
        self.ping_interval_s = svc.config.heartbeat_s
        """The terminal's current ping interval (faster during a call: ``ping.interval_s``)."""
        self.staff = KitStaff(svc, who, conn)
        """A mobile kit's signed-in staff member (console/routes/kit_staff.py)."""

    def idle_timeout_s(self) -> float:
        """Three of the terminal's ping intervals, at least 3 s, at most three heartbeats."""
        return max(MIN_IDLE_TIMEOUT_S, 3 * min(self.ping_interval_s, self.svc.config.heartbeat_s))

    async def receive(self, data: str | bytes) -> None:
        """Handle one incoming text or binary frame."""
        try:
            msg = self.svc.terminal_decoder.decode(data)
        except ProtocolError as err:
            self.conn.send(Error(code=err.code, message=err.message))
            return
        self.svc.presence.seen(self.who.terminal_id)  # written later, in a batch
        if not self.welcomed:
            self._hello(msg)
            if self.welcomed and isinstance(msg, Hello):
                self.svc.presence.connected(self.who.terminal_id, self.remote_addr, msg.software)
                await offer_at_connect(self.svc, self.who, self.conn, msg.software)
                await send_at_connect(self.svc, self.who, self.conn, self.svc.hub.office.clock())
                await self.staff.at_connect()
        elif isinstance(msg, Ping):
            self.conn.send(Pong(seq=msg.seq))
            interval = msg.interval_s
            if interval is not None and math.isfinite(interval) and interval > 0:
                self.ping_interval_s = interval
            elif interval is None:
                self.ping_interval_s = self.svc.config.heartbeat_s
        elif isinstance(msg, StaffSignin | StaffSignout):
            await self.staff.receive(msg)
        else:
            checked = await self.staff.gate(msg)  # a mobile kit acts only with staff signed in
            if checked is None:
                return
            if isinstance(checked, CallbackRequest):  # the database is async; the hub is not
                await self.svc.callbacks.request(self.who, self.conn, checked)
            else:
                self.svc.bus.from_terminal(self.who.terminal_id, self.conn, checked)

    def _hello(self, msg: object) -> None:
        hello = greet(
            self.conn,
            msg,
            name=self.who.name,
            municipality=self.who.municipality_name,
            config=self.svc.config,
            upgrade_hint=f"this console speaks {PROTOCOL_VERSION}",
            ice_servers=self.svc.hub.ice_servers_for(terminal_user(self.who.terminal_id)),
            call_heartbeat_s=self.svc.config.call_heartbeat_s,
            call_hold_s=self.svc.config.call_hold_s,
        )
        if hello is not None:
            self.welcomed = True
            self.svc.bus.connect_terminal(
                self.who, self.conn, hello.parts, hello.software, resume=hello.resume
            )

    def close(self) -> None:
        """Tell the hub the socket is gone."""
        if self.welcomed:
            self.svc.bus.disconnect_terminal(self.who.terminal_id, self.conn)


@bp.websocket("/ws/terminal")
async def terminal_socket() -> None:
    """Authenticate, then serve one terminal until it leaves."""
    svc = services()
    who = await authenticate(svc, websocket.headers.get("Authorization", ""))
    if who is None:
        abort(401)
    await websocket.accept()
    conn = SocketConnection()
    address = client_address()
    socket = TerminalSocket(svc, who, conn, address)
    budget = svc.floods.budget(address)
    try:
        await run_socket(websocket, conn, socket.receive, socket.idle_timeout_s, budget)
    finally:
        socket.close()
