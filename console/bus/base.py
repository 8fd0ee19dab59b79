"""The interface the WebSocket routes and the app use to reach the hub.

It mirrors the hub's entry points for sockets (connect, message, disconnect) plus what
other parts send to a municipality's pages (``to_desk``), timers (``tick``), shutdown
(``close_all``) and what ``/healthz`` reports. Every method returns without waiting, like
the hub's, so a socket handler never blocks on another instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from console.calls import CaseworkerIdentity, Connection, TerminalIdentity
from protocol.messages import CaseworkerToConsole, Message, TerminalToConsole


class Bus(Protocol):
    """Carries a socket's messages to the hub that owns the calls, wherever it runs."""

    on_directory_changed: Callable[[], None]
    """Called on the owner when another instance's admin changed offices, queues,
    memberships or terminals (the app then reloads its routing directory)."""

    def connect_terminal(
        self,
        who: TerminalIdentity,
        conn: Connection,
        parts: dict[str, str],
        software: str,
        resume: str | None = None,
    ) -> None:
        """A terminal said hello on a socket of this instance (``resume``: the answered call
        it was in when its previous socket was lost)."""

    def from_terminal(self, terminal_id: str, conn: Connection, msg: TerminalToConsole) -> None:
        """One message of a welcomed terminal."""

    def disconnect_terminal(self, terminal_id: str, conn: Connection) -> None:
        """A terminal's socket on this instance is gone."""

    def connect_caseworker(self, who: CaseworkerIdentity, conn: Connection) -> None:
        """A caseworker page said hello on a socket of this instance."""

    def from_caseworker(self, conn: Connection, msg: CaseworkerToConsole) -> None:
        """One message of a welcomed caseworker page."""

    def disconnect_caseworker(self, conn: Connection) -> None:
        """A caseworker page's socket on this instance is gone."""

    def to_desk(self, municipality_id: int, message: Message) -> None:
        """Send a message to every page of a municipality, on whichever instance."""

    def directory_changed(self) -> None:
        """An admin changed the directory here: the owner reloads it too."""

    def tick(self, now: float) -> None:
        """Run the hub's timers if this instance owns the calls (console/routing.py)."""

    def close_all(self, code: int) -> None:
        """Close every socket of this instance (shutdown)."""

    def owner_url(self) -> str | None:
        """Where to pass HTTP requests that need the hub (console/bus/http.py); None: here."""

    def health(self) -> dict[str, object]:
        """What /healthz reports under ``bus`` (nothing for the local bus); ``"ok": False``
        marks the instance degraded."""

    async def run(self) -> None:
        """Background work (leases, subscriptions) until cancelled."""
