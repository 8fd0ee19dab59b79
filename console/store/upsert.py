"""``INSERT ... ON CONFLICT DO UPDATE`` for the dialect in use (PostgreSQL or SQLite).

"Read the row, insert it if missing" breaks when two console instances do it at once on
PostgreSQL: both read nothing, both insert, and the second fails on the primary key. One
upsert statement lets the database decide: the second waits for the first and updates its
row. Both dialects spell it the same way in SQLAlchemy, from different modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def upsert(model: type[Any], dialect: str, key: Iterable[str], columns: Iterable[str]) -> Any:
    """An insert of ``model`` rows that updates ``columns`` where ``key`` exists already."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model)
    changed = {name: statement.excluded[name] for name in columns}
    return statement.on_conflict_do_update(index_elements=list(key), set_=changed)
