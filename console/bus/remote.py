"""A socket on another instance, as the owning instance's hub sees it.

The hub only ever calls ``send`` and ``close`` on a connection and must not wait, so a
:class:`RemoteConnection` turns each call into an envelope queued for publishing to the
instance that holds the socket; that instance hands it to its own
:class:`console.sockets.SocketConnection`. One object per remote socket, kept for the
socket's life, because the hub tells connections apart by identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from console.bus.envelope import Envelope
from console.calls import CaseworkerIdentity, TerminalIdentity
from protocol.codec import encode
from protocol.messages import Message


@dataclass(eq=False)
class RemoteConnection:
    """Implements :class:`console.calls.Connection` for a socket on ``instance``."""

    instance: str
    conn_id: str
    publish: Callable[[str, Envelope], None]
    """Queues an envelope for an instance's channel (never waits)."""
    src: str
    """This (the owning) instance."""
    terminal: TerminalIdentity | None = None
    caseworker: CaseworkerIdentity | None = None

    def send(self, message: Message) -> None:
        """Queue the message for the socket's instance."""
        env = Envelope(kind="send", src=self.src, conn=self.conn_id, msg=encode(message))
        self.publish(self.instance, env)

    def close(self, code: int, reason: str = "") -> None:
        """Ask the socket's instance to close it."""
        env = Envelope(kind="close", src=self.src, conn=self.conn_id, code=code, reason=reason)
        self.publish(self.instance, env)
