"""Shared plumbing of the admin stores: one transaction, database errors translated.

A unique constraint that fails becomes :class:`~console.errors.AlreadyExistsError` (409),
any other database failure :class:`~console.errors.StoreError` (503): SQLAlchemy's
exceptions never leave the store package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from console.errors import AlreadyExistsError, StoreError
from console.store.database import Database


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
