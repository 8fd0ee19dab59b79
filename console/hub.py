"""Call routing between terminals and caseworkers, independent of Quart and of sockets.

The hub owns all call state (who is connected, which call waits, who talks to whom) and is
the only writer of it. Its methods are synchronous and connections only *enqueue* outgoing
messages (:class:`Connection`), so one routing step never interleaves with another and a
slow or dead client cannot stall anyone else. The WebSocket layer authenticates, decodes
and hands messages in; tests drive the hub with fake connections. A later Redis bus sits
beneath this class, between hubs of several console instances.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from console import chat
from console.calls import Call, CaseworkerIdentity, Connection, TerminalIdentity
from console.events import EventSink, discard
from console.hub_tools import CallTools
from console.office import Office
from console.photos import REQUEST_ID, PhotoStore
from console.printing import PrintJobs
from console.queues import CallQueues, Waiting
from console.waits import AnswerTimes
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallCancel,
    CallRequest,
    CardStatus,
    CardType,
    CaseworkerToConsole,
    Chat,
    Ended,
    EndReason,
    Error,
    Hangup,
    Hello,
    IceServer,
    Message,
    OfficeStatus,
    PartsReport,
    PhotoFailed,
    PhotoRequest,
    Ping,
    PrintStatus,
    Queued,
    QueueEntry,
    QueueUpdate,
    RtcAnswer,
    RtcOffer,
    TerminalToConsole,
)

CLOSE_REPLACED = 4409
"""Close code for a terminal connection replaced by a newer one of the same terminal."""
__all__ = ["CLOSE_REPLACED", "Call", "CaseworkerIdentity", "Connection", "Hub", "TerminalIdentity"]


class Hub(CallTools):
    """Routes signaling messages; see the module docstring."""

    def __init__(
        self,
        ice_servers: Sequence[IceServer] = (),
        clock: Callable[[], float] = time.time,
        new_call_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        photos: PhotoStore | None = None,
        prints: PrintJobs | None = None,
        office: Office | None = None,
        events: EventSink = discard,
    ) -> None:
        self.ice_servers = list(ice_servers)
        self.photos = photos if photos is not None else PhotoStore()
        self.prints = prints if prints is not None else PrintJobs()
        self.office = office if office is not None else Office(clock)
        self.waits = AnswerTimes()
        self.events = events
        """Where call events go (audit log, usage figures): see console/events.py."""
        self._clock = clock
        self._new_call_id = new_call_id
        self._fleet: dict[int, set[str]] = {}  # municipality -> connected terminal ids
        self._terminals: dict[str, tuple[TerminalIdentity, Connection]] = {}
        self._caseworkers: dict[Connection, CaseworkerIdentity] = {}
        self._desks: dict[int, set[Connection]] = {}
        self._calls: dict[str, Call] = {}
        self._call_of_terminal: dict[str, str] = {}
        self._call_of_caseworker: dict[int, str] = {}
        self._queues = CallQueues()
        self._parts: dict[str, dict[str, str]] = {}
        self._cards: dict[str, CardType | None] = {}
        self._software: dict[str, str] = {}

    # --- presence ---------------------------------------------------------------------

    @property
    def terminals_online(self) -> int:
        """Connected terminals."""
        return len(self._terminals)

    @property
    def caseworkers_online(self) -> int:
        """Distinct caseworkers with at least one connected console page."""
        return len({who.caseworker_id for who in self._caseworkers.values()})

    def parts(self, terminal_id: str) -> dict[str, str]:
        """Last reported parts health of a terminal."""
        return dict(self._parts.get(terminal_id, {}))

    def call(self, call_id: str) -> Call | None:
        """A live call by id (for tests and the fleet view)."""
        return self._calls.get(call_id)

    def connect_terminal(
        self,
        who: TerminalIdentity,
        conn: Connection,
        parts: dict[str, str] | None = None,
        software: str = "",
    ) -> None:
        """Register a terminal after its hello; a previous connection is closed with 4409.

        A call survives the replacement: the terminal may re-send ``call.request`` and gets
        its call back, so a citizen keeps their place across a reconnect.
        """
        old = self._terminals.get(who.terminal_id)
        if old is not None and old[1] is not conn:
            old[1].close(CLOSE_REPLACED, "replaced by a newer connection")
        self._terminals[who.terminal_id] = (who, conn)
        if parts:
            self._parts[who.terminal_id] = dict(parts)
        self._software[who.terminal_id] = software
        self._card_from_parts(who.terminal_id, parts or {})
        self._fleet.setdefault(who.municipality_id, set()).add(who.terminal_id)
        if not self._publish_office(who.municipality_id):
            conn.send(self.office_status(who.municipality_id))

    def disconnect_terminal(self, terminal_id: str, conn: Connection) -> None:
        """Forget a terminal connection; its call ends (or leaves the queue)."""
        current = self._terminals.get(terminal_id)
        if current is None or current[1] is not conn:
            return  # a replaced connection going away changes nothing
        del self._terminals[terminal_id]
        fleet = self._fleet.get(current[0].municipality_id, set())
        fleet.discard(terminal_id)
        if not fleet:
            self._fleet.pop(current[0].municipality_id, None)
            self._publish_office(current[0].municipality_id)
        call_id = self._call_of_terminal.get(terminal_id)
        if call_id is not None:
            self._end(self._calls[call_id], "terminal_lost")

    def connect_caseworker(self, who: CaseworkerIdentity, conn: Connection) -> None:
        """Register a caseworker page after its hello and send it the queue."""
        self._caseworkers[conn] = who
        self._desks.setdefault(who.municipality_id, set()).add(conn)
        conn.send(self._queue_update(who.municipality_id))
        if not self._publish_office(who.municipality_id):
            conn.send(self.office_status(who.municipality_id))

    def disconnect_caseworker(self, conn: Connection) -> None:
        """Forget a caseworker page; a call it was in ends for the terminal."""
        who = self._caseworkers.pop(conn, None)
        if who is None:
            return
        desk = self._desks.get(who.municipality_id)
        if desk is not None:
            desk.discard(conn)
            if not desk:
                del self._desks[who.municipality_id]
        call_id = self._call_of_caseworker.get(who.caseworker_id)
        if call_id is not None and self._calls[call_id].caseworker_conn is conn:
            self._end(self._calls[call_id], "caseworker_lost")
        self._publish_office(who.municipality_id)

    def close_all(self, code: int) -> None:
        """Close every connection (shutdown); their handlers then disconnect them."""
        for _who, conn in list(self._terminals.values()):
            conn.close(code, "console shutting down")
        for conn in list(self._caseworkers):
            conn.close(code, "console shutting down")

    # --- terminal messages --------------------------------------------------------------

    def from_terminal(self, terminal_id: str, conn: Connection, msg: TerminalToConsole) -> None:
        """Handle one decoded message of a registered terminal (after hello)."""
        current = self._terminals.get(terminal_id)
        if current is None or current[1] is not conn:
            return  # replaced or gone: its late messages must not act on the call
        who = current[0]
        if isinstance(msg, CallRequest):
            self._request(who, conn, msg.language)
        elif isinstance(msg, CallCancel | Hangup):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is not None:
                waiting = call.caseworker is None
                if waiting:
                    self._end(call, "cancelled")
                else:
                    self._end(call, "hangup_terminal")
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
        elif isinstance(msg, PrintStatus):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is not None and call.caseworker_conn is not None:
                call.caseworker_conn.send(msg)
        elif isinstance(msg, Chat):
            call = self._own_terminal_call(who, msg.call_id, conn)
            if call is not None:
                chat.from_citizen(call, msg, conn)
        elif isinstance(msg, Hello | Ping):
            conn.send(Error(code="unexpected", message=f"{type(msg).__name__} not expected here"))

    def _request(self, who: TerminalIdentity, conn: Connection, language: str | None) -> None:
        existing = self._call_of_terminal.get(who.terminal_id)
        if existing is not None:  # idempotent: the same call again
            call = self._calls[existing]
            if call.caseworker is None:
                conn.send(self._queued(call, self._queues.position(call.call_id) or 1))
            else:
                conn.send(self._answered(call, call.caseworker))
            return
        if not self.office.is_open(who.municipality_id):
            conn.send(self.office.closed_error(who.municipality_id))
            return
        call = Call(self._new_call_id(), who, self._clock(), language=language)
        self._calls[call.call_id] = call
        self._call_of_terminal[who.terminal_id] = call.call_id
        position = self._queues.push(
            who.municipality_id,
            Waiting(call.call_id, who.terminal_id, who.name, call.since, language),
        )
        conn.send(self._queued(call, position))
        self._broadcast_queue(who.municipality_id)

    def _own_terminal_call(
        self, who: TerminalIdentity, call_id: str, conn: Connection
    ) -> Call | None:
        call = self._calls.get(call_id)
        if call is None or call.terminal.terminal_id != who.terminal_id:
            conn.send(Error(code="not_found", message="no such call"))
            return None
        return call

    # --- caseworker messages ------------------------------------------------------------

    def from_caseworker(self, conn: Connection, msg: CaseworkerToConsole) -> None:
        """Handle one decoded message of a registered caseworker page (after hello)."""
        who = self._caseworkers.get(conn)
        if who is None:
            return
        if isinstance(msg, Answer):
            self._answer(who, conn, msg.call_id)
        elif isinstance(msg, Hangup):
            call = self._own_caseworker_call(conn, msg.call_id)
            if call is not None:
                self._end(call, "hangup_caseworker")
        elif isinstance(msg, RtcAnswer):
            call = self._own_caseworker_call(conn, msg.call_id)
            if call is not None:
                terminal = self._terminals.get(call.terminal.terminal_id)
                if terminal is not None:
                    terminal[1].send(msg)
        elif isinstance(msg, PhotoRequest):
            self._photo_request(conn, msg)
        elif isinstance(msg, Chat):
            call = self._own_caseworker_call(conn, msg.call_id)
            if call is not None:
                terminal = self._terminals.get(call.terminal.terminal_id)
                chat.from_caseworker(None if terminal is None else terminal[1], msg, conn)
        elif isinstance(msg, Hello | Ping):
            conn.send(Error(code="unexpected", message=f"{type(msg).__name__} not expected here"))

    def _answer(self, who: CaseworkerIdentity, conn: Connection, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or call.terminal.municipality_id != who.municipality_id:
            # Same answer for other municipalities' calls: their ids are not revealed.
            conn.send(Error(code="not_found", message="no such call is waiting"))
            return
        if call.caseworker is not None:
            if call.caseworker_conn is conn:
                conn.send(self._assigned(call))  # a repeated click: same result again
            else:
                conn.send(Error(code="taken", message="a colleague has already taken this call"))
            return
        if who.caseworker_id in self._call_of_caseworker:
            conn.send(Error(code="busy", message="finish your current call first"))
            return
        call.caseworker = who
        call.caseworker_conn = conn
        self._call_of_caseworker[who.caseworker_id] = call.call_id
        self.waits.answered(who.municipality_id, self._clock() - call.since)
        self._dequeue(call)
        conn.send(self._assigned(call))
        if self._cards.get(call.terminal.terminal_id) is not None:
            conn.send(CardStatus(card=self._cards[call.terminal.terminal_id], call_id=call.call_id))
        terminal = self._terminals.get(call.terminal.terminal_id)
        if terminal is not None:
            terminal[1].send(self._answered(call, who))

    def _own_caseworker_call(self, conn: Connection, call_id: str) -> Call | None:
        call = self._calls.get(call_id)
        if call is None or call.caseworker_conn is not conn:
            conn.send(Error(code="not_found", message="no such call of yours"))
            return None
        return call

    # --- document photos (bytes arrive over HTTP: console/routes/photos.py) ---------------------

    def _photo_request(self, conn: Connection, msg: PhotoRequest) -> None:
        if not REQUEST_ID.fullmatch(msg.request_id):
            conn.send(Error(code="invalid", message="request_id: 1-64 of A-Z a-z 0-9 _ -"))
            return
        call = self._own_caseworker_call(conn, msg.call_id)
        terminal = None if call is None else self._terminals.get(call.terminal.terminal_id)
        if call is not None and terminal is not None:
            self.photos.expect(call.call_id, msg.request_id)
            terminal[1].send(msg)

    # --- call lifecycle ----------------------------------------------------------------------

    def _end(self, call: Call, reason: EndReason) -> None:
        """Remove a call everywhere and tell both sides (those still connected)."""
        self._calls.pop(call.call_id, None)
        self._call_of_terminal.pop(call.terminal.terminal_id, None)
        if call.caseworker is not None:
            self._call_of_caseworker.pop(call.caseworker.caseworker_id, None)
        self._dequeue(call)
        self.photos.call_ended(call.call_id)
        self.prints.call_ended(call.call_id)
        ended = Ended(call_id=call.call_id, reason=reason)
        terminal = self._terminals.get(call.terminal.terminal_id)
        if terminal is not None:
            terminal[1].send(ended)
        if call.caseworker_conn is not None and call.caseworker_conn in self._caseworkers:
            call.caseworker_conn.send(ended)
        self._publish_office(call.terminal.municipality_id)

    def _dequeue(self, call: Call) -> None:
        """Take a call out of its queue; tell the terminals behind it and the desk."""
        removed = self._queues.remove(call.call_id)
        if removed is None:
            return
        municipality_id, position = removed
        for index, item in enumerate(self._queues.waiting(municipality_id), start=1):
            if index >= position:
                terminal = self._terminals.get(item.terminal_id)
                behind = self._calls.get(item.call_id)
                if terminal is not None and behind is not None:
                    terminal[1].send(self._queued(behind, index))
        self._broadcast_queue(municipality_id)

    def _broadcast_queue(self, municipality_id: int) -> None:
        self.to_desk(municipality_id, self._queue_update(municipality_id))
        self._publish_office(municipality_id)

    def to_desk(self, municipality_id: int, message: Message) -> None:
        """Send a message to every connected console page of a municipality."""
        for conn in self._desks.get(municipality_id, ()):
            conn.send(message)

    # --- office status (console/office.py) and estimated wait (console/waits.py) ---------------

    def office_status(self, municipality_id: int) -> OfficeStatus:
        """The municipality's status now: open, free caseworkers, queue, estimated wait."""
        desk = self._desk_ids(municipality_id)
        free = len(desk - self._call_of_caseworker.keys())
        waiting = len(self._queues.waiting(municipality_id))
        wait = self.waits.estimate(municipality_id, waiting, len(desk))
        return self.office.status(municipality_id, free, waiting, wait)

    def _publish_office(self, municipality_id: int) -> bool:
        """Send the status to the municipality's terminals and pages if it changed."""
        if municipality_id not in self._fleet and municipality_id not in self._desks:
            self.office.forget(municipality_id)
            return False
        status = self.office_status(municipality_id)
        if not self.office.changed(municipality_id, status):
            return False
        for terminal_id in self._fleet.get(municipality_id, ()):
            self._terminals[terminal_id][1].send(status)
        self.to_desk(municipality_id, status)
        return True

    def refresh_office(self) -> None:
        """Re-evaluate every municipality someone is connected to (boundaries, new hours)."""
        for municipality_id in set(self._fleet) | set(self._desks):
            self._publish_office(municipality_id)

    def _queued(self, call: Call, position: int) -> Queued:
        desk = self._desk_ids(call.terminal.municipality_id)
        wait = self.waits.estimate(call.terminal.municipality_id, position - 1, len(desk))
        return Queued(call_id=call.call_id, position=position, estimated_wait_s=wait)

    def _desk_ids(self, municipality_id: int) -> set[int]:
        """Caseworkers of a municipality with at least one connected page."""
        return {self._caseworkers[c].caseworker_id for c in self._desks.get(municipality_id, ())}

    def _queue_update(self, municipality_id: int) -> QueueUpdate:
        now = self._clock()
        return QueueUpdate(
            now=now,
            entries=[
                QueueEntry(
                    call_id=item.call_id,
                    terminal_id=item.terminal_id,
                    terminal_name=item.terminal_name,
                    since=item.since,
                    language=item.language,
                    waited_s=max(0.0, now - item.since),
                )
                for item in self._queues.waiting(municipality_id)
            ],
        )

    def _assigned(self, call: Call) -> Assigned:
        return Assigned(
            call_id=call.call_id, terminal_name=call.terminal.name, ice_servers=self.ice_servers
        )

    def _answered(self, call: Call, who: CaseworkerIdentity) -> Answered:
        return Answered(
            call_id=call.call_id, caseworker=who.display_name, ice_servers=self.ice_servers
        )
