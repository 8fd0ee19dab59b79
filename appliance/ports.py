"""The small interfaces the coordinator talks to, so that it can be tested with fakes.

The coordinator owns the call state; everything it drives (the signaling link, the
camera leg, the kiosk screen, the LEDs) is passed in behind one of these protocols.
Real implementations live in ``link``, ``media``, ``kiosk`` and ``parts``; the unit
tests pass in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from protocol.messages import IceServer, MobileVisit, OfficeStatus, TerminalToConsole

State = Literal["idle", "queued", "in-call", "ended", "offline"]
"""The call states shown on the kiosk, by the LEDs and in /healthz (exact strings)."""

ScreenName = Literal[
    "welcome", "info", "closed", "waiting", "no-answer", "in-call", "thanks", "callback-sent",
    "offline", "staff-signin", "staff-home",
]  # fmt: skip
"""What the kiosk page shows (docs/kiosk-api.md); derived from the state and the session."""

CallbackStatus = Literal["sending", "sent", "failed"]


@dataclass(frozen=True)
class ChatLine:
    """One line of the call's text chat."""

    sender: Literal["citizen", "caseworker"]
    text: str
    at: float


@dataclass(frozen=True)
class PhotoPreview:
    """The last document photo of the call; ``number`` makes its URL change per photo."""

    number: int
    jpeg: bytes = field(repr=False)
    width: int
    height: int


@dataclass(frozen=True)
class PrintView:
    """The latest print job status of the call, for the citizen."""

    status: str
    message: str = ""


@dataclass(frozen=True)
class CallQualityView:
    """The video the camera leg sends now, fitted to the link (appliance/media/quality.py)."""

    level: str
    """``full``, ``reduced``, ``low`` or ``audio_only``."""
    width: int = 0
    height: int = 0
    fps: int = 0
    rtt_ms: int | None = None
    loss_pct: float | None = None


@dataclass(frozen=True)
class LinkCheck:
    """The link to the console as the signaling pings measure it (appliance/link_quality.py)."""

    verdict: str
    """``good``, ``fair`` or ``poor``."""
    rtt_ms: int
    loss_pct: float
    samples: int


@dataclass(frozen=True)
class Contact:
    """The office's phone number and address (terminal config), for the offline screen."""

    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class BatteryView:
    """The kit's battery for the kiosk page (only kits with a battery have one)."""

    level: int | None
    charging: bool | None
    low: bool


@dataclass(frozen=True)
class View:
    """What the citizen should see: a snapshot of the coordinator's state."""

    state: State
    caseworker: str | None = None
    position: int | None = None
    reason: str | None = None
    screen: ScreenName | None = None
    """None: the default screen of ``state`` (see :func:`default_screen`)."""
    estimated_wait_s: float | None = None
    office: OfficeStatus | None = None
    visits: tuple[MobileVisit, ...] = ()
    """The mobile office's next outpost hours (public; never home visits)."""
    battery: BatteryView | None = None
    """The kit's battery; None on a terminal without one."""
    contact: Contact = Contact()
    chat: tuple[ChatLine, ...] = ()
    photo: PhotoPreview | None = None
    print_status: PrintView | None = None
    callback: CallbackStatus | None = None
    handset: bool = False
    idle_timeout_s: float = 90.0
    queue: str | None = None
    """The service the call waits in (``call.queued``)."""
    transfer_to: str | None = None
    """While a transferred call waits: the colleague's or the queue's name."""
    transfer_kind: str | None = None
    """``caseworker`` or ``queue``."""
    reconnecting: bool = False
    """In a call whose console link was lost: the console holds the call while the terminal
    reconnects; the kiosk shows "connection lost, reconnecting" over the call."""
    profile: str = "kiosk"
    """``kiosk`` or ``mobile`` (a staff kit: appliance/staff.py)."""
    staff: StaffView | None = None
    """(mobile) The staff sign-in's state, or the signed-in staff member."""
    call_quality: CallQualityView | None = None
    """In a call whose video was lowered to fit the link; None: full quality."""
    link: LinkCheck | None = None
    """The latest check of the link to the console (shown before a call); None: not yet."""

    @property
    def shown(self) -> ScreenName:
        """The screen to show: ``screen`` or the default of the state."""
        return self.screen if self.screen is not None else default_screen(self.state)


@dataclass(frozen=True)
class StaffQueue:
    """A queue a signed-in staff member may call from the kit."""

    queue_id: int
    name: str
    office: str


@dataclass(frozen=True)
class StaffView:
    """What the staff screens show; never a password, TOTP or code."""

    name: str | None = None
    """The signed-in staff member; None: the sign-in screen."""
    role: str | None = None
    expires_at: float | None = None
    queues: tuple[StaffQueue, ...] = ()
    pending: bool = False
    """A sign-in is on its way to the console."""
    error: str | None = None
    """Why the last sign-in was refused (``staff.signin_failed`` codes, or ``offline``)."""
    retry_after_s: float | None = None
    card: str | None = None
    """The type of the card in the reader (eid, egk, girocard, unknown), while signed in."""
    printer: str | None = None
    """The printer's health (``ok``, ``missing``, ...; None: no printer configured)."""


def default_screen(state: State) -> ScreenName:
    """The screen a state shows when nothing else is said."""
    defaults: dict[State, ScreenName] = {
        "idle": "welcome", "queued": "waiting", "in-call": "in-call", "ended": "thanks",
        "offline": "offline",
    }  # fmt: skip
    return defaults[state]


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

    def request_screen_offer(
        self, ice_servers: list[IceServer], policy: Literal["all", "relay"] = "all"
    ) -> bool:
        """Ask the page for a receive-only offer (``policy``: the page's ICE transport
        policy); False if no page is connected."""
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


class CameraSwitch(Protocol):
    """Starts and stops the camera's capture: it runs only from ``continue`` to the call's end."""

    def start(self) -> None:
        """Start capturing (idempotent)."""
        ...

    def stop(self) -> None:
        """Stop capturing and release the device; may block briefly (idempotent)."""
        ...


class SelfView(Protocol):
    """The citizen's own picture for the kiosk page, fed by the call's video track."""

    def open(self) -> None:
        """A call is active: serve the picture."""
        ...

    def close(self) -> None:
        """The call is over: end every stream and drop the last picture."""
        ...
