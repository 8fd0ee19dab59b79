"""The Redis bus's bookkeeping of sockets, and the owning instance's side of envelopes.

Split from console/bus/redis.py so the I/O (lease, pub/sub, writes) and the decisions about
which socket a message belongs to can be read, and tested, apart. Every instance keeps its
own sockets here (``_local``, by a connection id unique across instances); the owner also
keeps one :class:`RemoteConnection` per socket of the other instances (``_remote``) and
applies their envelopes to its hub exactly as the local socket routes would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from console.bus.envelope import Envelope, Kind, to_caseworker, to_terminal, unpack
from console.bus.remote import RemoteConnection
from console.calls import CaseworkerIdentity, Connection, TerminalIdentity
from console.hub import Hub
from console.hub_state import SavedCall, SavedPresence
from protocol.codec import ProtocolError, caseworker_decoder, terminal_decoder

log = logging.getLogger(__name__)

DEAD_AFTER_CHECKS = 3
"""An instance whose ``alive`` key is missing at this many renewals in a row is gone."""
_from_terminal = terminal_decoder()
_from_caseworker = caseworker_decoder()


@dataclass(eq=False)
class LocalSocket:
    """A socket of this instance and what its hello said (to register it with a new owner)."""

    conn_id: str
    conn: Connection
    terminal: TerminalIdentity | None = None
    caseworker: CaseworkerIdentity | None = None
    parts: dict[str, str] = field(default_factory=dict)
    software: str = ""
    resume: str | None = None


class Owner:
    """Sockets of this instance, and the hub's side when this instance owns the calls."""

    def __init__(self, hub: Hub, instance: str) -> None:
        self.hub = hub
        self.instance = instance
        self.is_owner = False
        self.on_directory_changed: Callable[[], None] = lambda: None
        self._local: dict[str, LocalSocket] = {}
        self._local_of: dict[Connection, str] = {}
        self._remote: dict[str, RemoteConnection] = {}
        self._missing: dict[str, int] = {}

    def publish(self, instance: str, env: Envelope) -> None:
        """Queue an envelope for an instance (the Redis bus implements it)."""
        raise NotImplementedError

    def changed(self) -> None:
        """The hub may have changed (the Redis bus writes its calls)."""

    def _new_conn_id(self) -> str:
        raise NotImplementedError

    # --- this instance's sockets --------------------------------------------------------------

    def _add(self, conn: Connection, **hello: object) -> LocalSocket:
        sock = LocalSocket(self._new_conn_id(), conn, **hello)  # type: ignore[arg-type]
        self._local[sock.conn_id] = sock
        self._local_of[conn] = sock.conn_id
        return sock

    def _drop(self, conn: Connection) -> str | None:
        conn_id = self._local_of.pop(conn, None)
        if conn_id is not None:
            self._local.pop(conn_id, None)
        return conn_id

    def _hello(self, sock: LocalSocket) -> Envelope:
        kind: Kind = "t.hello" if sock.terminal is not None else "c.hello"
        return Envelope(kind=kind, src=self.instance, conn=sock.conn_id, terminal=sock.terminal,
                        caseworker=sock.caseworker, parts=sock.parts,
                        software=sock.software, resume=sock.resume)  # fmt: skip

    def _register_local(self, sock: LocalSocket) -> None:
        """Register one of our sockets with our own hub (we just became the owner)."""
        if sock.terminal is not None:
            self.hub.connect_terminal(
                sock.terminal, sock.conn, sock.parts, sock.software, sock.conn_id
            )
        elif sock.caseworker is not None:
            self.hub.connect_caseworker(sock.caseworker, sock.conn)

    # --- ownership ------------------------------------------------------------------------------

    def become_owner(
        self, records: list[SavedCall], presence: list[SavedPresence], held: list[Envelope]
    ) -> list[SavedCall]:
        """Rebuild the hub from the recorded calls and presence, then register our
        sockets and apply what they sent while no owner was reachable; return the restored
        calls."""
        self.hub.reset()
        self._remote.clear()
        self._missing.clear()
        self.is_owner = True
        self.hub.restore_presence(presence)
        self.hub.restore_calls(records)
        restored = [r for r in records if self.hub.call(r.call_id) is not None]
        log.warning("this instance owns the calls now: %d calls restored", len(restored))
        for sock in list(self._local.values()):
            self._register_local(sock)
        for env in held:
            if not env.kind.endswith(".hello"):
                self.apply(env)
        return restored

    def lose(self) -> None:
        """Another instance took the lease: forget the hub state (it is theirs now)."""
        log.warning("this instance lost the ownership of the calls")
        self.is_owner = False
        self.hub.reset()
        self._remote.clear()
        self._missing.clear()

    def link_of(self, conn: Connection) -> str:
        """The id of a socket (ours or another instance's) the hub knows as ``conn``."""
        if isinstance(conn, RemoteConnection):
            return conn.conn_id
        return self._local_of.get(conn, "")

    def remote_instances(self) -> list[str]:
        """Instances with sockets registered in our hub."""
        return sorted({conn.instance for conn in self._remote.values()})

    def drop_dead(self, alive: set[str]) -> None:
        """Treat the sockets of instances gone silent as closed."""
        for instance in self.remote_instances():
            if instance in alive:
                self._missing.pop(instance, None)
                continue
            self._missing[instance] = self._missing.get(instance, 0) + 1
            if self._missing[instance] < DEAD_AFTER_CHECKS:
                continue
            log.warning("instance %s stopped answering: its sockets are gone", instance)
            del self._missing[instance]
            for conn_id, conn in list(self._remote.items()):
                if conn.instance == instance:
                    self.apply(Envelope(kind="c.gone" if conn.caseworker else "t.gone",
                                        src=instance, conn=conn_id))  # fmt: skip

    # --- envelopes --------------------------------------------------------------------------------

    def receive(self, data: bytes | str, forward: Callable[[Envelope], None]) -> None:
        """One envelope from our channel: to a local socket, into our hub, or on to the owner."""
        try:
            env = unpack(data)
        except msgspec.MsgspecError as err:
            log.warning("dropping an unreadable envelope: %s", err)
            return
        if env.kind in ("send", "close"):
            self._deliver(env)
        elif env.kind == "reload":
            if self.is_owner:
                self.on_directory_changed()
            else:
                forward(env)
        elif env.kind == "handover":
            if self.is_owner:
                self.hub.restore_presence(env.presence)
                self.hub.restore_calls(env.calls)
                self.changed()
        elif self.is_owner:
            self.apply(env)
        else:
            forward(env)  # sent to us as the owner we no longer are

    def _deliver(self, env: Envelope) -> None:
        sock = self._local.get(env.conn)
        if sock is None:
            return  # that socket closed meanwhile
        if env.kind == "close":
            sock.conn.close(env.code, env.reason)
            return
        decoder = to_terminal if sock.terminal is not None else to_caseworker
        try:
            sock.conn.send(decoder.decode(env.msg))
        except msgspec.MsgspecError as err:
            log.warning("dropping an unreadable message for socket %s: %s", env.conn, err)

    def apply(self, env: Envelope) -> None:
        """Apply a socket's envelope to our hub (we own the calls)."""
        local = self._local.get(env.conn) if env.src == self.instance else None
        conn: Connection | None = local.conn if local is not None else self._remote.get(env.conn)
        try:
            if env.kind == "t.hello" and env.terminal is not None and conn is None:
                conn = self._remote_conn(env)
                self.hub.connect_terminal(env.terminal, conn, env.parts, env.software, env.conn,
                                          resume=env.resume)  # fmt: skip
            elif env.kind == "c.hello" and env.caseworker is not None and conn is None:
                self.hub.connect_caseworker(env.caseworker, self._remote_conn(env))
            elif env.kind == "t.msg" and conn is not None:
                terminal = local.terminal if local is not None else self._remote[env.conn].terminal
                msg = _from_terminal.decode(env.msg)
                if terminal is not None:
                    self.hub.from_terminal(terminal.terminal_id, conn, msg)
            elif env.kind == "c.msg" and conn is not None:
                self.hub.from_caseworker(conn, _from_caseworker.decode(env.msg))
            elif env.kind == "t.gone" and isinstance(conn, RemoteConnection) and conn.terminal:
                del self._remote[env.conn]
                self.hub.disconnect_terminal(conn.terminal.terminal_id, conn)
            elif env.kind == "c.gone" and isinstance(conn, RemoteConnection):
                del self._remote[env.conn]
                self.hub.disconnect_caseworker(conn)
            elif env.kind == "desk":
                self.hub.to_desk(env.municipality_id, to_caseworker.decode(env.msg))
        except (ProtocolError, msgspec.MsgspecError) as err:
            log.warning("dropping an unreadable %s from %s: %s", env.kind, env.src, err)
        self.changed()

    def _remote_conn(self, env: Envelope) -> RemoteConnection:
        conn = RemoteConnection(env.src, env.conn, self.publish, self.instance,
                                terminal=env.terminal, caseworker=env.caseworker)  # fmt: skip
        self._remote[env.conn] = conn
        return conn
