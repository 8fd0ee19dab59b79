"""Call records from hub events, written in the background, and the figures computed from them."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from console.config import ConsoleConfig
from console.events import CallAnswered, CallEnded, CallRequested, CallTransferred, ToolUsed
from console.store import Store
from console.store.usage import CallRow, NamedCall, UsageStore
from console.usage import UsageRecorder
from console.usage_figures import figures, local_range, median, nearest_rank
from tests.console.sql import sql

pytestmark = pytest.mark.both_backends

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 2026-11-23, 09:00 in Berlin (08:00 UTC)
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC).timestamp()


async def records(store: Store) -> dict[str, dict[str, object]]:
    async with store.db.session() as s:
        result = await s.execute(text("SELECT * FROM call_records"))
        return {row["call_id"]: dict(row) for row in result.mappings().all()}


async def test_events_build_one_record_per_call_without_any_person(store: Store) -> None:
    recorder = UsageRecorder(UsageStore(store.db), clock=lambda: T0 + 600)
    recorder(CallRequested(T0, "c1", 1, "t1", 1, 1, "uk"))
    recorder(CallAnswered(T0 + 42, "c1", 1, 11, "Alice Amt", 42.0))
    recorder(ToolUsed(T0 + 50, "c1", 1, 11, "Alice Amt", "photo", "p1", 10))  # changes nothing
    recorder(CallTransferred(T0 + 100, "c1", 1, 11, "Alice Amt", 12, None))
    recorder(CallAnswered(T0 + 110, "c1", 1, 12, "Anton Amt", 110.0))  # first answer counts
    recorder(CallRequested(T0 + 5, "c2", 1, "t2", 1, 1, None))
    await recorder.flush()
    assert recorder.open_calls == 2
    recorder(CallEnded(T0 + 400, "c1", 1, "hangup_terminal", "answered"))
    recorder(CallEnded(T0 + 65, "c2", 1, "hangup_terminal", "abandoned"))
    recorder(CallAnswered(T0 + 70, "nope", 1, 11, "Alice Amt", 1.0))  # unknown call: ignored
    await recorder.flush()
    assert recorder.open_calls == 0 and recorder.pending == 0
    found = await records(store)
    assert set(found) == {"c1", "c2"}
    c1, c2 = found["c1"], found["c2"]
    assert (c1["outcome"], c1["wait_s"], c1["talk_s"], c1["transfers"]) == (
        "answered",
        42.0,
        358.0,
        1,
    )
    assert (c1["terminal_id"], c1["office_id"], c1["queue_id"], c1["language"]) == (
        "t1",
        1,
        1,
        "uk",
    )
    assert str(c1["requested_at"]).startswith("2026-11-23 08:00:00")
    assert str(c1["answered_at"]).startswith("2026-11-23 08:00:42")
    assert (c2["outcome"], c2["wait_s"], c2["talk_s"], c2["answered_at"]) == (
        "abandoned", 60.0, None, None,
    )  # fmt: skip
    columns = set(c1)
    assert not columns & {"caseworker_id", "name", "phone", "caseworker_name"}


async def test_records_wait_in_memory_through_an_outage(
    store: Store, config: ConsoleConfig
) -> None:
    recorder = UsageRecorder(UsageStore(store.db), clock=lambda: T0 + 600)
    await sql(config, "ALTER TABLE call_records RENAME TO call_records_away")
    writer = asyncio.create_task(recorder.run(retry_s=0.05))
    try:
        recorder(CallRequested(T0, "c1", 1, "t1", 1, 1, "de"))
        recorder(CallAnswered(T0 + 10, "c1", 1, 11, "Alice Amt", 10.0))
        recorder(CallEnded(T0 + 70, "c1", 1, "hangup_caseworker", "answered"))
        await asyncio.sleep(0.3)
        assert recorder.pending == 1 and recorder.open_calls == 1
        await sql(config, "ALTER TABLE call_records_away RENAME TO call_records")
        for _ in range(100):
            if recorder.open_calls == 0:
                break
            await asyncio.sleep(0.02)
    finally:
        writer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writer
    assert recorder.open_calls == 0
    found = await records(store)
    assert (found["c1"]["outcome"], found["c1"]["talk_s"]) == ("answered", 60.0)


def call(
    call_id: str,
    at: datetime,
    outcome: str,
    *,
    wait: float | None = None,
    talk: float | None = None,
    terminal: str = "t1",
    queue: int = 1,
) -> NamedCall:
    answered = outcome == "answered"
    row = CallRow(
        call_id=call_id, municipality_id=1, office_id=1, queue_id=queue, terminal_id=terminal,
        requested_at=at, answered_at=at if answered else None, ended_at=at, outcome=outcome,
        wait_s=wait, talk_s=talk, transfers=1 if call_id == "a3" else 0, language=None,
    )  # fmt: skip
    names = {"t1": "Rathaus", "t2": "Sparkasse"}
    return NamedCall(row, names[terminal], "Rathaus Aldorf", {1: "Meldeamt", 2: "Soziales"}[queue])


def test_figures_count_by_local_hour_weekday_terminal_and_service() -> None:
    mon_9 = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)  # 09:05 in Berlin, Monday
    mon_late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 00:30 Tuesday in Berlin
    wed_14 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 14:00 Wednesday
    calls = [
        call("a1", mon_9, "answered", wait=10, talk=300),
        call("a2", mon_9, "answered", wait=20, talk=100),
        call("a3", wed_14, "answered", wait=200, talk=200, terminal="t2", queue=2),
        call("x1", mon_late, "abandoned", wait=90),
        call("cb", wed_14, "callback", wait=600, queue=2),
    ]
    out = figures(calls, BERLIN, date(2026, 11, 23), date(2026, 11, 26))
    assert out["totals"] == {
        "calls": 5, "answered": 3, "abandoned": 1, "callback": 1, "closed": 0, "waiting": 0,
        "transfers": 1,
    }  # fmt: skip
    assert out["wait_s"] == {"median": 20.0, "p90": 200.0, "abandoned_median": 90.0}
    assert out["talk_s"] == {"median": 200.0}
    hours = {h["hour"]: h["calls"] for h in out["by_hour"] if h["calls"]}
    assert hours == {9: 2, 0: 1, 14: 2}
    weekdays = {w["weekday"]: w["calls"] for w in out["by_weekday"] if w["calls"]}
    assert weekdays == {1: 2, 2: 1, 3: 2}
    assert [(d["date"], d["calls"], d["answered"]) for d in out["by_day"]] == [
        ("2026-11-23", 2, 2), ("2026-11-24", 1, 0), ("2026-11-25", 2, 1), ("2026-11-26", 0, 0),
    ]  # fmt: skip
    terminals = {t["name"]: (t["calls"], t["answered"], t["abandoned"], t["callback"])
                 for t in out["by_terminal"]}  # fmt: skip
    assert terminals == {"Rathaus": (4, 2, 1, 1), "Sparkasse": (1, 1, 0, 0)}
    queues = {q["name"]: (q["calls"], q["wait_median_s"]) for q in out["by_queue"]}
    assert queues == {"Meldeamt": (3, 15.0), "Soziales": (2, 200.0)}
    assert out["by_queue"][0]["office"] == "Rathaus Aldorf"


def test_percentiles_and_local_days_across_dst() -> None:
    assert median([]) is None and nearest_rank([], 0.9) is None
    assert median([1, 2, 3, 10]) == 2.5
    assert nearest_rank(list(range(1, 11)), 0.9) == 9  # 9 of 10 within 9 s
    assert nearest_rank(list(range(1, 12)), 0.9) == 10
    assert nearest_rank([5.0], 0.9) == 5.0
    # the local day of the October change to winter time has 25 hours
    start, end = local_range(date(2026, 10, 25), date(2026, 10, 25), BERLIN)
    assert (start.hour, (end - start).total_seconds()) == (22, 25 * 3600)


async def test_a_call_whose_end_was_lost_leaves_memory_after_a_day(store: Store) -> None:
    now = [T0]
    recorder = UsageRecorder(UsageStore(store.db), clock=lambda: now[0])
    recorder(CallRequested(T0, "lost", 1, "t1", 1, 1, None))
    await recorder.flush()
    assert recorder.open_calls == 1
    now[0] += 13 * 3600
    recorder(CallRequested(now[0], "next", 1, "t1", 1, 1, None))
    await recorder.flush()
    assert recorder.open_calls == 1  # "next" is still running; "lost" is forgotten
    assert (await records(store))["lost"]["outcome"] == "waiting"


class SlowSave(UsageStore):
    """The real store, but each save waits until the test lets it go on."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.db)
        self.started = asyncio.Event()
        self.go_on = asyncio.Event()
        self.finished = 0

    async def save(self, rows: list[CallRow]) -> None:  # type: ignore[override]
        self.started.set()
        await self.go_on.wait()
        await super().save(rows)
        self.finished += 1


async def test_a_flush_cancelled_mid_write_lets_the_write_finish_and_keeps_the_records(
    store: Store,
) -> None:
    # Cut off mid-statement at shutdown, the write left SQLite's lock taken and the last
    # flushes of the audit log and of these records failed ("database is locked").
    slow = SlowSave(store)
    recorder = UsageRecorder(slow, clock=lambda: T0 + 600)
    recorder(CallRequested(T0, "c1", 1, "t1", 1, 1, None))
    flushing = asyncio.create_task(recorder.flush())
    await slow.started.wait()
    flushing.cancel()
    await asyncio.sleep(0.05)
    assert not flushing.done()  # the cancelled flush waits for its write
    slow.go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await flushing
    assert slow.finished == 1 and set(await records(store)) == {"c1"}
    assert recorder.pending == 1  # still marked: the final flush writes it again (an upsert)
    await recorder.flush()
    assert recorder.pending == 0 and slow.finished == 2
