"""Usage figures from call records: counts and times a municipality can show, no person in them.

Calls are counted by the local day, hour and weekday they were requested, in the
municipality's time zone. Outcomes: ``answered``, ``abandoned`` (the citizen gave up
waiting), ``callback`` (nobody answered within the queue's limit: a callback request
instead), ``closed`` (the console refused or ended it: office closed, shutdown) and
``waiting`` (still running, or the console stopped before it ended).

Waiting time is the time to the first answer, over answered calls; ``abandoned_median``
is how long those who gave up had waited. Medians interpolate between the two middle values;
the 90th percentile is the nearest-rank value (the smallest time at least 90 % of calls
were answered within), so it is always a time some citizen actually waited.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from console.store.usage import NamedCall

OUTCOMES = ("answered", "abandoned", "callback", "closed", "waiting")


def local_range(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds ``[start, end)`` of the local days ``first`` to ``last`` inclusive."""
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def median(values: Sequence[float]) -> float | None:
    """The median rounded to 0.1 s, None for no values."""
    return round(statistics.median(values), 1) if values else None


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) rounded to 0.1 s, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 1)


def figures(calls: Iterable[NamedCall], zone: ZoneInfo, first: date, last: date) -> dict[str, Any]:
    """All figures of the calls requested between the local days ``first`` and ``last``."""
    outcomes: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    weekdays: Counter[int] = Counter()
    days: dict[date, Counter[str]] = {}
    terminals: dict[str, dict[str, Any]] = {}
    queues: dict[int | None, dict[str, Any]] = {}
    waits: list[float] = []
    queue_waits: dict[int | None, list[float]] = {}
    abandoned_waits: list[float] = []
    talks: list[float] = []
    transfers = 0
    for call in calls:
        row = call.row
        outcome = row.outcome if row.outcome in OUTCOMES else "waiting"
        local = row.requested_at.astimezone(zone)
        outcomes[outcome] += 1
        hours[local.hour] += 1
        weekdays[local.isoweekday()] += 1
        days.setdefault(local.date(), Counter())[outcome] += 1
        transfers += row.transfers
        terminal = terminals.setdefault(
            row.terminal_id or "",
            _group(terminal_id=row.terminal_id, name=call.terminal_name or row.terminal_id),
        )
        queue = queues.setdefault(
            row.queue_id,
            _group(queue_id=row.queue_id, name=call.queue_name, office=call.office_name),
        )
        for group in (terminal, queue):
            group["calls"] += 1
            group[outcome] += 1
        if row.answered_at is not None and row.wait_s is not None:
            waits.append(row.wait_s)
            queue_waits.setdefault(row.queue_id, []).append(row.wait_s)
        if outcome == "abandoned" and row.wait_s is not None:
            abandoned_waits.append(row.wait_s)
        if row.talk_s is not None:
            talks.append(row.talk_s)
    for queue_id, queue in queues.items():
        queue["wait_median_s"] = median(queue_waits.get(queue_id, []))
    by_day = []
    day = first
    while day <= last:
        counted = days.get(day, Counter())
        by_day.append({"date": day.isoformat(), "calls": sum(counted.values()), **_split(counted)})
        day += timedelta(days=1)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": zone.key,
        "totals": {"calls": sum(outcomes.values()), **_split(outcomes), "transfers": transfers},
        "wait_s": {
            "median": median(waits),
            "p90": nearest_rank(waits, 0.9),
            "abandoned_median": median(abandoned_waits),
        },
        "talk_s": {"median": median(talks)},
        "by_terminal": sorted(terminals.values(), key=lambda g: (-g["calls"], g["name"] or "")),
        "by_queue": sorted(queues.values(), key=lambda g: (-g["calls"], g["name"] or "")),
        "by_hour": [{"hour": h, "calls": hours[h]} for h in range(24)],
        "by_weekday": [{"weekday": d, "calls": weekdays[d]} for d in range(1, 8)],
        "by_day": by_day,
    }


def _group(**names: Any) -> dict[str, Any]:
    return {**names, "calls": 0, **dict.fromkeys(OUTCOMES, 0)}


def _split(counted: Counter[str]) -> dict[str, int]:
    return {outcome: counted[outcome] for outcome in OUTCOMES}
