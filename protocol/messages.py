"""The signaling messages between terminal, console and caseworker browser.

Every message is one JSON object whose ``type`` field names it. Both sides decode
with :func:`decode`, which validates the shape against these structs (msgspec) and
refuses anything else with a :class:`ProtocolError` carrying a stable ``code``.
msgspec was chosen over pydantic because the console holds thousands of idle
terminal sockets and decodes every heartbeat: it validates while it parses.

The wire version is :data:`PROTOCOL_VERSION`; it travels in ``hello`` and
``welcome``, the first message in each direction. ``docs/protocol.md`` describes
every message and the order they come in.
"""

from __future__ import annotations

from typing import Literal

import msgspec

PROTOCOL_VERSION = 1
"""Bumped on any change a peer of the previous version would misread."""

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest accepted message; an SDP with all candidates is 3-10 KiB."""

Leg = Literal["camera", "screen"]
"""Which peer connection of a call an SDP belongs to.

``camera``: the terminal daemon (aiortc) sends camera and microphone to the caseworker.
``screen``: the kiosk browser receives the caseworker's camera and microphone, so that
decoding, rendering and lip sync stay in the browser on the Pi.
"""

EndReason = Literal[
    "hangup_terminal",
    "hangup_caseworker",
    "cancelled",
    "terminal_lost",
    "caseworker_lost",
    "media_failed",
]


class IceServer(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One STUN or TURN server as RTCPeerConnection takes it."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Message(msgspec.Struct, tag_field="type", forbid_unknown_fields=True):
    """Base of every signaling message; the tag is the ``type`` field."""


# --- both directions -------------------------------------------------------------


class Hello(Message, tag="hello"):
    """First message of a client: its protocol version and software."""

    protocol: int
    software: str
    parts: dict[str, str] = {}


class Welcome(Message, tag="welcome"):
    """The console's answer to hello: who you are and how to call."""

    protocol: int
    name: str
    municipality: str
    ice_servers: list[IceServer]
    heartbeat_s: float


class Ping(Message, tag="ping"):
    """Heartbeat from a client; answered with pong carrying the same seq."""

    seq: int


class Pong(Message, tag="pong"):
    """Answer to ping."""

    seq: int


class Error(Message, tag="error"):
    """A refused message or request; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str


class Hangup(Message, tag="call.hangup"):
    """Either side ends the call it is in."""

    call_id: str


class Ended(Message, tag="call.ended"):
    """The console tells a side that the call is over, and why."""

    call_id: str
    reason: EndReason


class RtcOffer(Message, tag="rtc.offer"):
    """An SDP offer of one leg (terminal -> console -> caseworker)."""

    call_id: str
    leg: Leg
    sdp: str


class RtcAnswer(Message, tag="rtc.answer"):
    """An SDP answer of one leg (caseworker -> console -> terminal)."""

    call_id: str
    leg: Leg
    sdp: str


# --- terminal -> console -----------------------------------------------------------


class CallRequest(Message, tag="call.request"):
    """The citizen pressed the call button."""


class CallCancel(Message, tag="call.cancel"):
    """The citizen gave up waiting."""

    call_id: str


class PartsReport(Message, tag="parts"):
    """The terminal's parts changed health (camera, microphone, button, ...)."""

    parts: dict[str, str]


# --- console -> terminal -----------------------------------------------------------


class Queued(Message, tag="call.queued"):
    """The call waits in the municipality's queue at ``position`` (1 = next)."""

    call_id: str
    position: int


class Answered(Message, tag="call.answered"):
    """A caseworker took the call: the terminal now offers both legs."""

    call_id: str
    caseworker: str
    ice_servers: list[IceServer]


# --- caseworker -> console ---------------------------------------------------------


class Answer(Message, tag="call.answer"):
    """The caseworker takes the waiting call ``call_id``."""

    call_id: str


# --- console -> caseworker ---------------------------------------------------------


class QueueEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One waiting call as a caseworker sees it."""

    call_id: str
    terminal_id: str
    terminal_name: str
    since: float  # console clock, seconds since the epoch
    waited_s: float


class QueueUpdate(Message, tag="queue"):
    """The whole queue of the caseworker's municipality, sent on every change."""

    now: float
    entries: list[QueueEntry]


class Assigned(Message, tag="call.assigned"):
    """The answer was accepted: this caseworker now has the call."""

    call_id: str
    terminal_name: str
    ice_servers: list[IceServer]


# --- in-call tools: document photo, card reader, printer --------------------------------

CardType = Literal["eid", "egk", "girocard", "unknown"]
"""A card recognised from its ATR: German eID card, eGK health card, girocard, other."""

PrintState = Literal["queued", "printing", "done", "failed"]


class PhotoRequest(Message, tag="photo.request"):
    """The caseworker asks for a document photo (W -> C -> T).

    The terminal takes a full-resolution JPEG without stopping the video and uploads it
    over HTTPS (``POST /api/v1/photos``), never over the data channel.
    """

    call_id: str
    request_id: str


class PhotoReady(Message, tag="photo.ready"):
    """The photo arrived at the console; the caseworker fetches ``/api/v1/photos/<id>`` (C -> W)."""

    call_id: str
    request_id: str
    photo_id: str
    width: int
    height: int


class PhotoFailed(Message, tag="photo.failed"):
    """The terminal could not take or upload the photo (T -> C -> W)."""

    call_id: str
    request_id: str
    message: str


class CardStatus(Message, tag="card"):
    """A card was inserted (its type) or removed (None) at the terminal (T -> C -> W).

    Only the type travels: no card data is read beyond the ATR, and nothing is stored.
    """

    card: CardType | None
    call_id: str | None = None


class PrintRequest(Message, tag="print.request"):
    """A PDF waits for the terminal at ``/api/v1/print-jobs/<job_id>`` (C -> T)."""

    call_id: str
    job_id: str
    size: int


class PrintStatus(Message, tag="print.status"):
    """Progress of a print job at the terminal (T -> C -> W)."""

    call_id: str
    job_id: str
    status: PrintState
    message: str = ""


TerminalToConsole = (
    Hello
    | Ping
    | CallRequest
    | CallCancel
    | Hangup
    | RtcOffer
    | PartsReport
    | CardStatus
    | PrintStatus
    | PhotoFailed
)
ConsoleToTerminal = (
    Welcome | Pong | Error | Queued | Answered | RtcAnswer | Ended | PhotoRequest | PrintRequest
)
CaseworkerToConsole = Hello | Ping | Answer | Hangup | RtcAnswer | PhotoRequest
ConsoleToCaseworker = (
    Welcome
    | Pong
    | Error
    | QueueUpdate
    | Assigned
    | RtcOffer
    | Ended
    | PhotoReady
    | PhotoFailed
    | CardStatus
    | PrintStatus
)
