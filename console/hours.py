"""Office hours: parsing "Mo-Fr 08:00-12:00", open-now and next opening, on an injected clock.

Pure functions over a :class:`Schedule` (IANA time zone plus weekly spans in local time), no
I/O and no global clock, so the tricky cases are unit-tested directly: a day with 23 or 25
hours at the DST changes, spans that end at midnight ("24:00"), a week wrapping from Sunday
to Monday. Local times are turned into instants with :mod:`zoneinfo` day by day, so an
opening at 08:00 is 08:00 on the wall clock on both sides of a DST change. A local time
that does not exist (the spring-forward gap, 02:00-03:00 in Germany) is read with the offset
before the change (PEP 495, ``fold=0``), i.e. moved forward by the hour the clocks skip.

No spans at all means *always open*: a console without configured hours behaves as before
(the demo and tests need no set-up). The timezone database comes from the ``tzdata``
package when the system has none.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.errors import ConsoleError

DEFAULT_TIMEZONE = "Europe/Berlin"
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
"""German abbreviations; ISO weekday = index + 1. English ones are accepted too."""
_ENGLISH = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_DAY_SPEC = re.compile(r"^([A-Za-z]{2})(?:-([A-Za-z]{2}))?$")


class HoursError(ConsoleError):
    """Office hours or a time zone given by an operator are not valid."""

    code = "invalid_hours"
    status = 400


@dataclass(frozen=True, order=True)
class Span:
    """One opening period: ISO weekday (1 = Monday) and local "HH:MM" times, opens < closes."""

    weekday: int
    opens: str
    closes: str


@dataclass(frozen=True)
class Schedule:
    """A municipality's week in its time zone; no spans = always open."""

    timezone: str = DEFAULT_TIMEZONE
    spans: tuple[Span, ...] = ()

    @property
    def always_open(self) -> bool:
        """Whether no hours are configured."""
        return not self.spans


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or HoursError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        message = f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        raise HoursError(message) from err


def _minutes(text: str) -> int:
    found = _TIME.match(text)
    if found is None or (found.group(1) == "24" and found.group(2) != "00"):
        raise HoursError(f"{text!r} is not a time HH:MM between 00:00 and 24:00")
    return int(found.group(1)) * 60 + int(found.group(2))


def _weekday(abbr: str) -> int:
    key = abbr[:1].upper() + abbr[1:].lower()
    for names in (WEEKDAYS, _ENGLISH):
        if key in names:
            return names.index(key) + 1
    raise HoursError(f"{abbr!r} is not a weekday (Mo Di Mi Do Fr Sa So)")


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        found = _DAY_SPEC.match(part.strip())
        if found is None:
            raise HoursError(f"{part.strip()!r} is not a weekday or a range like Mo-Fr")
        first = _weekday(found.group(1))
        last = _weekday(found.group(2)) if found.group(2) else first
        if last < first:
            raise HoursError(f"the weekday range {part.strip()!r} runs backwards")
        days.extend(range(first, last + 1))
    return days


def parse_spec(spec: str) -> list[Span]:
    """Parse one spec like ``"Mo-Fr 08:00-12:00"`` or ``"Mo,Mi 08:00-12:00,13:00-15:30"``."""
    words = spec.split()
    if len(words) != 2:
        raise HoursError(f"{spec!r}: expected days and times, like 'Mo-Fr 08:00-12:00'")
    spans: list[Span] = []
    for period in words[1].split(","):
        opens, sep, closes = period.partition("-")
        if not sep:
            raise HoursError(f"{period!r} is not a time range like 08:00-12:00")
        start, end = _minutes(opens), _minutes(closes)
        if start >= end:
            raise HoursError(f"{period!r}: the office must open before it closes")
        spans.extend(Span(day, opens, closes) for day in _days(words[0]))
    return spans


def parse_week(specs: list[str]) -> tuple[Span, ...]:
    """Parse all specs of a week; overlapping spans of one day are refused."""
    spans = sorted(span for spec in specs for span in parse_spec(spec))
    for before, after in itertools.pairwise(spans):
        if before.weekday == after.weekday and _minutes(after.opens) < _minutes(before.closes):
            day = WEEKDAYS[before.weekday - 1]
            raise HoursError(
                f"{day} {before.opens}-{before.closes} overlaps {day} {after.opens}-{after.closes}"
            )
    return tuple(spans)


def format_week(schedule: Schedule) -> list[str]:
    """One line per span, like ``"Mo 08:00-12:00"``; ``[]`` when always open."""
    return [f"{WEEKDAYS[s.weekday - 1]} {s.opens}-{s.closes}" for s in sorted(schedule.spans)]


def _instant(day: date, hhmm: str, tz: ZoneInfo) -> float:
    minutes = _minutes(hhmm)
    if minutes == 24 * 60:  # 24:00 is midnight at the start of the next day
        day, minutes = day + timedelta(days=1), 0
    wall = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=tz)
    return wall.timestamp()


def intervals(schedule: Schedule, now: float, days: int = 8) -> list[tuple[float, float]]:
    """Opening intervals (epoch seconds) from the day before ``now`` for ``days`` days, merged."""
    tz = zone(schedule.timezone)
    today = datetime.fromtimestamp(now, tz).date()
    found: list[tuple[float, float]] = []
    for offset in range(-1, days):
        day = today + timedelta(days=offset)
        for span in schedule.spans:
            if span.weekday == day.isoweekday():
                found.append((_instant(day, span.opens, tz), _instant(day, span.closes, tz)))
    merged: list[tuple[float, float]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_open(schedule: Schedule, now: float) -> bool:
    """Whether calls are taken at ``now``."""
    if schedule.always_open:
        return True
    return any(start <= now < end for start, end in intervals(schedule, now))


def next_open(schedule: Schedule, now: float) -> float | None:
    """When the office next opens after ``now`` if it is closed now; None if open (or never)."""
    if is_open(schedule, now):
        return None
    return next((start for start, _ in intervals(schedule, now) if start > now), None)


def next_change(schedule: Schedule, now: float) -> float | None:
    """The next opening or closing instant after ``now``; None when always open."""
    if schedule.always_open:
        return None
    edges = (edge for interval in intervals(schedule, now) for edge in interval)
    return min((edge for edge in edges if edge > now), default=None)


def describe_opening(schedule: Schedule, when: float) -> str:
    """``when`` in the municipality's zone, e.g. ``"Mo 02.03. 08:00 (Europe/Berlin)"``."""
    local = datetime.fromtimestamp(when, zone(schedule.timezone))
    day = WEEKDAYS[local.isoweekday() - 1]
    return f"{day} {local:%d.%m.} {local:%H:%M} ({schedule.timezone})"
