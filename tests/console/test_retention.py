"""Retention: audit entries and call records past their limit are deleted, younger ones kept;
the limit is at most 90 days and the database refuses to delete younger audit entries."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from console.audit import Actor, AuditLog
from console.config import load_config
from console.errors import ConfigError, StoreError
from console.retention import PURGE_EVERY_S, Retention
from console.store import Store
from console.store.audit import AuditStore
from console.store.usage import CallRow, UsageStore

pytestmark = pytest.mark.both_backends

DAY = 86400.0


async def seed(store: Store, now: float, ages_days: list[float]) -> None:
    """One audit entry and one call record per age."""
    audit = AuditLog(store.db)
    rows = []
    for i, age in enumerate(ages_days):
        at = now - age * DAY
        audit.record_at(at, 1, Actor("system", "console", "console"), f"age.{age:g}")
        when = datetime.fromtimestamp(at, UTC)
        rows.append(
            CallRow(
                call_id=f"c{i}", municipality_id=1, office_id=None, queue_id=None,
                terminal_id=None, requested_at=when, answered_at=None, ended_at=when,
                outcome="abandoned", wait_s=3.0, talk_s=None, transfers=0, language=None,
            )
        )  # fmt: skip
    await audit.flush()
    await UsageStore(store.db).save(rows)


async def left(store: Store) -> tuple[list[str], list[str]]:
    async with store.db.session() as s:
        actions = (await s.execute(text("SELECT action FROM audit_log ORDER BY at"))).scalars()
        calls = (
            await s.execute(text("SELECT call_id FROM call_records ORDER BY call_id"))
        ).scalars()
        return list(actions), list(calls)


async def test_old_entries_and_records_go_younger_ones_stay(store: Store) -> None:
    now = time.time()
    await seed(store, now, [200, 91, 89, 1])
    retention = Retention(AuditStore(store.db), UsageStore(store.db), 90, 90, clock=lambda: now)
    assert await retention.purge() == (2, 2, 0)
    assert await left(store) == (["age.89", "age.1"], ["c2", "c3"])
    assert await retention.purge() == (0, 0, 0)


async def test_shorter_limits_apply_once_the_database_knows_them(store: Store) -> None:
    now = time.time()
    await seed(store, now, [40, 20])
    audit_store = AuditStore(store.db)
    retention = Retention(audit_store, UsageStore(store.db), 30, 10, clock=lambda: now)
    # the database still protects 90 days: the audit purge is refused, the usage purge runs
    with pytest.raises(StoreError, match="younger than the retention"):
        await retention.purge()
    assert await left(store) == (["age.40", "age.20"], [])
    await audit_store.set_retention(30)
    assert await retention.purge() == (1, 0, 0)
    assert await left(store) == (["age.20"], [])


async def test_a_clock_ahead_of_the_database_cannot_delete_young_entries(store: Store) -> None:
    now = time.time()
    await seed(store, now, [10])
    ahead = Retention(
        AuditStore(store.db), UsageStore(store.db), 90, 90, clock=lambda: now + 100 * DAY
    )
    with pytest.raises(StoreError):
        await ahead.purge()
    assert (await left(store))[0] == ["age.10"]


async def test_run_stores_the_limit_and_purges_daily(store: Store) -> None:
    now = [time.time()]
    await seed(store, now[0], [95, 60, 5])
    sleeps: list[float] = []
    purged = asyncio.Event()

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += DAY * 30  # a month passes per "day" of the job, to see a second purge
        if len(sleeps) == 2:
            purged.set()
            await asyncio.Event().wait()

    retention = Retention(AuditStore(store.db), UsageStore(store.db), 60, 60, clock=lambda: now[0])
    task = asyncio.create_task(retention.run(sleep=sleep))
    await asyncio.wait_for(purged.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sleeps == [PURGE_EVERY_S, PURGE_EVERY_S]
    async with store.db.session() as s:
        days = (await s.execute(text("SELECT days FROM audit_retention"))).scalar_one()
    assert days == 60
    # the first purge took the 95-day-old ones; the second, a month later, the 60-day-old ones
    assert await left(store) == (["age.5"], ["c2"])


def test_config_refuses_audit_retention_beyond_three_months(tmp_path: Path) -> None:
    assert load_config(env={}).audit_retention_days == 90
    assert load_config(env={}).usage_retention_days == 90
    config = load_config(env={"BT_CONSOLE_AUDIT_RETENTION_DAYS": "30"})
    assert config.audit_retention_days == 30
    for bad in ("91", "365", "0", "-1", "soon"):
        with pytest.raises(ConfigError, match="audit_retention_days"):
            load_config(env={"BT_CONSOLE_AUDIT_RETENTION_DAYS": bad})
    path = tmp_path / "console.toml"
    path.write_text("audit_retention_days = 120\n")
    with pytest.raises(ConfigError, match="audit_retention_days"):
        load_config(path)
    path.write_text("usage_retention_days = 365\n")
    assert load_config(path).usage_retention_days == 365
    # constructed directly with too much, the purge job still keeps at most 90 days
    retention = Retention(None, None, audit_days=400)  # type: ignore[arg-type]
    assert retention.audit_days == 90
    assert timedelta(days=retention.audit_days) == timedelta(days=90)
