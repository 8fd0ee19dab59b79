"""Who takes part in calls: the connection interface, identities and the call record.

Split out of :mod:`console.hub` so the modules around the hub (office status, chat,
callbacks) can name these types without importing the router itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from protocol.messages import Message

if TYPE_CHECKING:
    from console.directory import QueueSpec


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
    office_id: int | None = None
    """The office the terminal was stored in at sign-in (the directory may know better)."""
    kind: str = "stationary"
    """``stationary`` (a citizen presses the button) or ``mobile`` (a staff kit: calls only
    while a staff member is signed in on it, console/kits.py). Set by an admin, never by
    the terminal's own claim."""

    @property
    def mobile(self) -> bool:
        """Whether an admin enrolled this terminal as a mobile kit (the one test of that)."""
        return self.kind == "mobile"


@dataclass(frozen=True)
class CaseworkerIdentity:
    """An authenticated caseworker."""

    caseworker_id: int
    display_name: str
    municipality_id: int
    municipality_name: str


@dataclass(eq=False)
class Call:
    """A call from queueing until it ends; answered once ``caseworker`` is set.

    Between answers (after a transfer) ``caseworker`` is None again and the call either
    waits in ``queue`` or rings at ``transfer_to`` only.
    """

    call_id: str
    terminal: TerminalIdentity
    since: float
    caseworker: CaseworkerIdentity | None = None
    caseworker_conn: Connection | None = None
    language: str | None = None
    """The kiosk language the citizen chose (``call.request``)."""
    office_id: int | None = None
    queue: QueueSpec | None = None
    """The queue it waits in, or last waited in."""
    queued_at: float = 0.0
    """When it last entered a queue: the answer limit counts from here."""
    transferred_by: str | None = None
    """Display name of the caseworker who last handed it on."""
    transfer_to: int | None = None
    """A colleague the call rings at exclusively (transfer), until answered or declined."""
    offers: dict[int, float] = field(default_factory=dict)
    """Caseworker id -> when the offer rings out."""
    tried: set[int] = field(default_factory=set)
    """Caseworkers who declined or let it ring out in this round of offers."""
    pause_until: float = 0.0
    """After a round where everyone was tried, no offers until then."""
    answers: int = 0
    staff: str | None = None
    """(mobile kit) The staff member on site who placed the call (their display name)."""
    away_since: float | None = None
    """When its terminal's socket was lost while it waited (Hub.hold_waiting_s): it keeps its
    place but is not offered until the terminal is back; None while the terminal is here."""
