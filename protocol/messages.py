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

from typing import Annotated, Literal

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
    "no_answer",
    "transferred",
]
"""``no_answer``: the call waited past its queue's answer limit; the kiosk offers a callback.
``transferred``: (caseworker only) the call was handed on to a colleague or a queue."""


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
    resume: str | None = None
    """(terminal) The answered call this terminal was in when its previous socket was lost:
    the console resumes it (``call.answered`` again, legs negotiated afresh) if it still holds
    it for this very terminal, or answers ``call.ended`` for it."""


class Welcome(Message, tag="welcome"):
    """The console's answer to hello: who you are and how to call."""

    protocol: int
    name: str
    municipality: str
    ice_servers: list[IceServer]
    heartbeat_s: float
    ice_transport_policy: Literal["all", "relay"] = "all"
    """``relay``: the recipient's browser peer connections use TURN relays only."""
    call_heartbeat_s: float | None = None
    """(terminal) Ping this often during an answered call, so a lost network is noticed within
    a few seconds; the console then closes a socket silent for three of these intervals."""
    call_hold_s: float | None = None
    """(terminal) How long the console holds an answered call whose terminal's socket was lost,
    while its caseworker stays: the terminal may resume it within this time."""


class Ping(Message, tag="ping"):
    """Heartbeat from a client; answered with pong carrying the same seq."""

    seq: int
    interval_s: float | None = None
    """The sender's current ping interval (a terminal pings faster during a call): the console
    closes a socket silent for three of them (at least 3 s, at most three heartbeats)."""


class Pong(Message, tag="pong"):
    """Answer to ping."""

    seq: int


class Error(Message, tag="error"):
    """A refused message or request; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str


class Hangup(Message, tag="call.hangup", omit_defaults=True):
    """Either side ends the call it is in.

    A terminal whose media never connected (or broke) says ``reason = "media_failed"``, so
    the caseworker reads that rather than "the citizen hung up"; without a reason the
    message is encoded exactly as before."""

    call_id: str
    reason: Literal["media_failed"] | None = None


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
    """The citizen pressed the call button (and confirmed the information screen).

    ``language`` is the kiosk language the citizen chose (``de``, ``en``, ``uk``, ``ar``,
    ``tr``, ``ls`` for Leichte Sprache), so the caseworker knows before answering.
    """

    language: str | None = None
    queue_id: int | None = None
    """The service the citizen chose on the welcome screen; None: the office's first."""
    staff: str | None = None
    """(mobile kit) Set by the console from the kit's staff session (the staff member's
    display name) before routing; whatever a terminal sends here is replaced."""


class CallCancel(Message, tag="call.cancel"):
    """The citizen gave up waiting."""

    call_id: str


class PartsReport(Message, tag="parts"):
    """The terminal's parts changed health (camera, microphone, button, ...)."""

    parts: dict[str, str]


# --- console -> terminal -----------------------------------------------------------


class Queued(Message, tag="call.queued"):
    """The call waits in the municipality's queue at ``position`` (1 = next).

    ``estimated_wait_s`` comes from the console's recent answer times; None when it has
    too few to say.
    """

    call_id: str
    position: int
    estimated_wait_s: float | None = None
    queue: str | None = None
    """Name of the queue (service) the call waits in."""


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
    language: str | None = None
    queue_id: int | None = None
    queue_name: str | None = None
    transferred_by: str | None = None
    """The colleague who transferred the call here, if any."""
    """The kiosk language the citizen chose (from ``call.request``)."""
    staff: str | None = None
    """(mobile kit) The staff member on site with the citizen, who placed the call."""


class QueueUpdate(Message, tag="queue"):
    """The whole queue of the caseworker's municipality, sent on every change."""

    now: float
    entries: list[QueueEntry]


class Assigned(Message, tag="call.assigned"):
    """The answer was accepted: this caseworker now has the call."""

    call_id: str
    terminal_name: str
    ice_servers: list[IceServer]
    queue_name: str | None = None
    language: str | None = None
    transferred_by: str | None = None
    staff: str | None = None
    """(mobile kit) The staff member on site with the citizen."""


