"""The async engine and session factory, opened from a URL.

SQLite gets ``foreign_keys=ON`` (off by default there) so cascades behave as they will on
PostgreSQL, a busy timeout so a CLI command running next to ``serve`` waits for the
write lock instead of failing at once, and the write-ahead log: readers (routing-directory
reloads, usage queries, exports) then never block the audit and usage writers, nor do
readers cancelled mid-query at shutdown. ``synchronous`` stays FULL: a confirmed write
survives a power cut.

PostgreSQL (``postgresql+asyncpg://``, several console instances) gets ``pool_pre_ping``:
after a server restart or failover every pooled connection is dead, and without a ping each
would fail one request before the pool noticed; the ping costs one round trip per checkout.
While the server is down or restarting, asyncpg's connect raises plain OSErrors (no socket
file, connection refused, timeout) that SQLAlchemy passes through unwrapped; they are turned
into the driver's OperationalError, so every store method's ``except SQLAlchemyError`` sees
an outage as the database error it is (a StoreError, a 503) and never as a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def shown(url: str) -> str:
    """The URL for messages and logs: its password, if any, replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable database URL)"


class Database:
    """Owns the engine; :meth:`open` creates it, :meth:`close` disposes of it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Database:
        """Create the engine (no connection is made yet)."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        postgres = parsed.get_backend_name() == "postgresql"
        engine = create_async_engine(url, pool_pre_ping=postgres)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if postgres:
            event.listen(engine.sync_engine, "do_connect", _connect_errors_as_database_errors)
        return cls(engine)

    def session(self) -> AsyncSession:
        """A new session; use as ``async with db.session() as s, s.begin(): ...``."""
        return self.sessions()

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def close(self) -> None:
        """Dispose of the connection pool."""
        await self.engine.dispose()


def _connect_errors_as_database_errors(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect as SQLAlchemy would, but an unreachable server raises the driver's
    OperationalError (which SQLAlchemy wraps) instead of a bare OSError."""
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as err:
        raise dialect.loaded_dbapi.OperationalError(f"cannot reach the database: {err}") from err


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
