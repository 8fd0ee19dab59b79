"""What console instances send each other over Redis: one small msgspec record per event.

A socket's hello, message and going away travel from the instance holding the socket to the
instance owning the calls (``t.*`` for terminals, ``c.*`` for caseworker pages, ``desk`` for
what goes to all pages of a municipality); the owner's ``send`` and ``close`` travel back
to the socket's instance. ``reload`` asks the owner to reload the routing directory an
admin changed through another instance; ``handover`` carries the calls and presence of an
instance that just lost ownership to the one that took it. Protocol messages ride along as
the JSON text the socket would carry (``msg``), so nothing is re-modelled here.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from console.calls import CaseworkerIdentity, TerminalIdentity
from console.hub_state import SavedCall, SavedPresence
from protocol.messages import ConsoleToCaseworker, ConsoleToTerminal

Kind = Literal[
    "t.hello",
    "t.msg",
    "t.gone",
    "c.hello",
    "c.msg",
    "c.gone",
    "desk",
    "send",
    "close",
    "handover",
    "reload",
]


class Envelope(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One event between instances; which fields are set depends on ``kind``."""

    kind: Kind
    src: str
    """The sending instance (for ``t.*`` and ``c.*``: the one holding the socket)."""
    conn: str = ""
    """The socket's id, unique across instances (``<instance>.<n>``)."""
    terminal: TerminalIdentity | None = None
    caseworker: CaseworkerIdentity | None = None
    parts: dict[str, str] = {}
    software: str = ""
    resume: str | None = None
    """``t.hello``: the answered call the terminal asks to resume (protocol ``hello.resume``)."""
    msg: str = ""
    """A protocol message as JSON text."""
    municipality_id: int = 0
    code: int = 0
    reason: str = ""
    calls: list[SavedCall] = []
    presence: list[SavedPresence] = []


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)
# Outgoing messages are re-validated only by type, never by the 64 KiB limit that guards
# incoming ones: a long queue list the owner built must reach the page.
to_terminal = msgspec.json.Decoder(ConsoleToTerminal)
to_caseworker = msgspec.json.Decoder(ConsoleToCaseworker)


def pack(envelope: Envelope) -> bytes:
    """Serialize for PUBLISH."""
    return _encoder.encode(envelope)


def unpack(data: bytes | str) -> Envelope:
    """Parse a received envelope (msgspec.DecodeError or ValidationError if malformed)."""
    return _decoder.decode(data)
