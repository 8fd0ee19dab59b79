"""``?from=YYYY-MM-DD&to=YYYY-MM-DD``: the date range of the usage and audit endpoints.

Both days are local days of the municipality and both are included. Omitted, ``to`` is
today and ``from`` the day ``default_days - 1`` before it. Anything else answers 400 with a
message naming the parameter: a malformed date, ``from`` after ``to``, or a range longer
than ``max_days``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.errors import InvalidInputError

FROM_TO_PARAMS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": text,
        "schema": {"type": "string", "format": "date"},
    }
    for name, text in (
        ("from", "First local day (YYYY-MM-DD), included; default: the range ends today."),
        ("to", "Last local day (YYYY-MM-DD), included; default today."),
    )
]
"""The OpenAPI description of the two query parameters."""


def parse_day(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` date; 400 naming the parameter otherwise."""
    if len(value) != 10:
        raise InvalidInputError(f"{name}: expected a date YYYY-MM-DD, got {value[:20]!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise InvalidInputError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from err


def day_range(
    args: Mapping[str, str], zone: ZoneInfo, now: datetime, default_days: int, max_days: int
) -> tuple[date, date]:
    """The local days (first, last) the request asks for; see the module docstring."""
    raw_to = args.get("to")
    raw_from = args.get("from")
    last = parse_day(raw_to, "to") if raw_to else now.astimezone(zone).date()
    first = parse_day(raw_from, "from") if raw_from else last - timedelta(days=default_days - 1)
    if first > last:
        raise InvalidInputError("from: must not be after to")
    if (last - first).days + 1 > max_days:
        raise InvalidInputError(f"the range may span at most {max_days} days")
    if last.year >= 9999 or first.year <= 1:
        raise InvalidInputError("the range lies outside the calendar")
    return first, last


def zone(name: str) -> ZoneInfo:
    """The municipality's IANA zone; Europe/Berlin if the stored name is unusable."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Berlin")