class CallHeld(Message, tag="call.held"):
    """The citizen's connection dropped: the console holds the call for ``hold_s`` seconds
    (from ``since`` on the console's clock) for the terminal to come back (C -> CW)."""

    call_id: str
    hold_s: float
    since: float


class CallResumed(Message, tag="call.resumed"):
    """The held call's terminal is back: it offers both legs afresh (C -> CW)."""

    call_id: str


QualityLevel = Literal["full", "reduced", "low", "audio_only"]
"""The rungs of the terminal's video ladder (appliance/media/quality.py)."""


class CallQuality(Message, tag="call.quality", omit_defaults=True):
    """The terminal changed the video it sends to fit the citizen's link (T -> C -> CW).

    ``full`` is the camera's own setting; ``reduced``, ``low`` lower size and frame rate;
    ``audio_only`` pauses the video while the sound goes on. ``rtt_ms`` and ``loss_pct``
    are what the caseworker's browser reported back over RTCP when the terminal decided.
    """

    call_id: str
    level: QualityLevel
    width: int = 0
    height: int = 0
    fps: int = 0
    rtt_ms: int | None = None
    loss_pct: float | None = None


# --- queues, presence, routing and transfer ----------------------------------------------

PresenceState = Literal["available", "busy", "wrap_up", "break", "offline"]
"""available takes calls; busy is in a call; wrap_up follows a call for the queue's wrap-up
time (or until the caseworker ends it); break is chosen by the caseworker."""


class PresenceSet(Message, tag="presence.set"):
    """The caseworker chooses available (also ends wrap-up early) or break (CW -> C)."""

    state: Literal["available", "break"]


class PresenceStatus(Message, tag="presence"):
    """The caseworker's own presence as the console sees it (C -> CW)."""

    state: PresenceState
    since: float
    wrap_up_until: float | None = None


class CallOffer(Message, tag="call.offer"):
    """Routing offers a waiting call to this caseworker: answer with call.answer (C -> CW)."""

    call_id: str
    terminal_name: str
    queue_id: int | None = None
    queue_name: str | None = None
    language: str | None = None
    ring_s: float = 20.0
    transferred_by: str | None = None
    staff: str | None = None
    """(mobile kit) The staff member on site with the citizen."""


class OfferEnded(Message, tag="call.offer_ended"):
    """An offer is over: taken by someone, declined, timed out or the citizen left (C -> CW)."""

    call_id: str


class Decline(Message, tag="call.decline"):
    """The caseworker declines an offered call; routing offers it to the next (CW -> C)."""

    call_id: str


class Transfer(Message, tag="call.transfer"):
    """Hand the current call to a colleague or into another queue: exactly one target (CW -> C)."""

    call_id: str
    to_caseworker_id: int | None = None
    to_queue_id: int | None = None


class Transferred(Message, tag="call.transferred"):
    """The call was handed on: the terminal closes its media legs, tells the citizen and
    waits for the next ``call.answered`` under the same call id (C -> T)."""

    call_id: str
    to: str
    """The colleague's display name or the queue's name."""
    kind: Literal["caseworker", "queue"]


class Colleague(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A caseworker of the same municipality, for the transfer menu and supervisors."""

    caseworker_id: int
    name: str
    state: PresenceState


class QueueInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A queue (service) of the municipality."""

    queue_id: int
    name: str
    office: str
    waiting: int = 0


class DeskUpdate(Message, tag="desk"):
    """Colleagues with their presence and the municipality's queues (C -> CW)."""

    colleagues: list[Colleague]
    queues: list[QueueInfo]


class TerminalRestart(Message, tag="terminal.restart"):
    """An admin asked the terminal to restart its daemon when no call is running (C -> T)."""

    reason: str = ""


MAX_UPDATE_URL_CHARS = 2000
"""Longest update bundle URL the console stores and a terminal accepts."""
MAX_UPDATE_VERSION_CHARS = 64


class UpdateOffer(Message, tag="update.offer"):
    """Install the bundle at ``url`` (HTTPS) when no call runs (C -> T).

    Sent after welcome and whenever an admin changes the municipality's update location,
    only to terminals whose software is not ``version`` already. ``sha256`` (64 hex digits)
    is the bundle's digest, "" if the admin gave none; RAUC checks the signature either way.
    """

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_UPDATE_URL_CHARS)]
    version: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_UPDATE_VERSION_CHARS)]
    sha256: Annotated[str, msgspec.Meta(max_length=64)] = ""


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


