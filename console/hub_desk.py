"""What the hub shows: the queue list and desk to caseworker pages, office status to terminals.

A mixin of :class:`console.hub.Hub`, split out so the router stays about routing. It reads
the hub's state (declared below) and builds and sends messages; it changes nothing but the
record of what was last sent. OfficeStatus is per office (its terminals see their office;
the municipality's pages see every office); DeskUpdate (colleagues' presence, queues with
their waiting counts) is per municipality. Both are sent only when they differ from the
last one sent, so a busy desk does not flood anyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from console.calls import Call, CaseworkerIdentity, Connection, TerminalIdentity
from console.directory import Directory, OfficeSpec, QueueSpec
from console.office import Office
from console.presence_state import People, Person
from console.queues import CallQueues
from console.turn import caseworker_user, terminal_user
from console.waits import AnswerTimes
from protocol.messages import (
    Answered,
    Assigned,
    CallOffer,
    Colleague,
    DeskUpdate,
    IceServer,
    Message,
    OfficeStatus,
    Queued,
    QueueEntry,
    QueueInfo,
    QueueUpdate,
    ServiceOption,
    Transferred,
)

UNASSIGNED_TIMEZONE = "Europe/Berlin"


def _name(queue: QueueSpec | None) -> str | None:
    """A queue's name for messages; None for no queue or an unnamed one."""
    return None if queue is None else queue.name or None


