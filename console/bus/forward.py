"""The Redis bus's socket side: what this instance's sockets send goes to the owner.

A mixin over :class:`console.bus.owner.Owner`: when this instance owns the calls a socket's
hello, messages and departure go straight into the hub, as with the local bus; otherwise
they become envelopes queued for the owner's channel, or held (in order, up to
:data:`MAX_HELD`) while no owner is known: the owner was just killed and its lease has not
lapsed yet, or Redis is away. The held envelopes follow the hellos of all local sockets to
the next owner (console/bus/redis.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque

from console.bus.envelope import Envelope
from console.bus.owner import Owner
from console.calls import CaseworkerIdentity, Connection, TerminalIdentity
from console.hub import Hub
from protocol.codec import encode
from protocol.messages import CaseworkerToConsole, Message, TerminalToConsole

log = logging.getLogger(__name__)

MAX_HELD = 10_000
"""Messages kept while no owner is reachable; beyond this the oldest are dropped (logged)."""


class Forwarder(Owner):
    """Implements the socket half of :class:`console.bus.Bus` by forwarding to the owner."""

    def __init__(self, hub: Hub, instance: str) -> None:
        super().__init__(hub, instance)
        self.owner: str | None = None
        """The instance holding the lease, as far as we know (None: none reachable)."""
        self._seq = itertools.count(1)
        self._outbox: deque[tuple[str, Envelope]] = deque()
        self._wake_out = asyncio.Event()
        self._held: deque[Envelope] = deque()
        self._dirty = asyncio.Event()
        self._handover = Envelope(kind="handover", src=instance)
        """Calls and presence to give the next owner after we lost the lease."""

    # --- the Bus interface: sockets of this instance -------------------------------------------

    def connect_terminal(
        self,
        who: TerminalIdentity,
        conn: Connection,
        parts: dict[str, str],
        software: str,
        resume: str | None = None,
    ) -> None:
        """Register locally, then with the hub here or on the owner."""
        sock = self._add(conn, terminal=who, parts=dict(parts), software=software, resume=resume)
        if self.is_owner:
            self.hub.connect_terminal(who, conn, parts, software, sock.conn_id, resume=resume)
            self.changed()
        else:
            self._to_owner(self._hello(sock))

    def from_terminal(self, terminal_id: str, conn: Connection, msg: TerminalToConsole) -> None:
        """To the hub here, or forwarded to the owner."""
        if self.is_owner:
            self.hub.from_terminal(terminal_id, conn, msg)
            self.changed()
        elif (conn_id := self._local_of.get(conn)) is not None:
            self._to_owner(Envelope(kind="t.msg", src=self.instance, conn=conn_id, msg=encode(msg)))

    def disconnect_terminal(self, terminal_id: str, conn: Connection) -> None:
        """Forget locally; tell the hub here or on the owner."""
        conn_id = self._drop(conn)
        if self.is_owner:
            self.hub.disconnect_terminal(terminal_id, conn)
            self.changed()
        elif conn_id is not None:
            self._to_owner(Envelope(kind="t.gone", src=self.instance, conn=conn_id))

    def connect_caseworker(self, who: CaseworkerIdentity, conn: Connection) -> None:
        """Register locally, then with the hub here or on the owner."""
        sock = self._add(conn, caseworker=who)
        if self.is_owner:
            self.hub.connect_caseworker(who, conn)
            self.changed()
        else:
            self._to_owner(self._hello(sock))

    def from_caseworker(self, conn: Connection, msg: CaseworkerToConsole) -> None:
        """To the hub here, or forwarded to the owner."""
        if self.is_owner:
            self.hub.from_caseworker(conn, msg)
            self.changed()
        elif (conn_id := self._local_of.get(conn)) is not None:
            self._to_owner(Envelope(kind="c.msg", src=self.instance, conn=conn_id, msg=encode(msg)))

    def disconnect_caseworker(self, conn: Connection) -> None:
        """Forget locally; tell the hub here or on the owner."""
        conn_id = self._drop(conn)
        if self.is_owner:
            self.hub.disconnect_caseworker(conn)
            self.changed()
        elif conn_id is not None:
            self._to_owner(Envelope(kind="c.gone", src=self.instance, conn=conn_id))

    def to_desk(self, municipality_id: int, message: Message) -> None:
        """To the municipality's pages, through the owner's hub (it knows them all)."""
        if self.is_owner:
            self.hub.to_desk(municipality_id, message)
        else:
            env = Envelope(kind="desk", src=self.instance, municipality_id=municipality_id,
                           msg=encode(message))  # fmt: skip
            self._to_owner(env)

    def directory_changed(self) -> None:
        """Ask the owner to reload the routing directory (we are not the owner)."""
        if not self.is_owner:
            self._to_owner(Envelope(kind="reload", src=self.instance))

    def tick(self, now: float) -> None:
        """The hub's timers run on the owner only."""
        if self.is_owner:
            self.hub.tick(now)
            self.changed()

    def close_all(self, code: int) -> None:
        """Close this instance's sockets (never another instance's)."""
        for sock in list(self._local.values()):
            sock.conn.close(code, "console shutting down")

    # --- forwarding ---------------------------------------------------------------------------

    def _new_conn_id(self) -> str:
        return f"{self.instance}.{next(self._seq)}"

    def publish(self, instance: str, env: Envelope) -> None:
        """Queue an envelope for an instance's channel (the publisher task sends it)."""
        self._outbox.append((instance, env))
        if len(self._outbox) > MAX_HELD:
            self._outbox.popleft()
            log.warning("Redis unreachable for long: dropped the oldest message to send")
        self._wake_out.set()

    def _to_owner(self, env: Envelope) -> None:
        if self.owner is not None and self.owner != self.instance:
            self.publish(self.owner, env)
        else:
            self._hold(env)

    def _hold(self, env: Envelope) -> None:
        self._held.append(env)
        if len(self._held) > MAX_HELD:
            self._held.popleft()
            log.warning("no owner reachable for long: dropped the oldest held message")

    def changed(self) -> None:
        """The hub may have changed: write its waiting calls soon."""
        self._dirty.set()

    def follow(self, owner: str | None) -> None:
        """Another instance owns the calls now: register our sockets there, send what waited."""
        log.info("calls owned by instance %s", owner)
        self.owner = owner
        if owner is None or owner == self.instance:
            return
        if self._handover.calls or self._handover.presence:
            self.publish(owner, self._handover)
            self._handover = Envelope(kind="handover", src=self.instance)
        for sock in self._local.values():
            self.publish(owner, self._hello(sock))
        while self._held:
            self.publish(owner, self._held.popleft())
