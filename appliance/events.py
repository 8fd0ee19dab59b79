"""The events the coordinator consumes, one small frozen class each.

Parts, the link, the media legs and the kiosk page never change state themselves:
they post one of these into the coordinator's queue, and the coordinator handles
them one at a time. Keeping them plain data makes the state machine testable with
no network, no GPIO and no browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol.messages import CardType, ConsoleToTerminal, Welcome


@dataclass(frozen=True)
class CallPressed:
    """The citizen asked for a call (arcade button or the touch button)."""

    source: str = "button"


@dataclass(frozen=True)
class HangupPressed:
    """The citizen wants to stop: cancel a waiting call or hang up (hold or touch)."""

    source: str = "button"


@dataclass(frozen=True)
class LinkUp:
    """The console answered hello with welcome."""

    welcome: Welcome


@dataclass(frozen=True)
class LinkDown:
    """The signaling link was lost; ``reason`` is for logs and the kiosk."""

    reason: str


@dataclass(frozen=True)
class LinkMessage:
    """A decoded message from the console (other than welcome and pong)."""

    message: ConsoleToTerminal


@dataclass(frozen=True)
class CameraOfferReady:
    """The camera leg of call ``call_id`` has its SDP offer ready."""

    call_id: str
    sdp: str


@dataclass(frozen=True)
class ScreenOffer:
    """The kiosk page posted its receive-only offer for the screen leg."""

    sdp: str


@dataclass(frozen=True)
class ScreenStats:
    """The kiosk page reported how many remote video frames it has decoded."""

    frames_decoded: int


@dataclass(frozen=True)
class MediaFailed:
    """A media leg of call ``call_id`` broke (ICE/DTLS failed, offer failed)."""

    call_id: str
    detail: str


@dataclass(frozen=True)
class ContinuePressed:
    """The citizen read the information screen and continues: request the call."""

    language: str | None = None
    source: str = "kiosk"
    queue_id: int | None = None
    """The service chosen on the information screen; None: the office's first."""


@dataclass(frozen=True)
class KeepWaiting:
    """On ``no-answer`` the citizen chose to keep waiting."""


@dataclass(frozen=True)
class CallbackRequested:
    """The citizen filled in the callback form (validated by the kiosk app)."""

    name: str
    phone: str
    language: str | None = None
    reason: str = "other"


@dataclass(frozen=True)
class ChatTyped:
    """The citizen sent a chat line in the current call."""

    text: str


@dataclass(frozen=True)
class Activity:
    """The citizen touched the screen: the idle timeout starts again."""


@dataclass(frozen=True)
class ResetPressed:
    """The page's "start over": back to welcome, everything wiped."""


@dataclass(frozen=True)
class TimerFired:
    """A coordinator timer ran out; ``token`` guards against timers restarted since."""

    name: str
    token: int


@dataclass(frozen=True)
class PhotoTaken:
    """The photo tool took a document photo in call ``call_id`` (for the kiosk preview)."""

    call_id: str
    jpeg: bytes = field(repr=False)
    width: int
    height: int


@dataclass(frozen=True)
class PrintChanged:
    """The print tool reports a job's new status in call ``call_id``."""

    call_id: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class HandsetChanged:
    """The handset was lifted (True) or put down (False)."""

    lifted: bool


@dataclass(frozen=True)
class PartsChanged:
    """The health of a part changed; tell the console."""

    parts: dict[str, str]


@dataclass(frozen=True)
class QualityChanged:
    """The camera leg moved to another rung of its video ladder (appliance/media/quality.py)."""

    level: str
    width: int
    height: int
    fps: int
    rtt_ms: int | None = None
    loss_pct: float | None = None


@dataclass(frozen=True)
class LinkChecked:
    """The link measured the signaling socket's pings (appliance/link_quality.py)."""

    verdict: str
    rtt_ms: int
    loss_pct: float
    samples: int


@dataclass(frozen=True)
class CardChanged:
    """A card was inserted (its type) or removed (None) at the card reader."""

    card: CardType | None


@dataclass(frozen=True)
class StaffSignInTyped:
    """(mobile) The staff member sent the sign-in form: username + password (+ TOTP) or a
    one-time code. The secrets are kept out of ``repr`` (logs) and go only to the console."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    totp: str | None = field(default=None, repr=False)
    code: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StaffSignOutPressed:
    """(mobile) The staff member signs out (a running call is hung up first)."""


@dataclass(frozen=True)
class StaffCallPressed:
    """(mobile) The signed-in staff member calls queue ``queue_id`` (a specialist)."""

    queue_id: int


Event = (
    CallPressed
    | HangupPressed
    | LinkUp
    | LinkDown
    | LinkMessage
    | CameraOfferReady
    | ScreenOffer
    | ScreenStats
    | MediaFailed
    | PartsChanged
    | CardChanged
    | ContinuePressed
    | KeepWaiting
    | CallbackRequested
    | ChatTyped
    | Activity
    | ResetPressed
    | TimerFired
    | PhotoTaken
    | PrintChanged
    | HandsetChanged
    | StaffSignInTyped
    | StaffSignOutPressed
    | StaffCallPressed
    | QualityChanged
    | LinkChecked
)
