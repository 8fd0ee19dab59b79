"""Office hours: the pure schedule logic (DST, midnight, week wrap), the CLI and migration 0002."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import text

from console.__main__ import main
from console.hours import (
    HoursError,
    Schedule,
    Span,
    describe_opening,
    format_week,
    is_open,
    next_change,
    next_open,
    parse_week,
)
from console.migrate import alembic_config, run_migrations
from console.store import Database
from console.store.hours import HoursStore

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args: int, tz: ZoneInfo = BERLIN) -> float:
    return datetime(*args, tzinfo=tz).timestamp()  # type: ignore[misc]


WEEK = Schedule(spans=parse_week(["Mo-Fr 08:00-12:00", "Do 14:00-18:00"]))


def test_parse_and_format() -> None:
    assert format_week(WEEK) == [
        "Mo 08:00-12:00",
        "Di 08:00-12:00",
        "Mi 08:00-12:00",
        "Do 08:00-12:00",
        "Do 14:00-18:00",
        "Fr 08:00-12:00",
    ]
    assert parse_week(["Mo,Mi 08:00-09:00,10:00-11:30"]) == (
        Span(1, "08:00", "09:00"),
        Span(1, "10:00", "11:30"),
        Span(3, "08:00", "09:00"),
        Span(3, "10:00", "11:30"),
    )
    assert parse_week(["sa 20:00-24:00"]) == (Span(6, "20:00", "24:00"),)
    assert parse_week(["Th 08:00-09:00"]) == (Span(4, "08:00", "09:00"),)  # English too


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("Mo-Fr", "expected days and times"),
        ("Xx 08:00-12:00", "not a weekday"),
        ("Fr-Mo 08:00-12:00", "runs backwards"),
        ("Mo 8:00-12:00", "not a time"),
        ("Mo 08:00-24:30", "not a time"),
        ("Mo 12:00-08:00", "open before it closes"),
        ("Mo 08:00", "not a time range"),
    ],
)
def test_bad_specs_are_refused_clearly(spec: str, says: str) -> None:
    with pytest.raises(HoursError, match=says):
        parse_week([spec])


def test_overlap_refused() -> None:
    with pytest.raises(HoursError, match="overlaps"):
        parse_week(["Mo-Fr 08:00-12:00", "Mo 11:00-13:00"])


def test_open_now_and_next_opening_within_a_week() -> None:
    assert is_open(WEEK, at(2026, 1, 15, 8, 0))  # Thursday 08:00 sharp: open
    assert not is_open(WEEK, at(2026, 1, 15, 12, 0))  # 12:00 sharp: closed
    assert next_open(WEEK, at(2026, 1, 15, 12, 0)) == at(2026, 1, 15, 14, 0)
    assert next_change(WEEK, at(2026, 1, 15, 9, 0)) == at(2026, 1, 15, 12, 0)
    assert next_open(WEEK, at(2026, 1, 15, 9, 0)) is None  # open now
    # Friday afternoon -> Monday morning: across the weekend and the week's wrap.
    assert next_open(WEEK, at(2026, 1, 16, 13, 0)) == at(2026, 1, 19, 8, 0)
    assert describe_opening(WEEK, at(2026, 1, 19, 8, 0)) == "Mo 19.01. 08:00 (Europe/Berlin)"


def test_always_open_without_hours() -> None:
    empty = Schedule()
    assert is_open(empty, at(2026, 1, 18, 3, 0))
    assert next_open(empty, 0.0) is None and next_change(empty, 0.0) is None


def test_midnight_spans_join_across_days() -> None:
    night = Schedule(spans=parse_week(["Fr 20:00-24:00", "Sa 00:00-02:00"]))
    assert is_open(night, at(2026, 1, 16, 23, 59))
    assert is_open(night, at(2026, 1, 17, 0, 0))
    assert next_change(night, at(2026, 1, 16, 21, 0)) == at(2026, 1, 17, 2, 0)  # merged
    assert next_open(night, at(2026, 1, 17, 2, 0)) == at(2026, 1, 23, 20, 0)


def test_dst_spring_forward_keeps_wall_clock_times() -> None:
    # 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST. Opening hours stay wall times.
    sunday = Schedule(spans=parse_week(["So 01:00-04:00", "Mo 08:00-12:00"]))
    opens, closes = at(2026, 3, 29, 1, 0), at(2026, 3, 29, 4, 0)
    assert closes - opens == 2 * 3600  # a 3-hour span on the wall lasts 2 hours that night
    assert is_open(sunday, at(2026, 3, 29, 3, 30))
    assert next_open(sunday, at(2026, 3, 29, 5, 0)) == at(2026, 3, 30, 8, 0)
    assert datetime.fromtimestamp(at(2026, 3, 30, 8, 0), BERLIN).utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    # A span starting inside the gap (02:30 does not exist) starts at 03:30 CEST.
    gap = Schedule(spans=(Span(7, "02:30", "05:00"),))
    assert next_open(gap, at(2026, 3, 29, 1, 0)) == at(2026, 3, 29, 3, 30)


def test_dst_fall_back_and_other_zones() -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET; the Monday after opens at 08:00 CET.
    week = Schedule(spans=parse_week(["Mo-Fr 08:00-12:00"]))
    assert next_open(week, at(2026, 10, 23, 13, 0)) == at(2026, 10, 26, 8, 0)
    assert at(2026, 10, 26, 8, 0) - at(2026, 10, 23, 8, 0) == 3 * 86400 + 3600
    sunday = Schedule(spans=parse_week(["So 01:00-04:00"]))
    assert at(2026, 10, 25, 4, 0) - at(2026, 10, 25, 1, 0) == 4 * 3600  # 25-hour day
    assert is_open(sunday, at(2026, 10, 25, 3, 59))
    lisbon = Schedule(timezone="Europe/Lisbon", spans=parse_week(["Mo 08:00-12:00"]))
    assert next_open(lisbon, at(2026, 1, 19, 8, 30)) == at(
        2026, 1, 19, 8, 0, tz=ZoneInfo("Europe/Lisbon")
    )


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_set_and_show_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BT_CONSOLE_DATA_DIR", str(tmp_path))
    assert main(["add-municipality", "Aldorf"]) == 0
    code, out, _ = run_cli(["show-hours", "--municipality", "Aldorf"], capsys)
    assert code == 0 and out == "timezone Europe/Berlin\nalways open (no hours set)\n"
    args = ["set-hours", "--municipality", "Aldorf", "Mo-Fr 08:00-12:00", "Do 14:00-18:00"]
    code, out, _ = run_cli([*args, "--timezone", "Europe/Vienna"], capsys)
    assert code == 0 and out.startswith("timezone Europe/Vienna\nMo 08:00-12:00\n")
    code, out, _ = run_cli(["show-hours", "--municipality", "Aldorf"], capsys)
    assert "Do 14:00-18:00" in out and len(out.splitlines()) == 7
    code, _, err = run_cli(["set-hours", "--municipality", "Aldorf", "Mo 25:00-26:00"], capsys)
    assert code == 2 and "is not a time" in err and "Traceback" not in err
    code, _, err = run_cli(
        ["set-hours", "--municipality", "Aldorf", "--timezone", "Mars/X"], capsys
    )
    assert code == 2 and "unknown time zone" in err
    code, _, err = run_cli(["show-hours", "--municipality", "Nowhere"], capsys)
    assert code == 2 and "no municipality" in err
    code, out, _ = run_cli(["show-hours", "--municipality", "Aldorf"], capsys)
    assert "Europe/Vienna" in out  # the refused commands changed nothing
    code, out, _ = run_cli(["set-hours", "--municipality", "Aldorf"], capsys)  # replaces the week
    assert out == "timezone Europe/Vienna\nalways open (no hours set)\n"


def test_migration_0002_upgrades_an_existing_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")

    async def seed_old() -> None:
        db = Database.open(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO municipalities (id, name) VALUES (7, 'Altdorf')"))
        await db.close()

    asyncio.run(seed_old())
    run_migrations(url)

    async def check() -> None:
        db = Database.open(url)
        hours = HoursStore(db)
        assert await hours.all_weeks() == {7: Schedule("Europe/Berlin", ())}
        await hours.set_week("Altdorf", parse_week(["Mo 09:00-10:00"]))
        assert (await hours.week("Altdorf")).spans == (Span(1, "09:00", "10:00"),)
        async with db.engine.connect() as conn:
            tables = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            assert {"opening_hours", "callbacks"} <= {row[0] for row in tables}
        await db.close()

    asyncio.run(check())
