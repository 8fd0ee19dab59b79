"""Bring the database schema to the newest Alembic revision, programmatically.

Used by ``bt-console migrate`` and at the start of ``serve``. Alembic's environment runs
its own event loop (``asyncio.run``), so from async code call it in a worker thread:
``await asyncio.to_thread(run_migrations, url)``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from console.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url
    return cfg


def run_migrations(url: str) -> None:
    """Upgrade the database at ``url`` to every head revision (sibling revisions may branch)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    try:
        command.upgrade(alembic_config(url), "heads")
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(f"migrating the database failed: {err}") from err
