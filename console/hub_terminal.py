"""The hub's terminal side: terminals connecting, and what they send (call request first).

A mixin of :class:`console.hub.Hub` (which owns the state declared below), split out so each
part of the router stays one concept: here a terminal is placed in its office, gets its
office status, and its ``call.request`` is checked (office known, queue of its office, office
open) and queued; the other messages are relayed into its call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from console import chat
from console.calls import Call, Connection, TerminalIdentity
from console.citizen_language import citizen_language
from console.directory import Directory
from console.events import CallEnded, CallRequested, EventSink
from console.office import Office
from console.photos import PhotoStore
from console.queues import CallQueues
from protocol.messages import (
    CallCancel,
    CallQuality,
    CallRequest,
    CardStatus,
    CardType,
    Chat,
    EndReason,
    Error,
    Hangup,
    Hello,
    PartsReport,
    PhotoFailed,
    Ping,
    PrintStatus,
    Queued,
    RtcOffer,
    TerminalToConsole,
)

CLOSE_REPLACED = 4409
"""Close code for a terminal connection replaced by a newer one of the same terminal."""
STAFF_REQUIRED = Error(code="staff_required", message="sign a staff member in on this kit first")
NO_OFFICE = Error(code="unavailable", message="no service is set up for this terminal yet; retry")


class TerminalSide:
    """Terminal connections and messages over the hub's state."""

    directory: Directory
    office: Office
    events: EventSink
    photos: PhotoStore
    on_stale: Callable[[], None]
    _new_call_id: Callable[[], str]
    _terminals: dict[str, tuple[TerminalIdentity, Connection]]
    _office_of_terminal: dict[str, int | None]
    _office_terminals: dict[int, set[str]]
    _calls: dict[str, Call]
    _call_of_terminal: dict[str, str]
    _queues: CallQueues
    _parts: dict[str, dict[str, str]]
    _software: dict[str, str]
    _resume: dict[str, str]
    hold_waiting_s: float

    if TYPE_CHECKING:

        def _now(self) -> float: ...
        def _end(self, call: Call, reason: EndReason) -> None: ...
        def _withdraw_all(self, call: Call) -> None: ...
        def _route(self, municipality_id: int) -> None: ...
        def _place_terminal(self, who: TerminalIdentity) -> int | None: ...
        def _publish_office(self, office_id: int) -> bool: ...
        def send_office_status(self, terminal_id: str) -> None: ...
        def _broadcast_queue(self, municipality_id: int) -> None: ...
        def _queued(self, call: Call) -> Queued: ...
        def _resend_call_state(self, call: Call, conn: Connection) -> None: ...
        def _card_from_parts(self, terminal_id: str, parts: dict[str, str]) -> None: ...
        def _card_status(self, terminal_id: str, card: CardType | None) -> None: ...
        def _hold(self, call: Call) -> bool: ...
        def _resume_call(self, who: TerminalIdentity, conn: Connection, resume: str) -> bool: ...

    def connect_terminal(
        self,
        who: TerminalIdentity,
        conn: Connection,
        parts: dict[str, str] | None = None,
        software: str = "",
        link: str = "",
        resume: str | None = None,
    ) -> None:
        """Register a terminal after its hello; a previous connection is closed with 4409.

        A call survives the replacement: the terminal may re-send ``call.request`` and gets
        its call back, so a citizen keeps their place across a reconnect. ``link`` names the
        socket across console instances (console/bus/): the same socket registering again
        with a new owner resumes an answered call. ``resume`` (``hello.resume``) names the
        answered call the terminal was in when its previous socket was lost
        (console/hub_hold.py).
        """
        old = self._terminals.get(who.terminal_id)
        replaced = old is not None and old[1] is not conn
        if old is not None and old[1] is not conn:
            old[1].close(CLOSE_REPLACED, "replaced by a newer connection")
        self._terminals[who.terminal_id] = (who, conn)
        if parts:
            self._parts[who.terminal_id] = dict(parts)
        self._software[who.terminal_id] = software
        self._card_from_parts(who.terminal_id, parts or {})
        office_id = self._place_terminal(who)
        if office_id is None:
            self.on_stale()
        if office_id is None or not self._publish_office(office_id):
            self.send_office_status(who.terminal_id)
        if resume is not None and self._resume_call(who, conn, resume):
            return
        self._back(who, conn, link, replaced)

    def _back(self, who: TerminalIdentity, conn: Connection, link: str, replaced: bool) -> None:
        """A terminal whose call was held (socket lost, or restored from another instance)
        is back. A waiting call: tell it where it stands and offer the call again. An
        answered call it did not ask to resume goes on only on the very socket it had (its
        media never stopped); a terminal that reconnected without naming it has ended that
        call itself, so it ends here too (also when its old socket is only replaced now)."""
        call_id = self._call_of_terminal.get(who.terminal_id)
        call = None if call_id is None else self._calls.get(call_id)
        if call is None:
            return
        if call.away_since is None:
            if replaced and call.caseworker is not None:
                self._end(call, "terminal_lost")
            return
        call.away_since = None
        if call.caseworker is not None:
            resumed = self._resume.pop(who.terminal_id, None)
            if not link or resumed != link:
                self._end(call, "terminal_lost")
            return
        self._resend_call_state(call, conn)
        self._route(who.municipality_id)

    def disconnect_terminal(self, terminal_id: str, conn: Connection) -> None:
        """Forget a terminal connection; its call ends (or leaves the queue)."""
        current = self._terminals.get(terminal_id)
        if current is None or current[1] is not conn:
            return  # a replaced connection going away changes nothing
        del self._terminals[terminal_id]
        office_id = self._office_of_terminal.pop(terminal_id, None)
        if office_id is not None:
            here = self._office_terminals.get(office_id, set())
            here.discard(terminal_id)
            if not here:
                self._office_terminals.pop(office_id, None)
                self._publish_office(office_id)
        call_id = self._call_of_terminal.get(terminal_id)
        if call_id is None:
            return
        call = self._calls[call_id]
        if self.hold_waiting_s > 0 and call.caseworker is None and call_id in self._queues:
            call.away_since = self._now()  # keeps its place; tick() ends it if not back
            self._withdraw_all(call)
            return
        if call.caseworker is not None and self._hold(call):
            return  # held for hold_answered_s: the terminal may resume it (console/hub_hold.py)
        self._end(call, "terminal_lost")

    # --- terminal messages --------------------------------------------------------------

    def from_terminal(self, terminal_id: str, conn: Connection, msg: TerminalToConsole) -> None:
        """Handle one decoded message of a registered terminal (after hello)."""
        current = self._terminals.get(terminal_id)
        if current is None or current[1] is not conn:
            return  # replaced or gone: its late messages must not act on the call
        who = current[0]
        if isinstance(msg, CallRequest):
            self._request(who, conn, msg)
        elif isinstance(msg, CallCancel | Hangup):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is not None:
                reason: EndReason = "hangup_terminal"
                if isinstance(msg, Hangup) and msg.reason is not None:
                    reason = msg.reason  # media_failed: the caseworker is told why
                self._end(call, "cancelled" if call.caseworker is None else reason)
        elif isinstance(msg, RtcOffer):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is None:
                return
            if call.caseworker_conn is None:
                conn.send(Error(code="not_answered", message="the call is not answered yet"))
                return
            call.caseworker_conn.send(msg)
        elif isinstance(msg, PartsReport):
            self._parts[terminal_id] = dict(msg.parts)
        elif isinstance(msg, CardStatus):
            self._card_status(terminal_id, msg.card)
        elif isinstance(msg, PhotoFailed):
            call = self._own_terminal_call(who, msg.call_id, conn)
            settled = call is not None and self.photos.settle(call.call_id, msg.request_id)
            if settled and call is not None and call.caseworker_conn is not None:
                call.caseworker_conn.send(msg)
        elif isinstance(msg, PrintStatus | CallQuality):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is not None and call.caseworker_conn is not None:
                call.caseworker_conn.send(msg)
        elif isinstance(msg, Chat):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is not None:
                chat.from_citizen(call, msg, conn)
        elif isinstance(msg, Hello | Ping):
            conn.send(Error(code="unexpected", message=f"{type(msg).__name__} not expected here"))

    def _request(self, who: TerminalIdentity, conn: Connection, msg: CallRequest) -> None:
        if who.mobile:
            if msg.staff is None:  # the socket fills it in from the kit's staff session
                conn.send(STAFF_REQUIRED)
                return
            if msg.queue_id is None:
                conn.send(Error(code="invalid", message="queue_id: a mobile kit names the queue"))
                return
        existing = self._call_of_terminal.get(who.terminal_id)
        if existing is not None:  # idempotent: the same call again
            self._resend_call_state(self._calls[existing], conn)
            return
        if who.mobile:
            self._kit_request(who, conn, msg)
            return
        office_id = self._place_terminal(who)
        office = self.directory.office(office_id)
        if office is None:
            self.on_stale()
            conn.send(NO_OFFICE)
            return
        queues = self.directory.queues_of_office(office.office_id)
        queue = queues[0] if queues else None
        if msg.queue_id is not None:
            queue = next((q for q in queues if q.queue_id == msg.queue_id), None)
            if queue is None:
                conn.send(Error(code="invalid", message="queue_id: not a service of this office"))
                return
        if queue is None:
            conn.send(NO_OFFICE)
            return
        now = self._now()
        language = citizen_language(msg.language)
        if not self.office.is_open(office.office_id):
            conn.send(self.office.closed_error(office.office_id))
            refused = uuid.uuid4().hex  # never shown: only the usage figures count it
            self.events(CallRequested(now, refused, who.municipality_id, who.terminal_id,
                                      office.office_id, queue.queue_id, language))  # fmt: skip
            self.events(CallEnded(now, refused, who.municipality_id, "closed", "closed"))
            return
        call = Call(self._new_call_id(), who, now, language=language,
                    office_id=office.office_id, queue=queue, queued_at=now)  # fmt: skip
        self._queue_call(who, conn, call)

    def _kit_request(self, who: TerminalIdentity, conn: Connection, msg: CallRequest) -> None:
        """A mobile kit's call: into any queue of its municipality (the specialist queue the
        staff member chose), open hours of that queue's office apply."""
        queue = self.directory.queue(msg.queue_id)
        if queue is None or queue.municipality_id != who.municipality_id:
            # Same answer for other municipalities' queues: their ids are not revealed.
            conn.send(Error(code="invalid", message="queue_id: not a queue of this municipality"))
            return
        now = self._now()
        language = citizen_language(msg.language)
        if not self.office.is_open(queue.office_id):
            conn.send(self.office.closed_error(queue.office_id))
            return
        call = Call(self._new_call_id(), who, now, language=language, office_id=queue.office_id,
                    queue=queue, queued_at=now, staff=msg.staff)  # fmt: skip
        self._queue_call(who, conn, call)

    def _queue_call(self, who: TerminalIdentity, conn: Connection, call: Call) -> None:
        """Put a new call at the end of its queue, tell the terminal and the desks, route."""
        queue = call.queue
        assert queue is not None and call.office_id is not None
        now = call.since
        self._calls[call.call_id] = call
        self._call_of_terminal[who.terminal_id] = call.call_id
        self._queues.push(queue.queue_id, who.municipality_id, call.call_id, now)
        conn.send(self._queued(call))
        self.events(CallRequested(now, call.call_id, who.municipality_id, who.terminal_id,
                                  call.office_id, queue.queue_id, call.language))  # fmt: skip
        self._broadcast_queue(who.municipality_id)
        self._route(who.municipality_id)

    def _own_terminal_call(
        self, who: TerminalIdentity, call_id: str, conn: Connection
    ) -> Call | None:
        call = self._calls.get(call_id)
        if call is None or call.terminal.terminal_id != who.terminal_id:
            conn.send(Error(code="not_found", message="no such call"))
            return None
        return call
