"""The hub's calls and presence as plain records, so another instance can take over.

When the console runs as several instances (console/bus/), one of them owns the calls; it
writes these records to Redis as they change, and the instance that takes over after it
was killed rebuilds its queues from them: a citizen who waits keeps their place. An
answered call's media runs peer to peer without the console, so it goes on through a
failover; its record lets the new owner relay its hang-up, photo and chat messages again
once both sides' sockets have registered. A restored call is ``away`` (its terminal is not
connected here yet) until the terminal comes back (Hub.connect_terminal), or it ends after
``hold_waiting_s`` like any call whose terminal left. Presence (break, wrap-up, idle time)
is remembered per caseworker and applied when their page registers with the new owner, so
someone on a break is not offered calls because another instance took over; "busy" is saved
as available and set again when the person's restored call is joined up with their page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from console.calls import Call, CaseworkerIdentity, Connection, TerminalIdentity
from console.directory import Directory
from console.presence_state import People, Person, change
from console.queues import CallQueues
from protocol.messages import PresenceState


class SavedCall(msgspec.Struct, frozen=True, kw_only=True):
    """One live call as stored outside the process: waiting, or answered by ``caseworker``."""

    call_id: str
    terminal: TerminalIdentity
    since: float
    queue_id: int
    """The queue it waits in (answered: last waited in)."""
    order: float
    """Its place across the municipality's queues (console/queues.py), oldest first."""
    position: int
    """Its place in its queue (1 = next): breaks ties between calls of equal ``order``."""
    queued_at: float
    office_id: int | None = None
    language: str | None = None
    answers: int = 0
    transferred_by: str | None = None
    caseworker: CaseworkerIdentity | None = None
    staff: str | None = None
    terminal_link: str = ""
    """Which socket the terminal was on (console/bus/): an answered call resumes only when
    that same socket registers with the new owner."""


class SavedPresence(msgspec.Struct, frozen=True, kw_only=True):
    """One signed-in caseworker's presence as stored outside the process."""

    caseworker_id: int
    state: PresenceState
    since: float
    idle_since: float
    wrap_up_until: float | None = None


