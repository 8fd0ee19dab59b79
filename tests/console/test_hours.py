"""Office hours: schedule logic (DST, midnight, week wrap, exceptions), store, CLI, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import text

from console.__main__ import main
from console.errors import InvalidInputError, NotFoundError
from console.hours import (
    HoursError,
    Schedule,
    Span,
    Special,
    describe_opening,
    format_week,
    is_open,
    merge_exceptions,
    next_change,
    next_open,
    parse_exception,
    parse_week,
    upcoming,
)
from console.migrate import alembic_config, run_migrations
from console.store import Database, Store
from console.store.hours import HoursStore
from console.store.models import Office

pytestmark = pytest.mark.both_backends

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


XMAS = Schedule(
    spans=parse_week(["Mo-Fr 08:00-12:00", "Do 14:00-18:00"]),
    exceptions=(
        *parse_exception("2026-12-24", None, "Heiligabend"),
        *parse_exception("2026-12-28", "10:00-11:00,15:00-16:00", "Zwischen den Jahren"),
        *parse_exception("2026-12-31"),
    ),
)


def test_a_holiday_closes_the_day_and_next_open_skips_it() -> None:
    thursday = at(2026, 12, 24, 9, 0)  # a Thursday: weekly hours 08-12 and 14-18
    assert not is_open(XMAS, thursday)
    assert next_open(XMAS, thursday) == at(2026, 12, 25, 8, 0)  # Friday as usual
    assert next_change(XMAS, at(2026, 12, 23, 13, 0)) == at(2026, 12, 25, 8, 0)
    assert is_open(XMAS, at(2026, 12, 23, 11, 59))  # the day before is normal


def test_special_hours_replace_the_week_for_that_date() -> None:
    monday = at(2026, 12, 28, 9, 0)  # weekly 08-12, this Monday only 10-11 and 15-16
    assert not is_open(XMAS, monday)
    assert next_open(XMAS, monday) == at(2026, 12, 28, 10, 0)
    assert next_open(XMAS, at(2026, 12, 28, 11, 0)) == at(2026, 12, 28, 15, 0)
    assert is_open(XMAS, at(2026, 12, 28, 15, 30))
    assert next_change(XMAS, at(2026, 12, 28, 15, 30)) == at(2026, 12, 28, 16, 0)
    # Thursday 31st is a holiday without a note; Friday 1 January opens as usual.
    assert next_open(XMAS, at(2026, 12, 30, 13, 0)) == at(2027, 1, 1, 8, 0)


def test_a_long_closure_is_searched_past_a_week() -> None:
    closed = Schedule(
        spans=parse_week(["Mo-Fr 08:00-12:00"]),
        exceptions=tuple(Special(date(2026, 7, day)) for day in range(1, 32)),  # closed all July
    )
    assert next_open(closed, at(2026, 6, 30, 13, 0)) == at(2026, 8, 3, 8, 0)
    assert next_change(closed, at(2026, 6, 30, 13, 0)) is None  # nothing within a week


def test_an_office_without_weekly_hours_is_open_except_on_holidays() -> None:
    office = Schedule(exceptions=(Special(date(2026, 5, 1), note="Maifeiertag"),))
    assert is_open(office, at(2026, 4, 30, 23, 0))
    assert not is_open(office, at(2026, 5, 1, 12, 0))
    assert next_open(office, at(2026, 5, 1, 12, 0)) == at(2026, 5, 2, 0, 0)
    assert next_change(office, at(2026, 4, 30, 12, 0)) == at(2026, 5, 1, 0, 0)
    assert next_change(office, at(2026, 5, 2, 12, 0)) is None  # around the clock again


def test_exceptions_across_dst() -> None:
    # Sunday 2026-03-29 (spring forward) with special hours 01:00-04:00: two real hours.
    spring = Schedule(exceptions=tuple(parse_exception("2026-03-29", "01:00-04:00")))
    assert next_change(spring, at(2026, 3, 28, 12, 0)) == at(2026, 3, 29, 0, 0)
    assert next_open(spring, at(2026, 3, 29, 0, 30)) == at(2026, 3, 29, 1, 0)
    assert next_change(spring, at(2026, 3, 29, 1, 30)) - at(2026, 3, 29, 1, 0) == 2 * 3600  # type: ignore[operator]
    # Sunday 2026-10-25 (fall back) a holiday: closed for 25 real hours, open again at midnight.
    autumn = Schedule(exceptions=(Special(date(2026, 10, 25)),))
    start = next_change(autumn, at(2026, 10, 24, 12, 0))
    end = next_open(autumn, at(2026, 10, 25, 12, 0))
    assert start == at(2026, 10, 25, 0, 0) and end == at(2026, 10, 26, 0, 0)
    assert end - start == 25 * 3600  # type: ignore[operator]


def test_upcoming_lists_the_next_three_weeks_in_the_office_zone() -> None:
    days = [e.day.isoformat() for e in upcoming(XMAS, at(2026, 12, 10, 9, 0))]
    assert days == ["2026-12-24", "2026-12-28", "2026-12-28", "2026-12-31"]
    assert upcoming(XMAS, at(2026, 12, 3, 9, 0))[0].note == "Heiligabend"  # 21 days ahead
    assert upcoming(XMAS, at(2026, 12, 2, 9, 0)) == []  # 22 days ahead: not yet
    assert [e.day.day for e in upcoming(XMAS, at(2026, 12, 29, 9, 0))] == [31]


@pytest.mark.parametrize(
    ("day", "times", "says"),
    [
        ("24.12.2026", None, "not a date"),
        ("2026-02-30", None, "not a date"),
        ("2026-12-24", "12:00-08:00", "open before it closes"),
        ("2026-12-24", "08:00", "not a time range"),
        ("2026-12-24", "08:00-12:00,11:00-13:00", "overlaps"),
    ],
)
def test_bad_exceptions_are_refused(day: str, times: str | None, says: str) -> None:
    with pytest.raises(HoursError, match=says):
        merge_exceptions((), parse_exception(day, times))


def test_a_holiday_and_special_hours_on_one_day_conflict() -> None:
    with pytest.raises(HoursError, match="cannot be a holiday and have special hours"):
        merge_exceptions(
            tuple(parse_exception("2026-12-24")), parse_exception("2026-12-24", "08:00-09:00")
        )
    with pytest.raises(HoursError, match="overlaps"):
        merge_exceptions(
            tuple(parse_exception("2026-12-24", "08:00-10:00")),
            parse_exception("2026-12-24", "09:00-11:00"),
        )


async def test_store_per_office(store: Store) -> None:
    await store.add_municipality("Aldorf")
    hours = HoursStore(store.db)
    office = await hours.find_office(None, "Aldorf")
    assert office.name == "Aldorf" and (await hours.find_office(str(office.id), None)) == office
    await hours.set_week(office.id, parse_week(["Mo 09:00-10:00"]), "Europe/Vienna")
    added = await hours.add_exceptions(
        office.id, parse_exception("2026-12-24", None, "Heiligabend")
    )
    assert added[0].id > 0 and added[0].holiday
    with pytest.raises(HoursError, match="holiday"):
        await hours.add_exceptions(office.id, parse_exception("2026-12-24", "08:00-09:00"))
    await hours.add_exceptions(office.id, parse_exception("2026-12-28", "08:00-09:00,10:00-11:00"))
    week = await hours.week(office.id)
    assert (week.timezone, week.office, week.spans) == (
        "Europe/Vienna",
        "Aldorf",
        (Span(1, "09:00", "10:00"),),
    )
    assert [(e.day.day, e.opens) for e in week.exceptions] == [
        (24, None),
        (28, "08:00"),
        (28, "10:00"),
    ]
    everything = await hours.all_weeks(today=date(2026, 12, 26))
    assert [e.day.day for e in everything[office.id].exceptions] == [24, 28, 28]
    later = await hours.all_weeks(today=date(2026, 12, 27))  # the 24th is past: not loaded
    assert [e.day.day for e in later[office.id].exceptions] == [28, 28]
    assert await hours.remove_day(office.id, date(2026, 12, 28)) == 2
    await hours.remove_exception(office.id, added[0].id)
    assert (await hours.week(office.id)).exceptions == ()
    with pytest.raises(NotFoundError):
        await hours.remove_exception(office.id, added[0].id)
    with pytest.raises(NotFoundError, match="no office"):
        await hours.find_office("Nirgendwo", "Aldorf")
    async with store.db.session() as s, s.begin():
        s.add(Office(municipality_id=office.municipality_id, name="Ortsteil", timezone="UTC"))
    with pytest.raises(InvalidInputError, match="several offices match"):
        await hours.find_office(None, "Aldorf")  # two offices now: name one
    branch = await hours.find_office("Ortsteil", "Aldorf")
    assert (branch.name, branch.timezone) == ("Ortsteil", "UTC")
    weeks = await hours.all_weeks()
    assert weeks[branch.id] == Schedule("UTC", (), (), "Ortsteil")  # per office, always open


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
    assert (
        code == 0 and out == "office Aldorf\ntimezone Europe/Berlin\nalways open (no hours set)\n"
    )
    args = ["set-hours", "--municipality", "Aldorf", "Mo-Fr 08:00-12:00", "Do 14:00-18:00"]
    code, out, _ = run_cli([*args, "--timezone", "Europe/Vienna"], capsys)
    assert code == 0 and out.startswith("office Aldorf\ntimezone Europe/Vienna\nMo 08:00-12:00\n")
    code, out, _ = run_cli(["show-hours", "--office", "Aldorf"], capsys)
    assert "Do 14:00-18:00" in out and len(out.splitlines()) == 8
    code, _, err = run_cli(["set-hours", "--municipality", "Aldorf", "Mo 25:00-26:00"], capsys)
    assert code == 2 and "is not a time" in err and "Traceback" not in err
    code, _, err = run_cli(
        ["set-hours", "--municipality", "Aldorf", "--timezone", "Mars/X"], capsys
    )
    assert code == 2 and "unknown time zone" in err
    code, _, err = run_cli(["show-hours", "--municipality", "Nowhere"], capsys)
    assert code == 2 and "no office in municipality 'Nowhere'" in err
    code, _, err = run_cli(["show-hours"], capsys)
    assert code == 2 and "name an office" in err
    code, out, _ = run_cli(["show-hours", "--municipality", "Aldorf"], capsys)
    assert "Europe/Vienna" in out  # the refused commands changed nothing

    code, out, err = run_cli(
        ["add-holiday", "--office", "Aldorf", "--note", "Heiligabend", "2026-12-24"], capsys
    )
    assert code == 0 and "2026-12-24 closed Heiligabend" in out and "added #" in err
    code, out, err = run_cli(
        ["add-exception", "--municipality", "Aldorf", "2026-12-28", "10:00-11:00,15:00-16:00"],
        capsys,
    )
    assert code == 0 and "2026-12-28 10:00-11:00" in out and "2026-12-28 15:00-16:00" in out
    code, _, err = run_cli(
        ["add-exception", "--office", "Aldorf", "2026-12-24", "08:00-09:00"], capsys
    )
    assert code == 2 and "cannot be a holiday" in err
    code, _, err = run_cli(["add-holiday", "--office", "Aldorf", "24.12."], capsys)
    assert code == 2 and "not a date" in err
    code, out, err = run_cli(["remove-exception", "--office", "Aldorf", "2026-12-28"], capsys)
    assert code == 0 and "removed 2 exceptions" in err and "2026-12-28" not in out
    first = next(line for line in out.splitlines() if "2026-12-24" in line)
    code, out, err = run_cli(["remove-exception", "--office", "Aldorf", first.split()[0]], capsys)
    assert code == 0 and "removed 1 exception" in err and "2026-12-24" not in out
    code, _, err = run_cli(["remove-exception", "--office", "Aldorf", first.split()[0]], capsys)
    assert code == 2 and "has no exception" in err
    code, out, _ = run_cli(["set-hours", "--municipality", "Aldorf"], capsys)  # replaces the week
    assert out == "office Aldorf\ntimezone Europe/Vienna\nalways open (no hours set)\n"


def test_migrations_0004_and_0005_move_hours_into_the_office(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(alembic_config(url), "0002")
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO municipalities (id, name, timezone) VALUES (7, 'Altdorf', 'UTC')")
        db.execute(
            "INSERT INTO opening_hours (municipality_id, weekday, opens, closes)"
            " VALUES (7, 2, '09:00', '10:00')"
        )
    run_migrations(url)

    async def check() -> None:
        db = Database.open(url)
        hours = HoursStore(db)
        weeks = await hours.all_weeks()
        assert list(weeks.values()) == [
            Schedule("UTC", (Span(2, "09:00", "10:00"),), (), "Altdorf")
        ]
        async with db.engine.connect() as conn:
            tables = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            names = {row[0] for row in tables}
        assert "opening_hours" not in names and {"office_hours", "office_exceptions"} <= names
        await db.close()

    asyncio.run(check())
    command.downgrade(alembic_config(url), "0004")  # below both 0005 branches and 0006
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT municipality_id, weekday, opens FROM opening_hours").fetchall()
    assert rows == [(7, 2, "09:00")]  # the downgrade gives the hours back
    run_migrations(url)
