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
from console.hours import Schedule, parse_week, zone
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
    config: ConsoleConfig, municipality: str, name: str, ttl_hours: float
) -> tuple[TerminalRecord, str]:
    """Create a terminal and its first enrollment code."""
    return await with_store(
        config, lambda store: Enroller(store).add_terminal(municipality, name, ttl_hours)
    )


async def new_code(
    config: ConsoleConfig, terminal_id: str, ttl_hours: float
) -> tuple[TerminalRecord, str]:
    """Issue a fresh enrollment code for an existing terminal."""
    return await with_store(config, lambda store: Enroller(store).new_code(terminal_id, ttl_hours))


async def set_hours(
    config: ConsoleConfig, municipality: str, specs: list[str], timezone: str | None
) -> Schedule:
    """Replace a municipality's opening hours (specs like ``"Mo-Fr 08:00-12:00"``)."""
    spans = parse_week(specs)  # refuse bad input before touching the database
    if timezone is not None:
        zone(timezone)
    return await with_store(
        config, lambda store: HoursStore(store.db).set_week(municipality, spans, timezone)
    )


async def show_hours(config: ConsoleConfig, municipality: str) -> Schedule:
    """A municipality's opening hours and time zone."""
    return await with_store(config, lambda store: HoursStore(store.db).week(municipality))