class DeskViews:
    """Queue list, desk, office status and the per-call messages built from hub state."""

    ice_servers: list[IceServer]
    office: Office
    waits: AnswerTimes
    directory: Directory
    people: People
    _terminals: dict[str, tuple[TerminalIdentity, Connection]]
    _office_of_terminal: dict[str, int | None]
    _office_terminals: dict[int, set[str]]
    _calls: dict[str, Call]
    _queues: CallQueues
    _desk_sent: dict[int, DeskUpdate]

    if TYPE_CHECKING:

        def _now(self) -> float: ...
        def ice_servers_for(self, user: str) -> list[IceServer]: ...  # hub_tools.py (TURN)

    # --- terminals and their offices ------------------------------------------------------

    def _place_terminal(self, who: TerminalIdentity) -> int | None:
        """Resolve and remember which office a connected terminal belongs to now."""
        office = self.directory.office_for(who)
        office_id = None if office is None else office.office_id
        before = self._office_of_terminal.get(who.terminal_id)
        if before is not None and before != office_id:
            here = self._office_terminals.get(before, set())
            here.discard(who.terminal_id)
            if not here:
                self._office_terminals.pop(before, None)
        self._office_of_terminal[who.terminal_id] = office_id
        if office_id is not None:
            self._office_terminals.setdefault(office_id, set()).add(who.terminal_id)
        return office_id

    def to_desk(self, municipality_id: int, message: Message) -> None:
        """Send a message to every connected console page of a municipality."""
        for page in self.people.pages(municipality_id):
            page.send(message)

    # --- office status (console/office.py) and estimated wait (console/waits.py) ---------------

    def _serving(self, office_id: int) -> list[Person]:
        """Signed-in people who serve at least one queue of the office."""
        queues = self.directory.queues_of_office(office_id)
        office = self.directory.office(office_id)
        if office is None:
            return []
        return [
            p
            for p in self.people.in_municipality(office.municipality_id)
            if any(
                self.directory.serves(p.caseworker_id, office.municipality_id, q) for q in queues
            )
        ]

    def office_status(self, office: OfficeSpec) -> OfficeStatus:
        """The office's status now: open, free caseworkers, waiting calls, estimated wait."""
        queues = self.directory.queues_of_office(office.office_id)
        serving = self._serving(office.office_id)
        free = sum(1 for p in serving if p.state == "available")
        waiting = sum(len(self._queues.waiting(q.queue_id)) for q in queues)
        wait = self.waits.estimate(office.office_id, waiting, len(serving))
        status = self.office.status(office.office_id, free, waiting, wait)
        brand = self.directory.branding(office.municipality_id)
        return msgspec.structs.replace(
            status,
            office=status.office or office.name,
            services=[ServiceOption(queue_id=q.queue_id, name=q.name) for q in queues],
            brand_color=brand.brand_color,
            welcome_text=brand.welcome_text,
        )

    def send_office_status(self, terminal_id: str) -> None:
        """Send a terminal its office's current status (after it moved to another office)."""
        terminal = self._terminals.get(terminal_id)
        if terminal is None:
            return
        office = self.directory.office(self._office_of_terminal.get(terminal_id))
        terminal[1].send(self.unassigned_status() if office is None else self.office_status(office))

    def unassigned_status(self) -> OfficeStatus:
        """What a terminal whose office the directory does not know yet is shown: closed."""
        return OfficeStatus(open=False, timezone=UNASSIGNED_TIMEZONE, hours=[])

    def _publish_office(self, office_id: int) -> bool:
        """Send the office's status to its terminals and its municipality's pages if it changed."""
        office = self.directory.office(office_id)
        terminals = self._office_terminals.get(office_id, set())
        desk = office is not None and self.people.present(office.municipality_id)
        if office is None or (not terminals and not desk):
            self.office.forget(office_id)
            return False
        status = self.office_status(office)
        if not self.office.changed(office_id, status):
            return False
        for terminal_id in terminals:
            self._terminals[terminal_id][1].send(status)
        self.to_desk(office.municipality_id, status)
        return True

    def _publish_municipality(self, municipality_id: int) -> None:
        """Re-evaluate every office of a municipality."""
        for office in self.directory.offices_of(municipality_id):
            self._publish_office(office.office_id)

    def refresh_office(self) -> None:
        """Re-evaluate every office someone is connected to (boundaries, new hours)."""
        offices = set(self._office_terminals)
        for municipality_id in self.people.municipalities():
            offices.update(o.office_id for o in self.directory.offices_of(municipality_id))
        for office_id in sorted(offices):
            self._publish_office(office_id)

    # --- the queue list and the desk -----------------------------------------------------------

    def _queue_update(self, municipality_id: int) -> QueueUpdate:
        now = self._now()
        entries = []
        for call_id in self._queues.of_municipality(municipality_id):
            call = self._calls[call_id]
            queue = call.queue
            entries.append(
                QueueEntry(
                    call_id=call.call_id,
                    terminal_id=call.terminal.terminal_id,
                    terminal_name=call.terminal.name,
                    since=call.since,
                    language=call.language,
                    waited_s=max(0.0, now - call.since),
                    queue_id=None if queue is None else queue.queue_id,
                    queue_name=_name(queue),
                    transferred_by=call.transferred_by,
                    staff=call.staff,
                )
            )
        return QueueUpdate(now=now, entries=entries)

    def _broadcast_queue(self, municipality_id: int) -> None:
        self.to_desk(municipality_id, self._queue_update(municipality_id))
        self._publish_desk(municipality_id)
        self._publish_municipality(municipality_id)

    def _desk_update(self, municipality_id: int) -> DeskUpdate:
        people = {p.caseworker_id: p for p in self.people.in_municipality(municipality_id)}
        colleagues = [
            Colleague(
                caseworker_id=c.caseworker_id,
                name=c.name,
                state=people[c.caseworker_id].state if c.caseworker_id in people else "offline",
            )
            for c in self.directory.colleagues(municipality_id)
        ]
        known = {c.caseworker_id for c in colleagues}
        colleagues += [
            Colleague(caseworker_id=p.caseworker_id, name=p.who.display_name, state=p.state)
            for p in people.values()
            if p.caseworker_id not in known
        ]
        offices = {o.office_id: o.name for o in self.directory.offices_of(municipality_id)}
        queues = [
            QueueInfo(
                queue_id=q.queue_id,
                name=q.name,
                office=offices.get(q.office_id, ""),
                waiting=len(self._queues.waiting(q.queue_id)),
            )
            for q in self.directory.queues_of(municipality_id)
        ]
        return DeskUpdate(colleagues=colleagues, queues=queues)

    def _publish_desk(self, municipality_id: int) -> bool:
        """Send the desk to the municipality's pages if it changed; whether it was sent."""
        if not self.people.present(municipality_id):
            self._desk_sent.pop(municipality_id, None)
            return False
        desk = self._desk_update(municipality_id)
        if self._desk_sent.get(municipality_id) == desk:
            return False
        self._desk_sent[municipality_id] = desk
        self.to_desk(municipality_id, desk)
        return True

    # --- per-call messages ----------------------------------------------------------------------

    def _queued(self, call: Call) -> Queued:
        position = self._queues.position(call.call_id) or 1
        serving = 0 if call.office_id is None else len(self._serving(call.office_id))
        wait = None
        if call.office_id is not None:
            wait = self.waits.estimate(call.office_id, position - 1, serving)
        return Queued(
            call_id=call.call_id,
            position=position,
            estimated_wait_s=wait,
            queue=_name(call.queue),
        )

    def _tell_positions(self, queue_id: int, from_position: int) -> None:
        """Send ``call.queued`` to the terminals at ``from_position`` and behind in a queue."""
        for index, call_id in enumerate(self._queues.waiting(queue_id), start=1):
            if index >= from_position:
                terminal = self._terminals.get(self._calls[call_id].terminal.terminal_id)
                if terminal is not None:
                    terminal[1].send(self._queued(self._calls[call_id]))

    def _resend_call_state(self, call: Call, conn: Connection) -> None:
        """A terminal asked again (after a reconnect): where its call stands."""
        if call.caseworker is not None:
            conn.send(self._answered(call, call.caseworker))
        elif call.transfer_to is not None:
            person = self.people.get(call.transfer_to)
            name = "" if person is None else person.who.display_name
            conn.send(Transferred(call_id=call.call_id, to=name, kind="caseworker"))
        else:
            conn.send(self._queued(call))

    def _call_offer(self, call: Call, person: Person) -> CallOffer:
        until = call.offers.get(person.caseworker_id)
        queue = call.queue
        ring = 0.0 if until is None else max(0.0, until - self._now())
        return CallOffer(
            call_id=call.call_id,
            terminal_name=call.terminal.name,
            queue_id=None if queue is None else queue.queue_id,
            queue_name=_name(queue),
            language=call.language,
            ring_s=round(ring, 1),
            transferred_by=call.transferred_by,
            staff=call.staff,
        )

    def _assigned(self, call: Call) -> Assigned:
        user = caseworker_user(call.caseworker.caseworker_id if call.caseworker else 0)
        return Assigned(
            call_id=call.call_id,
            terminal_name=call.terminal.name,
            ice_servers=self.ice_servers_for(user),
            queue_name=_name(call.queue),
            language=call.language,
            transferred_by=call.transferred_by,
            staff=call.staff,
        )

    def _answered(self, call: Call, who: CaseworkerIdentity) -> Answered:
        return Answered(
            call_id=call.call_id,
            caseworker=who.display_name,
            ice_servers=self.ice_servers_for(terminal_user(call.terminal.terminal_id)),
        )
