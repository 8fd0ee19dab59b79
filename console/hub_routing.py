"""The hub's routing rules: presence, offers, decline, transfer, and everything time-driven.

A mixin of :class:`console.hub.Hub` (which owns the state declared below). The decisions
of who is offered which call live in :func:`console.routing.plan`; this part carries them
out and keeps the timers: an offer rings for its queue's ``ring_s``, wrap-up lasts the
queue's ``wrap_up_s`` after each call (ended early by ``presence.set available``), a call
waiting longer than its queue's ``answer_limit_s`` ends with ``no_answer`` (the kiosk then
offers a callback), and a person who lets MISSED_TO_BREAK offers in a row ring out is put on
a break. :meth:`Routing.tick` acts on all of them; nothing else sleeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.calls import Call, Connection, TerminalIdentity
from console.directory import Directory, QueueSpec
from console.events import CallTransferred, EventSink
from console.presence_state import People, Person, change
from console.queues import CallQueues
from console.routing import MISSED_TO_BREAK, ROUND_PAUSE_S, plan
from protocol.messages import (
    CallOffer,
    Ended,
    EndReason,
    Error,
    OfferEnded,
    PresenceState,
    Transfer,
    Transferred,
)


class Routing:
    """Offers, presence, transfer and timers over the hub's state."""

    directory: Directory
    people: People
    events: EventSink
    _terminals: dict[str, tuple[TerminalIdentity, Connection]]
    _calls: dict[str, Call]
    _call_of_caseworker: dict[int, str]
    _offer_of: dict[int, str]
    _queues: CallQueues
    _office_of_terminal: dict[str, int | None]
    hold_waiting_s: float
    hold_answered_s: float

    if TYPE_CHECKING:

        def _now(self) -> float: ...
        def _end(self, call: Call, reason: EndReason) -> None: ...
        def _place_terminal(self, who: TerminalIdentity) -> int | None: ...
        def _publish_desk(self, municipality_id: int) -> bool: ...
        def _publish_municipality(self, municipality_id: int) -> None: ...
        def _broadcast_queue(self, municipality_id: int) -> None: ...
        def _tell_positions(self, queue_id: int, from_position: int) -> None: ...
        def _call_offer(self, call: Call, person: Person) -> CallOffer: ...
        def refresh_office(self) -> None: ...
        def send_office_status(self, terminal_id: str) -> None: ...

    # --- presence ---------------------------------------------------------------------------

    def _set_state(self, person: Person, state: PresenceState, until: float | None = None) -> bool:
        """Change a person's presence and tell their pages and colleagues; whether it changed."""
        if not change(person, state, self._now(), until):
            return False
        person.send(person.status())
        self._publish_desk(person.who.municipality_id)
        self._publish_municipality(person.who.municipality_id)
        return True

    def _presence_set(self, person: Person, conn: Connection, state: PresenceState) -> None:
        """``presence.set``: available (also ends wrap-up) or break; not during a call."""
        if person.caseworker_id in self._call_of_caseworker:
            conn.send(Error(code="busy", message="finish your current call first"))
            return
        person.missed = 0
        if not self._set_state(person, state):
            conn.send(person.status())
        ringing = self._offer_of.get(person.caseworker_id)
        if state == "break" and ringing is not None and ringing in self._calls:
            self._offer_over(self._calls[ringing], person.caseworker_id, tried=False)
        self._route(person.who.municipality_id)

    def _after_call(self, caseworker_id: int, call: Call) -> None:
        """A person's call ended or was handed on: wrap-up for the queue's time, or available."""
        person = self.people.get(caseworker_id)
        if person is None:
            return
        wrap = 0.0 if call.queue is None else call.queue.wrap_up_s
        if wrap > 0:
            self._set_state(person, "wrap_up", self._now() + wrap)
        else:
            self._set_state(person, "available")

    def _missed(self, caseworker_id: int) -> None:
        """An offer rang out: after MISSED_TO_BREAK in a row the person is put on a break."""
        person = self.people.get(caseworker_id)
        if person is None:
            return
        person.missed += 1
        if person.missed >= MISSED_TO_BREAK and person.state == "available":
            person.missed = 0
            self._set_state(person, "break")

    def _gone(self, caseworker_id: int) -> None:
        """A person closed their last page: whatever rang for them goes on to others."""
        ringing = self._offer_of.get(caseworker_id)
        if ringing is not None and ringing in self._calls:
            self._offer_over(self._calls[ringing], caseworker_id, tried=False)

    # --- offers -----------------------------------------------------------------------------

    def _route(self, municipality_id: int) -> None:
        """Offer the municipality's waiting calls to whoever may take them (see routing.py)."""
        waiting = self._queues.of_municipality(municipality_id)
        if not waiting:
            return
        now = self._now()
        calls = [self._calls[call_id] for call_id in waiting]
        for call in calls:
            if call.pause_until and call.pause_until <= now:  # a new round begins
                call.tried.clear()
                call.pause_until = 0.0
        people = self.people.in_municipality(municipality_id)
        decided = plan(calls, people, set(self._offer_of), self.directory, now)
        for call in decided.new_rounds:
            call.pause_until = now + ROUND_PAUSE_S
        for call, person in decided.offers:
            self._offer(call, person)

    def _offer(self, call: Call, person: Person) -> None:
        ring = 20.0 if call.queue is None else call.queue.ring_s
        call.offers[person.caseworker_id] = self._now() + ring
        self._offer_of[person.caseworker_id] = call.call_id
        person.send(self._call_offer(call, person))

    def _withdraw(self, call: Call, caseworker_id: int, *, tried: bool) -> None:
        """End one offer (OfferEnded to that person); ``tried`` keeps them out of this round."""
        if call.offers.pop(caseworker_id, None) is None:
            return
        if self._offer_of.get(caseworker_id) == call.call_id:
            del self._offer_of[caseworker_id]
        if tried:
            call.tried.add(caseworker_id)
        person = self.people.get(caseworker_id)
        if person is not None:
            person.send(OfferEnded(call_id=call.call_id))

    def _withdraw_all(self, call: Call) -> None:
        for caseworker_id in list(call.offers):
            self._withdraw(call, caseworker_id, tried=False)

    def _offer_over(self, call: Call, caseworker_id: int, *, tried: bool = True) -> None:
        """An offer was declined or rang out: a transfer goes back to its queue; route on."""
        self._withdraw(call, caseworker_id, tried=tried)
        if call.transfer_to == caseworker_id:
            call.transfer_to = None
            if call.queue is not None:
                self._enqueue(call, call.queue, front=True)
        self._route(call.terminal.municipality_id)

    def _decline(self, person: Person, conn: Connection, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or person.caseworker_id not in call.offers:
            conn.send(Error(code="not_found", message="no such call is offered to you"))
            return
        person.missed = 0  # someone is at the desk
        self._offer_over(call, person.caseworker_id)

    def _enqueue(self, call: Call, queue: QueueSpec, *, front: bool) -> None:
        """Put a (handed-on) call into a queue and tell its terminal and the desk."""
        call.queue = queue
        call.queued_at = self._now()
        call.pause_until = 0.0
        position = self._queues.push(
            queue.queue_id, call.terminal.municipality_id, call.call_id, call.since, front=front
        )
        self._tell_positions(queue.queue_id, position)
        self._broadcast_queue(call.terminal.municipality_id)

    # --- transfer -----------------------------------------------------------------------------

    def _transfer(self, person: Person, conn: Connection, msg: Transfer) -> None:
        """``call.transfer``: to an available colleague (rings only them) or a queue's front."""
        call = self._calls.get(msg.call_id)
        if call is None or call.caseworker_conn is not conn or call.caseworker is None:
            conn.send(Error(code="not_found", message="no such call of yours"))
            return
        if (msg.to_caseworker_id is None) == (msg.to_queue_id is None):
            text = "name exactly one of to_caseworker_id and to_queue_id"
            conn.send(Error(code="invalid", message=text))
            return
        municipality_id = person.who.municipality_id
        target: Person | None = None
        queue: QueueSpec | None = None
        if msg.to_caseworker_id is not None:
            target = self.people.get(msg.to_caseworker_id)
            refusal = self._refuse_colleague(person, msg.to_caseworker_id, target)
            if refusal is not None:
                conn.send(refusal)
                return
        else:
            queue = self.directory.queue(msg.to_queue_id)
            if queue is None or queue.municipality_id != municipality_id:
                conn.send(Error(code="not_found", message="no such queue"))
                return
        first = call.caseworker
        del self._call_of_caseworker[first.caseworker_id]
        call.caseworker = None
        call.caseworker_conn = None
        call.transferred_by = first.display_name
        call.queued_at = self._now()  # it waits again from now (the answer limit counts in queues)
        call.tried.clear()
        conn.send(Ended(call_id=call.call_id, reason="transferred"))
        self._after_call(first.caseworker_id, call)
        self.events(CallTransferred(self._now(), call.call_id, municipality_id, first.caseworker_id,
                                    first.display_name, msg.to_caseworker_id,
                                    msg.to_queue_id))  # fmt: skip
        terminal = self._terminals.get(call.terminal.terminal_id)
        if target is not None:
            if terminal is not None:
                to = target.who.display_name
                terminal[1].send(Transferred(call_id=call.call_id, to=to, kind="caseworker"))
            ringing = self._offer_of.get(target.caseworker_id)
            call.transfer_to = target.caseworker_id
            self._offer(call, target)
            if ringing is not None and ringing in self._calls:  # what rang for them goes on
                self._offer_over(self._calls[ringing], target.caseworker_id, tried=False)
            self._publish_desk(municipality_id)
        elif queue is not None:
            if terminal is not None:
                terminal[1].send(Transferred(call_id=call.call_id, to=queue.name, kind="queue"))
            self._enqueue(call, queue, front=True)
        self._route(municipality_id)

    def _refuse_colleague(self, me: Person, target_id: int, target: Person | None) -> Error | None:
        """Why a call cannot be handed to ``target_id``, or None if it can."""
        municipality_id = me.who.municipality_id
        known = self.directory.caseworkers.get(target_id)
        if target is None or target.who.municipality_id != municipality_id:
            if known is not None and known.municipality_id == municipality_id:
                return Error(code="unavailable", message=f"{known.name} is not signed in")
            return Error(code="not_found", message="no such colleague")
        if target is me:
            return Error(code="invalid", message="you are in this call already")
        if target.state != "available" or target_id in self._call_of_caseworker:
            return Error(code="unavailable", message=f"{target.who.display_name} is not available")
        return None

    # --- timers and the directory ---------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Act on what is due at ``now``: wrap-ups, ringing offers, answer limits, pauses.

        Everything else routes as it happens; here only where a timer ran out.
        """
        due: set[int] = set()
        for person in self.people:
            if person.state == "wrap_up" and (person.wrap_up_until or 0.0) <= now:
                self._set_state(person, "available")
                due.add(person.who.municipality_id)
        for call in list(self._calls.values()):
            for caseworker_id, until in list(call.offers.items()):
                if until <= now and call.call_id in self._calls:
                    self._missed(caseworker_id)
                    self._offer_over(call, caseworker_id)
        for call in list(self._calls.values()):
            queue = call.queue
            waiting = queue is not None and call.call_id in self._queues
            hold = self.hold_waiting_s
            if call.caseworker is not None:
                hold = max(hold, self.hold_answered_s)
            if call.away_since is not None and now - call.away_since >= hold:
                self._end(call, "terminal_lost")  # its terminal did not come back in time
            elif waiting and queue is not None and now - call.queued_at >= queue.answer_limit_s:
                self._end(call, "no_answer")
            elif waiting and call.pause_until and call.pause_until <= now:
                due.add(call.terminal.municipality_id)
        for municipality_id in sorted(due):
            self._route(municipality_id)

    def set_directory(self, directory: Directory) -> None:
        """Route by a new snapshot: re-place terminals, re-file calls, re-publish, re-route."""
        self.directory = directory
        moved = []
        for terminal_id, (who, _conn) in list(self._terminals.items()):
            before = self._office_of_terminal.get(terminal_id)
            if self._place_terminal(who) != before:
                moved.append(terminal_id)
        for call in list(self._calls.values()):
            self._refile(call)
        for municipality_id in sorted(self.people.municipalities() | self._queues.municipalities()):
            self._publish_desk(municipality_id)
            self._route(municipality_id)
        self.refresh_office()
        for terminal_id in moved:
            self.send_office_status(terminal_id)

    def _refile(self, call: Call) -> None:
        """Give a call its queue's new settings; a deleted queue's go to the office's first."""
        if call.queue is None:
            return
        fresh = self.directory.queue(call.queue.queue_id)
        if fresh is not None:
            call.queue = fresh
            return
        if call.call_id not in self._queues:
            return
        office = self.directory.office_for(call.terminal)
        queues = [] if office is None else self.directory.queues_of_office(office.office_id)
        if not queues:
            return  # nowhere to go: it stays where it is until answered or its limit
        removed = self._queues.remove(call.call_id)
        if removed is not None:
            self._tell_positions(*removed)
        call.office_id = queues[0].office_id
        call.queue = queues[0]
        self._queues.push(
            queues[0].queue_id, call.terminal.municipality_id, call.call_id, call.since
        )
        self._tell_positions(queues[0].queue_id, 1)
