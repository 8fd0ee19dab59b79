"""Shared plumbing of the admin stores: one transaction, database errors translated, and the
lock that keeps a municipality's rules when several console instances change it at once.

A unique constraint that fails becomes :class:`~console.errors.AlreadyExistsError` (409),
any other database failure :class:`~console.errors.StoreError` (503): SQLAlchemy's
exceptions never leave the store package.

Rules over several rows (a municipality keeps an active admin, an office keeps a queue, the
last office stays) are checked by counting and then writing. On SQLite one writer at a time
made that safe: a second transaction that had counted before the first one wrote failed
instead of writing. On PostgreSQL (read committed) both would count, both see the rule kept,
and both write, breaking it. :func:`lock_municipality` takes the municipality's row lock
first (``SELECT ... FOR UPDATE``), so such changes of one municipality run one after the
other and each counts what the one before it committed. SQLite ignores ``FOR UPDATE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import AlreadyExistsError, StoreError
from console.store.database import Database
from console.store.models import Municipality


@asynccontextmanager
async def transaction(
    db: Database, duplicate: str = "already exists"
) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction; ``duplicate`` is the 409 message for a taken name."""
    try:
        async with db.session() as s, s.begin():
            yield s
    except IntegrityError as err:
        raise AlreadyExistsError(duplicate) from err
    except SQLAlchemyError as err:
        raise StoreError(f"database error: {err}") from err


async def lock_municipality(s: AsyncSession, municipality_id: int) -> None:
    """Hold the municipality's row lock until the transaction ends (see the module doc)."""
    await s.execute(
        select(Municipality.id).where(Municipality.id == municipality_id).with_for_update()
    )
