"""Alembic environment: runs the revisions on the async engine of the given URL.

Alembic executes this file when a migration command runs (that is its design, so work at
import time is expected here and nowhere else). The URL comes from
``config.attributes["url"]``, set by :func:`console.migrate.run_migrations`, so no
``alembic.ini`` with credentials is needed. ``render_as_batch`` lets later revisions
alter columns on SQLite, which has no ALTER COLUMN (on PostgreSQL the batch operations are
plain ALTER TABLE statements). On PostgreSQL the whole upgrade is one transaction (its DDL
is transactional) under an advisory lock, so instances starting together migrate once.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import console.store.update_location
import console.store.visits  # noqa: F401 - its models join Base.metadata
from console.store.models import Base

MIGRATION_LOCK = 0x6274_636F_6E73_6F6C  # "btconsol": PostgreSQL advisory lock key
"""Several console instances start (and so migrate) at once on one PostgreSQL database: the
first takes this lock for its migration transaction, the others wait, then find the schema
at head and do nothing. On SQLite the write lock serialises migrations by itself."""


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _main() -> None:
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migration environment")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_async(url))


_main()
