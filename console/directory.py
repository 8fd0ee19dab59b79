"""Who serves what: offices, their queues, caseworkers and terminals, as routing needs them.

The hub routes synchronously and must never wait for the database, so it works from this
snapshot. :func:`run_directory` loads it before the console serves, again whenever
``Services.directory_changed`` is set (an admin changed offices, queues, memberships or a
terminal's office, or a municipality's branding) and every :data:`RELOAD_S` as a fallback
for changes made by the CLI in another process. A load is six small queries (a municipality
has a handful of offices, queues and caseworkers), so reloading the whole snapshot is simpler
than patching it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from console.calls import TerminalIdentity
from console.errors import StoreError
from console.store.database import Database
from console.store.models import (
    Caseworker,
    CaseworkerQueue,
    Municipality,
    Office,
    Queue,
    Terminal,
)

log = logging.getLogger(__name__)

RELOAD_S = 60.0
"""Longest time between two loads, for changes the console was not told about."""

RoutingMode = Literal["longest_idle", "ring_all"]


@dataclass(frozen=True)
class OfficeSpec:
    """An office: a place with terminals, queues and hours."""

    office_id: int
    municipality_id: int
    name: str
    timezone: str = "Europe/Berlin"


@dataclass(frozen=True)
class QueueSpec:
    """A queue (service) of an office and how calls in it are routed."""

    queue_id: int
    office_id: int
    municipality_id: int
    name: str
    routing: RoutingMode = "longest_idle"
    wrap_up_s: float = 60.0
    ring_s: float = 20.0
    answer_limit_s: float = 600.0
    position: int = 0


@dataclass(frozen=True)
class CaseworkerSpec:
    """A caseworker as colleagues see them (transfer menu, supervisors)."""

    caseworker_id: int
    municipality_id: int
    name: str


@dataclass(frozen=True)
class Branding:
    """A municipality's look on its kiosks: accent colour ``"#rrggbb"`` and welcome line."""

    brand_color: str | None = None
    welcome_text: str | None = None


NO_BRANDING = Branding()
_COLOR = re.compile(r"#[0-9a-f]{6}")


def safe_color(value: object) -> str | None:
    """``value`` as lower-case ``"#rrggbb"``, or None for anything else.

    The admin API validates at write time; pages and terminals check again before showing,
    so a row written another way can never put anything but a colour into a page.
    """
    if not isinstance(value, str):
        return None
    color = value.strip().lower()
    return color if _COLOR.fullmatch(color) else None


