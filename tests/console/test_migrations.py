"""The migrations on SQLite and PostgreSQL: 0004 moves existing data into offices and queues
without losing any, every revision downgrades to nothing and up again, and the migrated
schema is exactly what the models describe (Alembic's autogenerate comparison is empty)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, inspect
from sqlalchemy.engine import Connection

from console.migrate import alembic_config, run_migrations
from console.store import Database
from console.store.models import Base
from console.store.update_location import UpdateLocationRow
from tests.console.sql import sql

pytestmark = pytest.mark.both_backends


def run(url: str, *statements: str) -> list[list[tuple[Any, ...]]]:
    """Run statements one by one (each in its own transaction); the rows of each."""
    return [asyncio.run(sql(url, statement)).rows for statement in statements]


def on(url: str, work: Any) -> Any:
    """``work(connection)`` on a synchronous connection to ``url`` (inspection, comparison)."""

    async def go() -> Any:
        db = Database.open(url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(work)
        finally:
            await db.close()

    return asyncio.run(go())


def tables(url: str) -> set[str]:
    return set(on(url, lambda conn: inspect(conn).get_table_names()))


def test_existing_municipality_gets_office_queue_terminals_and_hours(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    command.upgrade(alembic_config(url), "0003")
    run(
        url,
        "INSERT INTO municipalities (id, name, timezone) VALUES (7, 'Adorf', 'Europe/Berlin')",
        "INSERT INTO municipalities (id, name, timezone) VALUES (8, 'Bedorf', 'UTC')",
        "INSERT INTO terminals (id, municipality_id, name) VALUES ('t1', 7, 'Rathaus')",
        "INSERT INTO terminals (id, municipality_id, name) VALUES ('t2', 8, 'Laden')",
        "INSERT INTO opening_hours (municipality_id, weekday, opens, closes)"
        " VALUES (7, 1, '08:00', '12:00'), (7, 4, '14:00', '18:00')",
        "INSERT INTO caseworkers (municipality_id, username, display_name, password_hash,"
        " session_version) VALUES (7, 'anna', 'Anna', 'x', 1)",
    )
    run_migrations(url)
    [offices, office_rows, queues, terminals, hours, person] = run(
        url,
        "SELECT municipality_id, name, timezone FROM offices ORDER BY municipality_id",
        "SELECT municipality_id, id FROM offices",
        "SELECT office_id, municipality_id, name FROM queues",
        "SELECT id, office_id FROM terminals",
        "SELECT office_id, weekday, opens, closes FROM office_hours ORDER BY weekday",
        "SELECT role, active, totp_secret FROM caseworkers WHERE username = 'anna'",
    )
    assert offices == [(7, "Adorf", "Europe/Berlin"), (8, "Bedorf", "UTC")]
    office_of = dict(office_rows)
    assert sorted(queues) == sorted(
        [(office_of[7], 7, "Bürgerservice"), (office_of[8], 8, "Bürgerservice")]
    )
    assert dict(terminals) == {"t1": office_of[7], "t2": office_of[8]}
    assert hours == [(office_of[7], 1, "08:00", "12:00"), (office_of[7], 4, "14:00", "18:00")]
    assert person == [("caseworker", True, None)]  # a real boolean default on both


def test_downgrade_to_0003_keeps_the_hours_then_to_nothing_and_up_again(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    run_migrations(url)
    run(
        url,
        "INSERT INTO municipalities (name, timezone) VALUES ('Adorf', 'Europe/Berlin')",
        "INSERT INTO offices (municipality_id, name, timezone)"
        " SELECT id, 'Rathaus', timezone FROM municipalities",
        "INSERT INTO office_hours (office_id, weekday, opens, closes)"
        " SELECT id, 2, '09:00', '11:00' FROM offices",
    )
    command.downgrade(alembic_config(url), "0003")
    found = tables(url)
    assert "offices" not in found and "audit_log" not in found and "opening_hours" in found
    assert run(url, "SELECT weekday, opens, closes FROM opening_hours") == [[(2, "09:00", "11:00")]]
    command.downgrade(alembic_config(url), "base")
    assert tables(url) == {"alembic_version"}
    run_migrations(url)  # the audit triggers (and PostgreSQL's function) are created anew
    assert {"audit_log", "audit_retention", "update_locations", "offices"} <= tables(url)


def _same_default(
    _context: Any,
    _inspected: Column[Any],
    _metadata: Column[Any],
    inspected: str | None,
    _metadata_default: Any,
    rendered: str | None,
) -> bool | None:
    """Alembic's SQLite comparison sees ``''`` and an empty string default as different."""
    strip = re.compile(r"^\(?'?(.*?)'?\)?$")
    if (
        inspected is not None
        and rendered is not None
        and strip.sub(r"\1", inspected) == strip.sub(r"\1", rendered)
    ):
        return False
    return None  # Alembic's own comparison decides


def test_models_and_migrated_schema_agree(empty_database_url: str) -> None:
    """What autogenerate would write for a new revision: nothing (tables, columns, types,
    nullability, server defaults, indexes, unique constraints, foreign keys)."""
    run_migrations(empty_database_url)
    assert UpdateLocationRow.__table__ is Base.metadata.tables["update_locations"]

    def compare(conn: Connection) -> list[Any]:
        options = {"compare_type": True, "compare_server_default": _same_default}
        context = MigrationContext.configure(conn, opts=options)
        return list(compare_metadata(context, Base.metadata))

    assert on(empty_database_url, compare) == []


@pytest.mark.postgresql
def test_two_instances_starting_at_once_both_migrate(
    empty_database_url: str, tmp_path: Path
) -> None:
    """``serve`` migrates at start: two instances on one fresh database must not both
    create the tables (PostgreSQL runs DDL side by side; SQLite's one writer never did).
    Two ``bt-console migrate`` processes, as two machines would start."""
    env = {
        **os.environ,
        "BT_CONSOLE_DATA_DIR": str(tmp_path),
        "BT_CONSOLE_DATABASE_URL": empty_database_url,
    }
    command = [sys.executable, "-m", "console", "migrate"]
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.Popen(command, env=env, cwd=root, stderr=subprocess.PIPE) for _ in range(2)]
    for proc in runs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode(errors="replace")
    [versions] = run(empty_database_url, "SELECT version_num FROM alembic_version")
    heads = ScriptDirectory.from_config(alembic_config(empty_database_url)).get_heads()
    assert sorted(v for (v,) in versions) == sorted(heads)
