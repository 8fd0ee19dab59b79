"""Raw SQL against a test's database, the same on SQLite and PostgreSQL.

Tests that look behind the store (what is stored, what the database itself refuses) use
this instead of ``sqlite3.connect``: it opens the console's own :class:`Database` on the
test's URL, runs one statement in its own transaction (a refused statement aborts only
itself, as PostgreSQL requires) and closes it again. Errors come as SQLAlchemy's
``DBAPIError`` on both backends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from console.config import ConsoleConfig
from console.store import Database


@dataclass(frozen=True)
class Done:
    """What a statement returned: its rows (if any) and how many rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int


async def sql(
    target: ConsoleConfig | str, statement: str, params: Mapping[str, Any] | None = None
) -> Done:
    """Run one statement in its own transaction on the test's database (config or URL)."""
    db = Database.open(target if isinstance(target, str) else target.url)
    try:
        async with db.engine.begin() as conn:
            result = await conn.execute(text(statement), dict(params or {}))
            rows = [tuple(r) for r in result.all()] if result.returns_rows else []
            return Done(rows, int(getattr(result, "rowcount", -1)))
    finally:
        await db.close()
