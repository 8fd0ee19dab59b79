"""Revision 0004 moves existing data into offices and queues without losing any."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from console.migrate import alembic_config, run_migrations


def test_existing_municipality_gets_office_queue_terminals_and_hours(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(alembic_config(url), "0003")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO municipalities (id, name, timezone) VALUES (7, 'Adorf', 'Europe/Berlin')"
        )
        db.execute("INSERT INTO municipalities (id, name, timezone) VALUES (8, 'Bedorf', 'UTC')")
        db.execute("INSERT INTO terminals (id, municipality_id, name) VALUES ('t1', 7, 'Rathaus')")
        db.execute("INSERT INTO terminals (id, municipality_id, name) VALUES ('t2', 8, 'Laden')")
        db.execute(
            "INSERT INTO opening_hours (municipality_id, weekday, opens, closes)"
            " VALUES (7, 1, '08:00', '12:00'), (7, 4, '14:00', '18:00')"
        )
        db.execute(
            "INSERT INTO caseworkers (municipality_id, username, display_name, password_hash,"
            " session_version) VALUES (7, 'anna', 'Anna', 'x', 1)"
        )
    run_migrations(url)
    with sqlite3.connect(path) as db:
        offices = db.execute(
            "SELECT municipality_id, name, timezone FROM offices ORDER BY municipality_id"
        ).fetchall()
        assert offices == [(7, "Adorf", "Europe/Berlin"), (8, "Bedorf", "UTC")]
        office_of = dict(db.execute("SELECT municipality_id, id FROM offices").fetchall())
        queues = db.execute("SELECT office_id, municipality_id, name FROM queues").fetchall()
        assert sorted(queues) == sorted(
            [(office_of[7], 7, "Bürgerservice"), (office_of[8], 8, "Bürgerservice")]
        )
        terminals = dict(db.execute("SELECT id, office_id FROM terminals").fetchall())
        assert terminals == {"t1": office_of[7], "t2": office_of[8]}
        hours = db.execute(
            "SELECT office_id, weekday, opens, closes FROM office_hours ORDER BY weekday"
        ).fetchall()
        assert hours == [(office_of[7], 1, "08:00", "12:00"), (office_of[7], 4, "14:00", "18:00")]
        role, active, secret = db.execute(
            "SELECT role, active, totp_secret FROM caseworkers WHERE username = 'anna'"
        ).fetchone()
        assert (role, active, secret) == ("caseworker", 1, None)


def test_downgrade_to_0003_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    run_migrations(url)
    command.downgrade(alembic_config(url), "0003")
    with sqlite3.connect(tmp_path / "console.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "offices" not in tables and "opening_hours" in tables
    run_migrations(url)
