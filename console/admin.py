"""Administrative operations behind the CLI, each opening the store for one task.

Every operation first brings the schema up to date: migrating an up-to-date database is a
no-op, and an operator setting up a new console should not have to know the order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from console.auth import Passwords
from console.config import ConsoleConfig
from console.enroll import Enroller
from console.hours import Schedule, Special, parse_day, parse_exception, parse_week, zone
from console.migrate import run_migrations
from console.store import CaseworkerRecord, Database, MunicipalityRecord, Store, TerminalRecord
from console.store.hours import HoursStore

T = TypeVar("T")


async def with_store(config: ConsoleConfig, action: Callable[[Store], Awaitable[T]]) -> T:
    """Migrate, open the store, run ``action``, close the store."""
    await asyncio.to_thread(run_migrations, config.url)
    db = Database.open(config.url)
    try:
        return await action(Store(db))
    finally:
        await db.close()


async def add_municipality(config: ConsoleConfig, name: str) -> MunicipalityRecord:
    """Create a municipality."""
    return await with_store(config, lambda store: store.add_municipality(name))


async def add_caseworker(
    config: ConsoleConfig,
    municipality: str,
    username: str,
    display_name: str,
    password: str,
    passwords: Passwords | None = None,
    role: str = "caseworker",
) -> CaseworkerRecord:
    """Create a caseworker with an argon2 hash of ``password``."""
    password_hash = (passwords or Passwords()).hash(password)
    return await with_store(
        config,
        lambda store: store.add_caseworker(
            municipality, username, display_name, password_hash, role
        ),
    )


async def add_terminal(
    config: ConsoleConfig,
    municipality: str,
    name: str,
    ttl_hours: float,
    *,
    kind: str = "stationary",
) -> tuple[TerminalRecord, str]:
    """Create a terminal (``kind`` mobile: a staff kit) and its first enrollment code."""
    return await with_store(
        config,
        lambda store: Enroller(store).add_terminal(municipality, name, ttl_hours, kind=kind),
    )


async def new_code(
    config: ConsoleConfig, terminal_id: str, ttl_hours: float
) -> tuple[TerminalRecord, str]:
    """Issue a fresh enrollment code for an existing terminal."""
    return await with_store(config, lambda store: Enroller(store).new_code(terminal_id, ttl_hours))


async def set_hours(
    config: ConsoleConfig,
    office: str | None,
    municipality: str | None,
    specs: list[str],
    timezone: str | None,
) -> Schedule:
    """Replace an office's week (specs like ``"Mo-Fr 08:00-12:00"``); keeps its exceptions."""
    spans = parse_week(specs)  # refuse bad input before touching the database
    if timezone is not None:
        zone(timezone)

    async def act(store: Store) -> Schedule:
        hours = HoursStore(store.db)
        found = await hours.find_office(office, municipality)
        return await hours.set_week(found.id, spans, timezone)

    return await with_store(config, act)


async def show_hours(
    config: ConsoleConfig, office: str | None, municipality: str | None
) -> Schedule:
    """An office's week, time zone and exceptions."""

    async def act(store: Store) -> Schedule:
        hours = HoursStore(store.db)
        return await hours.week((await hours.find_office(office, municipality)).id)

    return await with_store(config, act)


async def add_exception(
    config: ConsoleConfig,
    office: str | None,
    municipality: str | None,
    day: str,
    times: str | None,
    note: str,
) -> list[Special]:
    """Add a holiday (``times`` None) or a day's special hours like ``"08:00-12:00"``."""
    specials = parse_exception(day, times, note)

    async def act(store: Store) -> list[Special]:
        hours = HoursStore(store.db)
        found = await hours.find_office(office, municipality)
        return await hours.add_exceptions(found.id, specials)

    return await with_store(config, act)


async def remove_exception(
    config: ConsoleConfig,
    office: str | None,
    municipality: str | None,
    exception: str,
) -> int:
    """Remove an exception by ``#id`` / id, or every exception of a date ``YYYY-MM-DD``."""
    key = exception.removeprefix("#")
    day = None if key.isdigit() else parse_day(key)

    async def act(store: Store) -> int:
        hours = HoursStore(store.db)
        found = await hours.find_office(office, municipality)
        if day is not None:
            return await hours.remove_day(found.id, day)
        await hours.remove_exception(found.id, int(key))
        return 1

    return await with_store(config, act)