# --- office hours, availability, callbacks, chat ------------------------------------

MAX_CHAT_CHARS = 1000
"""Longest chat message; longer ones are refused with ``invalid``."""

ChatText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CHAT_CHARS)]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
PhoneNumber = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9 ()/-]{3,30}$")]


class OpeningSpan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One opening period: ISO weekday (1 = Monday) and local times "HH:MM"."""

    weekday: int
    opens: str
    closes: str


class ServiceOption(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A queue the citizen can choose on the welcome screen."""

    queue_id: int
    name: str


class DayException(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A coming holiday (no times) or day of special hours, local date "YYYY-MM-DD"."""

    day: str
    opens: str | None = None
    closes: str | None = None
    note: str = ""


class OfficeStatus(Message, tag="office"):
    """What the terminal's welcome screen shows; sent after welcome and on every change (C -> T).

    ``open`` says whether calls are taken now; ``next_open`` (seconds since the epoch) when
    they are next taken if closed; ``available`` caseworkers signed in and free, ``waiting``
    calls in the queue; ``estimated_wait_s`` for a new call, None if unknown.
    """

    open: bool
    timezone: str
    hours: list[OpeningSpan]
    next_open: float | None = None
    available: int = 0
    waiting: int = 0
    estimated_wait_s: float | None = None
    office: str = ""
    services: list[ServiceOption] = []
    exceptions: list[DayException] = []
    """Holidays and special hours of the next weeks."""
    brand_color: str | None = None
    """The municipality's accent colour ``"#rrggbb"`` (a stripe, never text); None: the default."""
    welcome_text: str | None = None
    """The municipality's own line under the welcome heading (plain text, not translated)."""


class MobileVisit(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One coming outpost consultation of the mobile office (public hours only)."""

    day: str
    """Local date ``YYYY-MM-DD``."""
    starts: str
    """Local time ``HH:MM``."""
    ends: str
    ends_at: float
    """Seconds since the epoch when it ends: the terminal stops showing it then."""
    place: str
    address: str = ""
    office: str = ""
    note: str = ""


class MobileOffice(Message, tag="mobile"):
    """When the mobile office is next in town (C -> T): after ``welcome`` and on every change
    of the municipality's outpost hours. Never carries home visits."""

    visits: list[MobileVisit] = []


class CallbackRequest(Message, tag="callback.request"):
    """The citizen asks to be called back (outside hours, or tired of waiting) (T -> C).

    The terminal forgets name and phone number as soon as the console has accepted them.
    """

    request_id: str
    name: PersonName
    phone: PhoneNumber
    language: str | None = None
    reason: Literal["closed", "no_answer", "other"] = "other"


class CallbackAccepted(Message, tag="callback.accepted"):
    """The console stored the callback request ``request_id`` (C -> T)."""

    request_id: str


class CallbackEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One callback request as caseworkers see it."""

    callback_id: str
    terminal_name: str
    name: str
    phone: str
    language: str | None
    reason: str
    created: float
    status: Literal["open", "done", "failed"]


class Callbacks(Message, tag="callbacks"):
    """The municipality's callback list, sent on every change (C -> W)."""

    entries: list[CallbackEntry]


class CallbackDone(Message, tag="callback.done"):
    """A caseworker marks a callback as done or failed (W -> C)."""

    callback_id: str
    status: Literal["done", "failed"] = "done"


class Chat(Message, tag="chat"):
    """Real-time text next to voice (EN 301 549, 6.2), relayed, never stored (T <-> C <-> W).

    ``sender`` is set by the console when it relays (``citizen`` or ``caseworker``); what a
    client sends there is ignored.
    """

    call_id: str
    text: ChatText
    sender: Literal["citizen", "caseworker"] | None = None


# --- mobile kit: staff sign-in (issue 8) ---------------------------------------------

MAX_STAFF_SECRET_CHARS = 1024
"""Longest password a kit passes on (the console's own form takes as much)."""
StaffUsername = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
StaffSecret = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_STAFF_SECRET_CHARS)]
KitCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{8}$")]
TotpCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]
StaffSigninRefusal = Literal[
    "wrong", "throttled", "not_mobile", "forbidden", "second_factor", "setup_required"
]
"""``wrong``: unknown person, wrong password, TOTP or code (one answer for all of them);
``throttled``: too many failures, retry after ``retry_after_s``; ``not_mobile``: this
terminal is not enrolled as a mobile kit; ``forbidden``: the person may not sign in here
(not of the kit's municipality, not a caseworker role, inactive); ``second_factor``: the
password was right and the account needs its TOTP code; ``setup_required``: the account has
no second factor yet, which the console requires: set it up at the console first."""


