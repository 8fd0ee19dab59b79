"""Who takes part in calls: the connection interface, identities and the call record.

Split out of :mod:`console.hub` so the modules around the hub (office status, chat,
callbacks) can name these types without importing the router itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from protocol.messages import Message


class Connection(Protocol):
    """An outgoing side of a socket; both methods must return without waiting."""

    def send(self, message: Message) -> None:
        """Queue a message for sending."""

    def close(self, code: int, reason: str = "") -> None:
        """Queue a close with the given WebSocket close code."""


@dataclass(frozen=True)
class TerminalIdentity:
    """An authenticated terminal."""

    terminal_id: str
    name: str
    municipality_id: int
    municipality_name: str


@dataclass(frozen=True)
class CaseworkerIdentity:
    """An authenticated caseworker."""

    caseworker_id: int
    display_name: str
    municipality_id: int
    municipality_name: str


@dataclass
class Call:
    """A call from queueing until it ends; answered once ``caseworker`` is set."""

    call_id: str
    terminal: TerminalIdentity
    since: float
    caseworker: CaseworkerIdentity | None = None
    caseworker_conn: Connection | None = None
    language: str | None = None
    """The kiosk language the citizen chose (``call.request``)."""
