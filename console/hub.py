"""Call routing between terminals and caseworkers, independent of Quart and of sockets.

The hub owns all call state (who is connected, which call waits in which queue, who rings,
who talks to whom, who is in wrap-up) and is the only writer of it. Its methods are
synchronous and connections only *enqueue* outgoing messages (:class:`Connection`), so one
routing step never interleaves with another and a slow or dead client cannot stall anyone
else. Time-driven rules (ringing, wrap-up, answer limits) run in :meth:`Hub.tick`, called
every second by :func:`console.routing.run_ticks` with the hub's clock, so tests drive time.
The WebSocket layer authenticates, decodes and hands messages in; tests drive the hub with
fake connections. The parts around it: :mod:`console.hub_terminal` (terminals and their
call requests), :mod:`console.hub_routing` (offers, presence, transfer, timers),
:mod:`console.hub_desk` (what pages and terminals are shown), :mod:`console.hub_tools`
(photos, printing, cards), :mod:`console.hub_hold` (an answered call held while its terminal's
network is away, and resumed).

Measured with ``bench/hub_routing.py`` (1000 municipalities, 10,000 terminals, 3000 pages,
2000 waiting calls; one core of the build machine): a ``call.request`` with queueing and
offers takes a median 0.1 ms, an answer and hang-up 0.2 ms, a tick 0.9 ms (0.2 s in the one
tick where all 6000 offers ring out together), so routing never holds the loop noticeably.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from console import chat
from console.calls import Call, CaseworkerIdentity, Connection, TerminalIdentity
from console.directory import Directory
from console.events import CallAnswered, CallEnded, EventSink, discard
from console.hub_desk import DeskViews
from console.hub_hold import CallHold
from console.hub_routing import Routing
from console.hub_state import HubState
from console.hub_terminal import CLOSE_REPLACED, TerminalSide
from console.hub_tools import CallTools
from console.office import Office
from console.photos import REQUEST_ID, PhotoStore
from console.presence_state import People, change
from console.printing import PrintJobs
from console.queues import CallQueues
from console.turn import TurnCredentials
from console.waits import AnswerTimes
from protocol.messages import (
    Answer,
    CardStatus,
    CardType,
    CaseworkerToConsole,
    Chat,
    Decline,
    DeskUpdate,
    Ended,
    EndReason,
    Error,
    Hangup,
    Hello,
    IceServer,
    PhotoRequest,
    Ping,
    PresenceSet,
    RtcAnswer,
    Transfer,
)

__all__ = ["CLOSE_REPLACED", "Call", "CaseworkerIdentity", "Connection", "Hub", "TerminalIdentity"]


class Hub(TerminalSide, CallHold, CallTools, Routing, DeskViews, HubState):
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
        directory: Directory | None = None,
        turn: TurnCredentials | None = None,
        hold_waiting_s: float = 0.0,
        hold_answered_s: float = 0.0,
    ) -> None:
        self.ice_servers = list(ice_servers)
        self.turn = turn
        """Mints each recipient's own TURN credential (console/turn.py); None: no TURN."""
        self.photos = photos if photos is not None else PhotoStore()
        self.prints = prints if prints is not None else PrintJobs()
        self.office = office if office is not None else Office(clock)
        self.waits = AnswerTimes()
        self.events = events
        """Where call events go (audit log, usage figures): see console/events.py."""
        self.directory = directory if directory is not None else Directory()
        self.on_stale: Callable[[], None] = lambda: None
        """Called when a terminal's office is unknown: the app then reloads the directory."""
        self._clock = clock
        self._new_call_id = new_call_id
        self.hold_waiting_s = hold_waiting_s
        """How long a waiting call keeps its place after its terminal's socket is lost (0: it
        ends at once). Several instances set it so a terminal can reconnect elsewhere."""
        self.hold_answered_s = hold_answered_s
        """How long an answered call is held after its terminal's socket was lost, while its
        caseworker stays (0: it ends at once): the terminal may resume it (``hello.resume``)."""
        self.reset()

    def reset(self) -> None:
        """Forget every connection, call and person (an instance losing or taking ownership
        of the calls, console/bus/); configuration and collaborators stay."""
        self.people = People()
        self._terminals: dict[str, tuple[TerminalIdentity, Connection]] = {}
        self._office_of_terminal: dict[str, int | None] = {}
        self._office_terminals: dict[int, set[str]] = {}
        self._calls: dict[str, Call] = {}
        self._call_of_terminal: dict[str, str] = {}
        self._call_of_caseworker: dict[int, str] = {}
        self._offer_of: dict[int, str] = {}
        self._queues = CallQueues()
        self._parts: dict[str, dict[str, str]] = {}
        self._cards: dict[str, CardType | None] = {}
        self._software: dict[str, str] = {}
        self._desk_sent: dict[int, DeskUpdate] = {}
        self._resume: dict[str, str] = {}
        """Terminal id -> the link its answered call was restored with (console/hub_state.py)."""
        self._last_end: dict[str, tuple[str, EndReason]] = {}
        """Terminal id -> its last call and why it ended: a terminal that comes back asking to
        resume a call that ended meanwhile is told the real reason (one entry per terminal)."""

    def now(self) -> float:
        """The hub's clock (seconds since the epoch); run_ticks passes it to tick()."""
        return self._clock()

    def _now(self) -> float:
        return self._clock()

    # --- who is connected ------------------------------------------------------------------

    @property
    def terminals_online(self) -> int:
        """Connected terminals."""
        return len(self._terminals)

    @property
    def caseworkers_online(self) -> int:
        """Distinct caseworkers with at least one connected console page."""
        return len(self.people)

    def parts(self, terminal_id: str) -> dict[str, str]:
        """Last reported parts health of a terminal."""
        return dict(self._parts.get(terminal_id, {}))

    def call(self, call_id: str) -> Call | None:
        """A live call by id (for tests and the fleet view)."""
        return self._calls.get(call_id)

    def connect_caseworker(self, who: CaseworkerIdentity, conn: Connection) -> None:
        """Register a caseworker page after its hello: queue, presence, desk, office status."""
        person, new = self.people.join(who, conn, self._clock())
        self._rejoin(person, conn)
        municipality_id = who.municipality_id
        conn.send(self._queue_update(municipality_id))
        conn.send(person.status())
        if not self._publish_desk(municipality_id):
            conn.send(self._desk_update(municipality_id))
        for office in self.directory.offices_of(municipality_id):
            if not self._publish_office(office.office_id):
                conn.send(self.office_status(office))
        ringing = self._offer_of.get(who.caseworker_id)
        if ringing is not None and ringing in self._calls:
            conn.send(self._call_offer(self._calls[ringing], person))
        if new:
            self._route(municipality_id)

    def disconnect_caseworker(self, conn: Connection) -> None:
        """Forget a caseworker page; a call it was in ends; the last page takes the person off."""
        person = self.people.leave(conn)
        if person is None:
            return
        call_id = self._call_of_caseworker.get(person.caseworker_id)
        if call_id is not None and self._calls[call_id].caseworker_conn is conn:
            self._end(self._calls[call_id], "caseworker_lost")
        if not person.pages:
            self._gone(person.caseworker_id)
        self._publish_desk(person.who.municipality_id)
        self._publish_municipality(person.who.municipality_id)
        self._route(person.who.municipality_id)

    def close_all(self, code: int) -> None:
        """Close every connection (shutdown); their handlers then disconnect them."""
        for _who, conn in list(self._terminals.values()):
            conn.close(code, "console shutting down")
        for person in self.people:
            for page in list(person.pages):
                page.close(code, "console shutting down")

    # --- caseworker messages ------------------------------------------------------------

    def from_caseworker(self, conn: Connection, msg: CaseworkerToConsole) -> None:
        """Handle one decoded message of a registered caseworker page (after hello)."""
        person = self.people.of_page(conn)
        if person is None:
            return
        if isinstance(msg, Answer):
            self._answer(person.who, conn, msg.call_id)
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
        elif isinstance(msg, PresenceSet):
            self._presence_set(person, conn, msg.state)
        elif isinstance(msg, Decline):
            self._decline(person, conn, msg.call_id)
        elif isinstance(msg, Transfer):
            self._transfer(person, conn, msg)
        elif isinstance(msg, Hello | Ping):
            conn.send(Error(code="unexpected", message=f"{type(msg).__name__} not expected here"))

    def _answer(self, who: CaseworkerIdentity, conn: Connection, call_id: str) -> None:
        """Take a waiting or offered call (an explicit answer also ends wrap-up or a break)."""
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
        if call.transfer_to not in (None, who.caseworker_id):
            conn.send(Error(code="taken", message="this call is being handed to a colleague"))
            return
        if who.caseworker_id in self._call_of_caseworker:
            conn.send(Error(code="busy", message="finish your current call first"))
            return
        now = self._clock()
        self._withdraw_all(call)
        call.transfer_to = None
        call.tried.clear()
        call.caseworker = who
        call.caseworker_conn = conn
        self._call_of_caseworker[who.caseworker_id] = call.call_id
        waited = now - call.queued_at
        if call.office_id is not None and not call.answers:  # a citizen's first wait only
            self.waits.answered(call.office_id, waited)
        call.answers += 1
        self._dequeue(call)
        person = self.people.get(who.caseworker_id)
        if person is not None:
            person.missed = 0
        if person is not None and change(person, "busy", now):
            person.send(person.status())
        other = self._offer_of.get(who.caseworker_id)  # ringing for another call meanwhile
        if other is not None and other in self._calls:
            self._offer_over(self._calls[other], who.caseworker_id, tried=False)
        conn.send(self._assigned(call))
        if self._cards.get(call.terminal.terminal_id) is not None:
            conn.send(CardStatus(card=self._cards[call.terminal.terminal_id], call_id=call.call_id))
        terminal = self._terminals.get(call.terminal.terminal_id)
        if terminal is not None:
            terminal[1].send(self._answered(call, who))
        self.events(CallAnswered(now, call.call_id, who.municipality_id, who.caseworker_id,
                                 who.display_name, waited))  # fmt: skip
        self._publish_desk(who.municipality_id)
        self._publish_municipality(who.municipality_id)
        self._route(who.municipality_id)

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
        now = self._clock()
        self._calls.pop(call.call_id, None)
        self._call_of_terminal.pop(call.terminal.terminal_id, None)
        if call.caseworker is not None:
            self._call_of_caseworker.pop(call.caseworker.caseworker_id, None)
        self._withdraw_all(call)
        self._dequeue(call)
        self.photos.call_ended(call.call_id)
        self.prints.call_ended(call.call_id)
        ended = Ended(call_id=call.call_id, reason=reason)
        self._last_end[call.terminal.terminal_id] = (call.call_id, reason)
        terminal = self._terminals.get(call.terminal.terminal_id)
        if terminal is not None:
            terminal[1].send(ended)
        if call.caseworker_conn is not None and self.people.of_page(call.caseworker_conn):
            call.caseworker_conn.send(ended)
        outcome = "answered" if call.answers else "abandoned"
        if reason == "no_answer":
            outcome = "callback"
        municipality_id = call.terminal.municipality_id
        self.events(CallEnded(now, call.call_id, municipality_id, reason, outcome))
        if call.caseworker is not None:
            self._after_call(call.caseworker.caseworker_id, call)
        self._publish_desk(municipality_id)
        self._publish_municipality(municipality_id)
        self._route(municipality_id)

    def _dequeue(self, call: Call) -> None:
        """Take a call out of its queue; tell the terminals behind it and the desk."""
        removed = self._queues.remove(call.call_id)
        if removed is None:
            return
        queue_id, position = removed
        self._tell_positions(queue_id, position)
        self._broadcast_queue(call.terminal.municipality_id)
