"""Many enrolled terminals and signed-up caseworkers in a console's database, quickly.

Benches need thousands of terminals that the console authenticates exactly as real ones
(``Authorization: Bearer <terminal_id>.<secret>`` checked against the stored sha256).
Trading a code through :class:`console.enroll.Enroller` costs about 19 ms per terminal
on SQLite with ``synchronous=FULL`` (measured here: 500 in 9.5 s), over three minutes for
10,000; :func:`enroll_fleet` writes what a redeemed code leaves behind (the terminal row
with the credential's hash in the municipality's first office, its code marked used),
built with the console's own id, code and hash functions, in one transaction.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from console.enroll import hash_code, hash_secret, new_code, new_terminal_id
from console.migrate import run_migrations
from console.store import Database, Store
from console.store.models import EnrollmentCode, Municipality, Office, Terminal
from tests.console.conftest import cheap_passwords

PASSWORD = "bench password 1234"
"""Every bench caseworker's password (the console's minimum length is met)."""


async def migrate(url: str) -> None:
    """Bring the schema up to date (Alembic runs its own event loop: in a thread)."""
    await asyncio.to_thread(run_migrations, url)


async def add_municipalities(url: str, names: list[str]) -> None:
    """Create municipalities, each with its office and default queue."""
    db = Database.open(url)
    try:
        store = Store(db)
        for name in names:
            await store.add_municipality(name)
    finally:
        await db.close()


async def add_caseworkers(url: str, people: list[tuple[str, str]]) -> None:
    """Create caseworkers ``(municipality, username)`` with the password :data:`PASSWORD`."""
    passwords = cheap_passwords()  # sign-in is set-up here, not what is measured
    hashed = passwords.hash(PASSWORD)
    db = Database.open(url)
    try:
        store = Store(db)
        for municipality, username in people:
            await store.add_caseworker(municipality, username, username.title(), hashed)
    finally:
        await db.close()


async def enroll_fleet(url: str, municipality: str, count: int, prefix: str = "T") -> list[str]:
    """``count`` enrolled terminals in ``municipality``'s first office; their credentials."""
    now = datetime.now(UTC)
    db = Database.open(url)
    credentials = []
    try:
        async with db.session() as s, s.begin():
            muni_id = await s.scalar(
                select(Municipality.id).where(Municipality.name == municipality)
            )
            if muni_id is None:
                raise LookupError(f"no municipality {municipality!r}")
            office_id = await s.scalar(
                select(Office.id).where(Office.municipality_id == muni_id).order_by(Office.id)
            )
            secrets_of = {new_terminal_id(): secrets.token_urlsafe(32) for _ in range(count)}
            for number, (terminal_id, secret) in enumerate(secrets_of.items()):
                s.add(
                    Terminal(
                        id=terminal_id,
                        municipality_id=muni_id,
                        name=f"{prefix}{number}",
                        office_id=office_id,
                        credential_hash=hash_secret(secret),
                        enrolled_at=now,
                    )
                )
            await s.flush()  # no ORM relationship orders the codes after their terminals
            for terminal_id, secret in secrets_of.items():
                s.add(
                    EnrollmentCode(
                        code_hash=hash_code(new_code()),
                        terminal_id=terminal_id,
                        expires_at=now + timedelta(hours=1),
                        used_at=now,
                    )
                )
                credentials.append(f"{terminal_id}.{secret}")
    finally:
        await db.close()
    return credentials
