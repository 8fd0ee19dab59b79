"""Caseworker presence: available, busy, wrap-up, break; offline is simply not being here.

A caseworker may have the console open in two tabs or on two machines: that is one person
with two pages. Presence belongs to the person, so both pages show the same state, get the
same offers, and the person goes offline only when their last page closes. ``idle_since``
is when the person last became available; longest-idle routing (FreeSWITCH mod_callcenter's
``longest-idle-agent``, Asterisk's ``leastrecent``) offers the next call to the smallest.
(:mod:`console.presence` is something else: when each *terminal* was last heard from.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from console.calls import CaseworkerIdentity, Connection
from protocol.messages import Message, PresenceState, PresenceStatus


@dataclass(eq=False)
class Person:
    """A signed-in caseworker with their open pages."""

    who: CaseworkerIdentity
    since: float
    pages: list[Connection] = field(default_factory=list)
    state: PresenceState = "available"
    idle_since: float = 0.0
    wrap_up_until: float | None = None
    missed: int = 0
    """Offers in a row that rang out unanswered (see console/routing.py MISSED_TO_BREAK)."""

    @property
    def caseworker_id(self) -> int:
        """The caseworker's id."""
        return self.who.caseworker_id

    def send(self, message: Message) -> None:
        """Send to every page of this person."""
        for page in self.pages:
            page.send(message)

    def status(self) -> PresenceStatus:
        """The person's presence as their pages show it."""
        return PresenceStatus(state=self.state, since=self.since, wrap_up_until=self.wrap_up_until)


class People:
    """The signed-in caseworkers, by id, by page and by municipality."""

    def __init__(self) -> None:
        self._people: dict[int, Person] = {}
        self._of_page: dict[Connection, Person] = {}
        self._by_municipality: dict[int, dict[int, Person]] = {}
        self.remembered: dict[int, tuple[PresenceState, float, float, float | None]] = {}
        """Presence another console instance saved (console/hub_state.py): state, since,
        idle since and wrap-up end, applied when the person's first page joins here."""

    def join(self, who: CaseworkerIdentity, page: Connection, now: float) -> tuple[Person, bool]:
        """Add a page; return its person and whether the person just came online."""
        person = self._people.get(who.caseworker_id)
        new = person is None
        if person is None:
            person = Person(who, since=now, idle_since=now)
            saved = self.remembered.pop(who.caseworker_id, None)
            if saved is not None:
                person.state, person.since, person.idle_since, person.wrap_up_until = saved
            self._people[who.caseworker_id] = person
            self._by_municipality.setdefault(who.municipality_id, {})[who.caseworker_id] = person
        person.pages.append(page)
        self._of_page[page] = person
        return person, new

    def leave(self, page: Connection) -> Person | None:
        """Remove a page; return its person (offline and forgotten if it was the last page)."""
        person = self._of_page.pop(page, None)
        if person is None:
            return None
        person.pages.remove(page)
        if not person.pages:
            del self._people[person.caseworker_id]
            here = self._by_municipality[person.who.municipality_id]
            del here[person.caseworker_id]
            if not here:
                del self._by_municipality[person.who.municipality_id]
            person.state = "offline"
        return person

    def get(self, caseworker_id: int) -> Person | None:
        """A signed-in person by caseworker id."""
        return self._people.get(caseworker_id)

    def of_page(self, page: Connection) -> Person | None:
        """The person a page belongs to."""
        return self._of_page.get(page)

    def in_municipality(self, municipality_id: int) -> list[Person]:
        """A municipality's signed-in people, longest idle first."""
        found = self._by_municipality.get(municipality_id, {}).values()
        return sorted(found, key=lambda p: (p.idle_since, p.caseworker_id))

    def pages(self, municipality_id: int) -> Iterator[Connection]:
        """Every open page of a municipality."""
        for person in list(self._by_municipality.get(municipality_id, {}).values()):
            yield from person.pages

    def present(self, municipality_id: int) -> bool:
        """Whether anyone of the municipality is signed in."""
        return municipality_id in self._by_municipality

    def municipalities(self) -> set[int]:
        """Municipalities with someone signed in."""
        return set(self._by_municipality)

    def __iter__(self) -> Iterator[Person]:
        return iter(list(self._people.values()))

    def __len__(self) -> int:
        return len(self._people)

    @property
    def page_count(self) -> int:
        """Open pages of all people."""
        return len(self._of_page)


def change(person: Person, state: PresenceState, now: float, until: float | None = None) -> bool:
    """Set a person's state; whether anything changed. Becoming available restarts idle time."""
    if person.state == state and person.wrap_up_until == until:
        return False
    if state == "available" and person.state != "available":
        person.idle_since = now
    person.state = state
    person.since = now
    person.wrap_up_until = until
    return True
