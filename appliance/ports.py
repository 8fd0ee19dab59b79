"""The small interfaces the coordinator talks to, so that it can be tested with fakes.

The coordinator owns the call state; everything it drives (the signaling link, the
camera leg, the kiosk screen, the LEDs) is passed in behind one of these protocols.
Real implementations live in ``link``, ``media``, ``kiosk`` and ``parts``; the unit
tests pass in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from protocol.messages import IceServer, TerminalToConsole

State = Literal["idle", "queued", "in-call", "ended", "offline"]
"""The call states shown on the kiosk, by the LEDs and in /healthz (exact strings)."""


@dataclass(frozen=True)
class View:
    """What the citizen should see: a snapshot of the coordinator's state."""

    state: State
    caseworker: str | None = None
    position: int | None = None
    reason: str | None = None


class Signaling(Protocol):
    """The link to the console as the coordinator uses it."""

    async def send(self, message: TerminalToConsole) -> bool:
        """Send one message; False if the link is down (the message is dropped)."""
        ...


class CameraLeg(Protocol):
    """The terminal's sending peer connection of one call (camera and microphone)."""

    async def offer(self) -> str:
        """Create the offer with all ICE candidates gathered and return its SDP."""
        ...

    async def apply_answer(self, sdp: str) -> None:
        """Apply the caseworker's answer."""
        ...

    async def close(self) -> None:
        """Stop sending and release the connection (idempotent)."""
        ...


LegFactory = Callable[[list[IceServer], Callable[[str], None]], CameraLeg]
"""Builds a camera leg from the call's ICE servers and an on-failed callback."""


class Screen(Protocol):
    """The kiosk page as the coordinator sees it (implemented by the kiosk bridge)."""

    def show(self, view: View) -> None:
        """Publish a new state snapshot to the page."""
        ...

    def request_screen_offer(self, ice_servers: list[IceServer]) -> bool:
        """Ask the page for a receive-only offer; False if no page is connected."""
        ...

    def deliver_screen_answer(self, sdp: str) -> None:
        """Hand the console's answer for the screen leg to the page."""
        ...

    def close_screen(self) -> None:
        """Tell the page to close its peer connection and clear the video."""
        ...


class Indicator(Protocol):
    """Something that shows the state without a screen (the button's LED ring)."""

    def show(self, state: State) -> None:
        """Switch to the pattern of ``state``."""
        ...


class CallTool(Protocol):
    """An in-call tool (document photo, printer) fed its console messages during a call.

    The coordinator stays the owner of call state: it hands a tool only messages of the
    types in ``handles`` that belong to the current call, runs them as background tasks
    so a slow camera or printer never blocks the state machine, and tells every tool
    when the call ends so it can wipe what it held for the call.
    """

    handles: tuple[type, ...]

    async def on_message(self, message: Any, call_id: str) -> None:
        """Act on one message of the current call."""
        ...

    async def on_call_end(self, call_id: str) -> None:
        """The call is over: cancel work and wipe per-call data."""
        ...