class HubState:
    """Export and import of calls and presence over the hub's state."""

    directory: Directory
    people: People
    _calls: dict[str, Call]
    _call_of_terminal: dict[str, str]
    _call_of_caseworker: dict[int, str]
    _terminals: dict[str, tuple[TerminalIdentity, Connection]]
    _resume: dict[str, str]
    _queues: CallQueues

    if TYPE_CHECKING:

        def _now(self) -> float: ...
        def _broadcast_queue(self, municipality_id: int) -> None: ...

    def saved_calls(
        self,
        link_of: Callable[[Connection], str] = lambda _c: "",
        cache: dict[str, tuple[tuple[object, ...], SavedCall]] | None = None,
    ) -> list[SavedCall]:
        """Every live call as a record: waiting in a queue, ringing at a colleague it is
        handed to (saved as waiting in its queue), or answered; ``link_of`` names the
        terminal's socket across instances. With ``cache`` (kept by the caller between
        calls) an unchanged call gives the very same record object, so the caller can skip
        encoding it: a snapshot of 2000 waiting calls then costs a few milliseconds."""
        found = []
        positions: dict[str, int] = {}
        for waits_in in {w.queue_id for w in map(self._queues.where, self._calls) if w}:
            for n, call_id in enumerate(self._queues.waiting(waits_in), 1):
                positions[call_id] = n
        fresh: dict[str, tuple[tuple[object, ...], SavedCall]] = {}
        for call in self._calls.values():
            terminal = self._terminals.get(call.terminal.terminal_id)
            link = "" if terminal is None else link_of(terminal[1])
            where = self._queues.where(call.call_id)
            queue = None if call.queue is None else call.queue.queue_id
            queue_id = where.queue_id if where is not None else queue
            if queue_id is None:
                continue
            order = where.order if where else call.queued_at
            position = positions.get(call.call_id, 0)
            key = (queue_id, order, position, call.queued_at, call.answers, call.caseworker,
                   call.transferred_by, link, call.office_id, call.language)  # fmt: skip
            hit = None if cache is None else cache.get(call.call_id)
            if hit is not None and hit[0] == key:
                record = hit[1]
            else:
                record = SavedCall(
                    call_id=call.call_id, terminal=call.terminal, since=call.since,
                    queue_id=queue_id, order=order, position=position, queued_at=call.queued_at,
                    office_id=call.office_id, language=call.language, answers=call.answers,
                    transferred_by=call.transferred_by, caseworker=call.caseworker,
                    staff=call.staff, terminal_link=link,
                )  # fmt: skip
            fresh[call.call_id] = (key, record)
            found.append(record)
        if cache is not None:
            cache.clear()
            cache.update(fresh)
        return found

    def restore_calls(self, records: list[SavedCall]) -> int:
        """Take over calls recorded by a previous owner; return how many.

        Waiting calls are queued again in their order. Answered calls keep their caseworker
        and are joined up again as the terminal's and the caseworker's sockets register
        (their media never went through the console). Every restored call is ``away`` until
        its terminal is back, and ends after ``hold_waiting_s`` if it is not. A call already
        known, or whose terminal or caseworker already has one, or whose queue no longer
        exists is left out: nothing is taken twice or queued where an admin removed it.
        """
        now = self._now()
        restored = 0
        touched: set[int] = set()
        for record in sorted(records, key=lambda r: (r.order, r.position)):
            queue = self.directory.queue(record.queue_id)
            terminal_id = record.terminal.terminal_id
            who = record.caseworker
            if queue is None or record.call_id in self._calls:
                continue
            if terminal_id in self._call_of_terminal:
                continue
            if who is not None and who.caseworker_id in self._call_of_caseworker:
                continue
            call = Call(record.call_id, record.terminal, record.since, language=record.language,
                        office_id=record.office_id, queue=queue, queued_at=record.queued_at,
                        answers=record.answers, transferred_by=record.transferred_by,
                        caseworker=who, away_since=now, staff=record.staff)  # fmt: skip
            self._calls[call.call_id] = call
            self._call_of_terminal[terminal_id] = call.call_id
            municipality_id = record.terminal.municipality_id
            if who is not None:
                self._call_of_caseworker[who.caseworker_id] = call.call_id
                self._resume[terminal_id] = record.terminal_link
            else:
                self._queues.push(queue.queue_id, municipality_id, call.call_id, record.order)
            touched.add(municipality_id)
            restored += 1
        for municipality_id in sorted(touched):
            self._broadcast_queue(municipality_id)
        return restored

    def presence(self) -> list[SavedPresence]:
        """Every signed-in caseworker's presence ("busy" saved as available), and what is
        remembered for those not back yet."""
        saved = dict(self.people.remembered)
        for p in self.people:
            saved[p.caseworker_id] = (p.state, p.since, p.idle_since, p.wrap_up_until)
        found = []
        for caseworker_id, (state, since, idle, until) in saved.items():
            found.append(
                SavedPresence(
                    caseworker_id=caseworker_id,
                    state="available" if state == "busy" else state,
                    since=since,
                    idle_since=idle,
                    wrap_up_until=until,
                )
            )
        return found

    def restore_presence(self, records: list[SavedPresence]) -> None:
        """Remember saved presence for people whose page has not registered here yet."""
        for record in records:
            if self.people.get(record.caseworker_id) is None and record.state != "offline":
                self.people.remembered[record.caseworker_id] = (
                    record.state, record.since, record.idle_since, record.wrap_up_until
                )  # fmt: skip

    def _rejoin(self, person: Person, conn: Connection) -> None:
        """A page of a caseworker whose answered call was restored: join it up again."""
        call_id = self._call_of_caseworker.get(person.caseworker_id)
        call = None if call_id is None else self._calls.get(call_id)
        if call is None or call.caseworker_conn is not None:
            return
        call.caseworker_conn = conn
        change(person, "busy", self._now())