@dataclass
class Directory:
    """One consistent snapshot; see the module docstring."""

    offices: Mapping[int, OfficeSpec] = field(default_factory=dict)
    queues: Mapping[int, QueueSpec] = field(default_factory=dict)
    caseworkers: Mapping[int, CaseworkerSpec] = field(default_factory=dict)
    memberships: Mapping[int, frozenset[int]] = field(default_factory=dict)
    """Caseworker id -> queue ids they serve; absent means every queue of their municipality."""
    terminals: Mapping[str, int] = field(default_factory=dict)
    """Terminal id -> office id, as stored now (a terminal may have been moved)."""
    brandings: Mapping[int, Branding] = field(default_factory=dict)
    """Municipality id -> its branding; absent means none."""
    _offices_of: dict[int, list[OfficeSpec]] = field(init=False, repr=False)
    _queues_of_office: dict[int, list[QueueSpec]] = field(init=False, repr=False)
    _queues_of: dict[int, list[QueueSpec]] = field(init=False, repr=False)
    _colleagues: dict[int, list[CaseworkerSpec]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Index by municipality and office once: the hub asks on every routing step."""
        self._offices_of = {}
        for o in sorted(self.offices.values(), key=lambda o: o.office_id):
            self._offices_of.setdefault(o.municipality_id, []).append(o)
        self._queues_of_office, self._queues_of = {}, {}
        for q in sorted(self.queues.values(), key=lambda q: (q.position, q.queue_id)):
            self._queues_of_office.setdefault(q.office_id, []).append(q)
        for q in sorted(self.queues.values(), key=lambda q: (q.office_id, q.position, q.queue_id)):
            self._queues_of.setdefault(q.municipality_id, []).append(q)
        self._colleagues = {}
        for c in sorted(
            self.caseworkers.values(), key=lambda c: (c.name.casefold(), c.caseworker_id)
        ):
            self._colleagues.setdefault(c.municipality_id, []).append(c)

    @classmethod
    def build(
        cls,
        offices: Iterable[OfficeSpec] = (),
        queues: Iterable[QueueSpec] = (),
        caseworkers: Iterable[CaseworkerSpec] = (),
        memberships: Mapping[int, Iterable[int]] | None = None,
        terminals: Mapping[str, int] | None = None,
        brandings: Mapping[int, Branding] | None = None,
    ) -> Directory:
        """A directory from plain lists (the loader and tests)."""
        return cls(
            offices={o.office_id: o for o in offices},
            queues={q.queue_id: q for q in queues},
            caseworkers={c.caseworker_id: c for c in caseworkers},
            memberships={k: frozenset(v) for k, v in (memberships or {}).items() if v},
            terminals=dict(terminals or {}),
            brandings=dict(brandings or {}),
        )

    def office(self, office_id: int | None) -> OfficeSpec | None:
        """An office by id."""
        return None if office_id is None else self.offices.get(office_id)

    def offices_of(self, municipality_id: int) -> list[OfficeSpec]:
        """A municipality's offices, oldest first."""
        return list(self._offices_of.get(municipality_id, ()))

    def office_for(self, who: TerminalIdentity) -> OfficeSpec | None:
        """The office a terminal serves: as stored now, as at sign-in, or the municipality's first.

        None only when the municipality has no office in this snapshot (created moments ago).
        """
        for office_id in (self.terminals.get(who.terminal_id), who.office_id):
            office = self.office(office_id)
            if office is not None and office.municipality_id == who.municipality_id:
                return office
        first = self.offices_of(who.municipality_id)
        return first[0] if first else None

    def branding(self, municipality_id: int) -> Branding:
        """The municipality's branding (all None when it has none)."""
        return self.brandings.get(municipality_id, NO_BRANDING)

    def queue(self, queue_id: int | None) -> QueueSpec | None:
        """A queue by id."""
        return None if queue_id is None else self.queues.get(queue_id)

    def queues_of_office(self, office_id: int) -> list[QueueSpec]:
        """An office's queues in the order the welcome screen shows them."""
        return list(self._queues_of_office.get(office_id, ()))

    def queues_of(self, municipality_id: int) -> list[QueueSpec]:
        """A municipality's queues, office by office."""
        return list(self._queues_of.get(municipality_id, ()))

    def serves(self, caseworker_id: int, municipality_id: int, queue: QueueSpec) -> bool:
        """Whether a caseworker of ``municipality_id`` takes calls of ``queue``."""
        if queue.municipality_id != municipality_id:
            return False
        chosen = self.memberships.get(caseworker_id)
        return not chosen or queue.queue_id in chosen

    def colleagues(self, municipality_id: int) -> list[CaseworkerSpec]:
        """The municipality's active caseworkers by name."""
        return list(self._colleagues.get(municipality_id, ()))


async def load_directory(db: Database) -> Directory:
    """Read the whole directory in one transaction; raises StoreError."""
    try:
        async with db.session() as s:
            offices = (await s.scalars(select(Office))).all()
            queues = (await s.scalars(select(Queue))).all()
            people = (await s.scalars(select(Caseworker).where(Caseworker.active))).all()
            members = (
                await s.execute(select(CaseworkerQueue.caseworker_id, CaseworkerQueue.queue_id))
            ).all()
            terminals = (await s.execute(select(Terminal.id, Terminal.office_id))).all()
            brands = (
                await s.execute(
                    select(Municipality.id, Municipality.brand_color, Municipality.welcome_text)
                )
            ).all()
    except SQLAlchemyError as err:
        raise StoreError(f"database error: {err}") from err
    memberships: dict[int, set[int]] = {}
    for caseworker_id, queue_id in members:
        memberships.setdefault(caseworker_id, set()).add(queue_id)
    return Directory.build(
        offices=[OfficeSpec(o.id, o.municipality_id, o.name, o.timezone) for o in offices],
        queues=[
            QueueSpec(
                queue_id=q.id,
                office_id=q.office_id,
                municipality_id=q.municipality_id,
                name=q.name,
                routing="ring_all" if q.routing == "ring_all" else "longest_idle",
                wrap_up_s=float(q.wrap_up_s),
                ring_s=float(q.ring_s),
                answer_limit_s=float(q.answer_limit_s),
                position=q.position,
            )
            for q in queues
        ],
        caseworkers=[CaseworkerSpec(c.id, c.municipality_id, c.display_name) for c in people],
        memberships=memberships,
        terminals={tid: oid for tid, oid in terminals if oid is not None},
        brandings={
            mid: Branding(safe_color(color), text or None)
            for mid, color, text in brands
            if safe_color(color) or text
        },
    )


class Reloadable(Protocol):
    """What :func:`run_directory` needs of the hub."""

    def set_directory(self, directory: Directory) -> None:
        """Route by a new snapshot from now on."""


async def refresh_directory(hub: Reloadable, load: Callable[[], Awaitable[Directory]]) -> None:
    """Load the directory into the hub once; a database error keeps the previous one."""
    try:
        hub.set_directory(await load())
    except StoreError as err:
        log.warning("could not load the routing directory, keeping the previous: %s", err)


async def run_directory(
    hub: Reloadable,
    load: Callable[[], Awaitable[Directory]],
    changed: asyncio.Event,
    reload_s: float = RELOAD_S,
) -> None:
    """Reload whenever ``changed`` is set, and at least every ``reload_s`` seconds.

    The first load is the caller's (:func:`refresh_directory` before serving).
    """
    while True:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation that
        # arrives just as the event is set, and shutdown then waited out a whole reload_s.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(reload_s):
                await changed.wait()
        changed.clear()  # before loading: a change during the load triggers another
        await refresh_directory(hub, load)