class StaffSignin(Message, tag="staff.signin", omit_defaults=True):
    """A staff member signs in on a mobile kit (T -> C): ``username`` + ``password``
    (+ ``totp`` when the account has a second factor), or a one-time ``code`` a caseworker
    created at the console. The kit sends them only here, over its TLS socket, and keeps
    none of them."""

    request_id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    username: StaffUsername | None = None
    password: StaffSecret | None = None
    totp: TotpCode | None = None
    code: KitCode | None = None

    def __repr__(self) -> str:
        """Without the secrets: a logged message must not carry a password or code."""
        return f"StaffSignin(request_id={self.request_id!r}, username={self.username!r}, ...)"


class StaffSignedIn(Message, tag="staff.signed_in"):
    """A staff session is bound to this kit until ``expires_at`` (console clock, seconds
    since the epoch) or sign-out (C -> T). Also sent after ``welcome`` when the kit's session
    is still running (``request_id`` None). ``queues``: what the kit may call."""

    name: str
    role: str
    expires_at: float
    queues: list[QueueInfo]
    request_id: str | None = None


class StaffSigninFailed(Message, tag="staff.signin_failed"):
    """The sign-in ``request_id`` was refused (C -> T); see :data:`StaffSigninRefusal`."""

    request_id: str
    code: StaffSigninRefusal
    retry_after_s: float | None = None


class StaffSignout(Message, tag="staff.signout"):
    """The staff member signs out, or the kit signs them out after idle time (T -> C)."""

    reason: Literal["staff", "idle"] = "staff"


class StaffSignedOut(Message, tag="staff.signed_out"):
    """No staff session is bound to the kit (any more) (C -> T): after ``staff.signout``
    (``signout``), when it ran out (``expired``), or after ``welcome`` when none runs
    (``none``). A mobile kit without a session can call no queue and send no card status."""

    reason: Literal["signout", "expired", "none"]


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
    | CallbackRequest
    | Chat
    | StaffSignin
    | StaffSignout
    | CallQuality
)
ConsoleToTerminal = (
    Welcome
    | Pong
    | Error
    | Queued
    | Answered
    | RtcAnswer
    | Ended
    | PhotoRequest
    | PrintRequest
    | OfficeStatus
    | CallbackAccepted
    | Chat
    | Transferred
    | TerminalRestart
    | UpdateOffer
    | MobileOffice
    | StaffSignedIn
    | StaffSigninFailed
    | StaffSignedOut
)
CaseworkerToConsole = (
    Hello
    | Ping
    | Answer
    | Hangup
    | RtcAnswer
    | PhotoRequest
    | CallbackDone
    | Chat
    | PresenceSet
    | Decline
    | Transfer
)
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
    | Callbacks
    | Chat
    | OfficeStatus
    | PresenceStatus
    | CallOffer
    | OfferEnded
    | DeskUpdate
    | CallHeld
    | CallResumed
    | CallQuality
)
