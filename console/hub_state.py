"""The hub's waiting calls and presence as plain records, so another instance can take over.

When the console runs as several instances (console/bus/), one of them owns the calls; it
writes these records to Redis as the queue changes, and the instance that takes over after
it was killed rebuilds its queues from them. Only *waiting* calls are recorded: an answered
call's media runs peer to peer without the console, and a citizen who waits is the one who
must not lose their place. A restored call is ``away`` (its terminal is not connected here
yet) until the terminal comes back (Hub.connect_terminal), or it ends after
``hold_waiting_s`` like any call whose terminal left. Presence (break, wrap-up, idle time)
is remembered per caseworker and applied when their page registers with the new owner, so
someone on a break is not offered calls because another instance took over; "busy" comes
back as available, since the answered call is not carried over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from console.calls import Call, TerminalIdentity
from console.directory import Directory
from console.presence_state import People
from console.queues import CallQueues
from protocol.messages import PresenceState


class WaitingCall(msgspec.Struct, frozen=True, kw_only=True):
    """One waiting call as stored outside the process."""

    call_id: str
    terminal: TerminalIdentity
    since: float
    queue_id: int
    order: float
    """Its place across the municipality's queues (console/queues.py), oldest first."""
    position: int
    """Its place in its queue (1 = next): breaks ties between calls of equal ``order``."""
    queued_at: float
    office_id: int | None = None
    language: str | None = None
    answers: int = 0
    transferred_by: str | None = None


class SavedPresence(msgspec.Struct, frozen=True, kw_only=True):
    """One signed-in caseworker's presence as stored outside the process."""

    caseworker_id: int
    state: PresenceState
    since: float
    idle_since: float
    wrap_up_until: float | None = None


class HubState:
    """Export and import of waiting calls and presence over the hub's state."""

    directory: Directory
    people: People
    _calls: dict[str, Call]
    _call_of_terminal: dict[str, str]
    _queues: CallQueues

    if TYPE_CHECKING:

        def _now(self) -> float: ...
        def _broadcast_queue(self, municipality_id: int) -> None: ...

    def waiting_calls(self) -> list[WaitingCall]:
        """Every call waiting in a queue, as records."""
        found = []
        positions: dict[str, int] = {}
        for queue_id in {w.queue_id for w in map(self._queues.where, self._calls) if w}:
            for n, call_id in enumerate(self._queues.waiting(queue_id), 1):
                positions[call_id] = n
        for call in self._calls.values():
            where = self._queues.where(call.call_id)
            if where is None or call.caseworker is not None:
                continue
            found.append(
                WaitingCall(
                    call_id=call.call_id,
                    terminal=call.terminal,
                    since=call.since,
                    queue_id=where.queue_id,
                    order=where.order,
                    position=positions[call.call_id],
                    queued_at=call.queued_at,
                    office_id=call.office_id,
                    language=call.language,
                    answers=call.answers,
                    transferred_by=call.transferred_by,
                )
            )
        return found

    def restore_waiting(self, records: list[WaitingCall]) -> int:
        """Queue calls recorded by a previous owner, in their order; return how many.

        A call already known, or whose terminal already has one, or whose queue no longer
        exists is left out: nothing is queued twice or into a queue an admin removed.
        """
        now = self._now()
        restored = 0
        touched: set[int] = set()
        for record in sorted(records, key=lambda r: (r.order, r.position)):
            queue = self.directory.queue(record.queue_id)
            terminal_id = record.terminal.terminal_id
            if queue is None or record.call_id in self._calls:
                continue
            if terminal_id in self._call_of_terminal:
                continue
            call = Call(record.call_id, record.terminal, record.since, language=record.language,
                        office_id=record.office_id, queue=queue, queued_at=record.queued_at,
                        answers=record.answers, transferred_by=record.transferred_by,
                        away_since=now)  # fmt: skip
            self._calls[call.call_id] = call
            self._call_of_terminal[terminal_id] = call.call_id
            municipality_id = record.terminal.municipality_id
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
