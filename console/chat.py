"""Real-time text next to voice (EN 301 549, 6.2): relayed within one call, never kept.

The console only forwards: it sets ``sender`` itself (a client cannot pose as the other
side), sends the line to the other party of the same call, and neither stores nor logs the
text. A line for a call that is not the sender's, or not answered yet, gets ``not_found``,
exactly as for a call that does not exist. Length (1-1000 characters) is checked by the
protocol's schema before a line gets here.
"""

from __future__ import annotations

import msgspec

from console.calls import Call, Connection
from protocol.messages import Chat, Error

NOT_FOUND = Error(code="not_found", message="no such call of yours to chat in")


def from_citizen(call: Call, msg: Chat, origin: Connection) -> None:
    """Relay a terminal's line to the caseworker of its answered call."""
    if call.caseworker_conn is None:
        origin.send(NOT_FOUND)
        return
    call.caseworker_conn.send(msgspec.structs.replace(msg, sender="citizen"))


def from_caseworker(terminal: Connection | None, msg: Chat, origin: Connection) -> None:
    """Relay a caseworker's line to the terminal of their call (if it is connected)."""
    if terminal is None:
        origin.send(NOT_FOUND)
        return
    terminal.send(msgspec.structs.replace(msg, sender="caseworker"))
