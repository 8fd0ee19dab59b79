"""The default bus: one process, one hub, every socket handed straight to it.

Nothing crosses a process boundary, so this is exactly the behaviour the console had before
it could run as several instances; the hub's tests and the single-instance deployment use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from console.calls import CaseworkerIdentity, Connection, TerminalIdentity
from console.hub import Hub
from protocol.messages import CaseworkerToConsole, Message, TerminalToConsole


class LocalBus:
    """Implements :class:`console.bus.Bus` by calling the in-process hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.on_directory_changed: Callable[[], None] = lambda: None

    def connect_terminal(
        self,
        who: TerminalIdentity,
        conn: Connection,
        parts: dict[str, str],
        software: str,
        resume: str | None = None,
    ) -> None:
        """Register the terminal with the hub."""
        self.hub.connect_terminal(who, conn, parts, software, resume=resume)

    def from_terminal(self, terminal_id: str, conn: Connection, msg: TerminalToConsole) -> None:
        """Hand the message to the hub."""
        self.hub.from_terminal(terminal_id, conn, msg)

    def disconnect_terminal(self, terminal_id: str, conn: Connection) -> None:
        """Tell the hub the terminal left."""
        self.hub.disconnect_terminal(terminal_id, conn)

    def connect_caseworker(self, who: CaseworkerIdentity, conn: Connection) -> None:
        """Register the page with the hub."""
        self.hub.connect_caseworker(who, conn)

    def from_caseworker(self, conn: Connection, msg: CaseworkerToConsole) -> None:
        """Hand the message to the hub."""
        self.hub.from_caseworker(conn, msg)

    def disconnect_caseworker(self, conn: Connection) -> None:
        """Tell the hub the page left."""
        self.hub.disconnect_caseworker(conn)

    def to_desk(self, municipality_id: int, message: Message) -> None:
        """Send to the municipality's pages (all of them are here)."""
        self.hub.to_desk(municipality_id, message)

    def directory_changed(self) -> None:
        """Nothing to tell: this process is the owner."""

    def tick(self, now: float) -> None:
        """Run the hub's timers."""
        self.hub.tick(now)

    def close_all(self, code: int) -> None:
        """Close every socket the hub knows (they are all local)."""
        self.hub.close_all(code)

    def owner_url(self) -> str | None:
        """Always here."""
        return None

    def health(self) -> dict[str, object]:
        """Nothing to report: there is nothing to lose contact with."""
        return {}

    async def run(self) -> None:
        """Nothing runs in the background; waits until cancelled."""
        await asyncio.Event().wait()
