"""The audit log: hub events become entries, the database keeps them append-only, an outage
loses nothing."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.audit import Actor, AuditLog
from console.audit_events import AuditEvents
from console.config import ConsoleConfig
from console.errors import StoreError
from console.events import CallAnswered, CallEnded, CallRequested, CallTransferred, ToolUsed
from console.store import Store
from tests.console.sql import sql

pytestmark = pytest.mark.both_backends
T0 = 1_790_000_000.0


async def rows(store: Store) -> list[tuple[object, ...]]:
    async with store.db.session() as s:
        result = await s.execute(
            text(
                "SELECT municipality_id, actor_kind, actor_id, actor_name, action, target_kind,"
                " target_id, detail, at FROM audit_log ORDER BY id"
            )
        )
        return [tuple(r) for r in result.all()]


async def test_call_events_become_metadata_only_entries(store: Store) -> None:
    audit = AuditLog(store.db)
    sink = AuditEvents(audit)
    sink(CallRequested(T0, "c1", 7, "t1", 1, 2, "de"))
    sink(CallAnswered(T0 + 30, "c1", 7, 11, "Alice Amt", 29.96))
    sink(ToolUsed(T0 + 60, "c1", 7, 11, "Alice Amt", "photo", "p-1", 123456))
    sink(ToolUsed(T0 + 70, "c1", 7, 11, "Alice Amt", "print", "job-9", 2048))
    sink(CallTransferred(T0 + 90, "c1", 7, 11, "Alice Amt", None, 3))
    sink(ToolUsed(T0 + 95, "c1", 7, 11, "Alice Amt", "hologram", "x"))  # unknown tool: no entry
    sink(CallEnded(T0 + 200, "c1", 7, "hangup_caseworker", "answered"))
    await audit.flush()
    found = await rows(store)
    assert [r[4] for r in found] == ["call.answer", "photo.take", "print.send", "call.transfer"]
    for r in found:
        assert r[:4] == (7, "caseworker", "11", "Alice Amt")
        assert r[5:7] == ("call", "c1")
    details = [json.loads(str(r[7])) for r in found]
    assert details == [
        {"waited_s": 30.0},
        {"photo_id": "p-1", "size": 123456},
        {"job_id": "job-9", "size": 2048},
        {"to_caseworker_id": None, "to_queue_id": 3},
    ]
    # the entry carries the time the event happened, not the time it was written
    assert str(found[0][8]).startswith("2026-09-21 ")


async def test_database_refuses_updates_and_deleting_young_entries(
    store: Store, config: ConsoleConfig
) -> None:
    audit = AuditLog(store.db)
    now = time.time()
    audit.record_at(now - 91 * 86400, 1, Actor("system", "console", "console"), "old")
    audit.record_at(now - 89 * 86400, 1, Actor("system", "console", "console"), "young")
    await audit.flush()
    with pytest.raises(DBAPIError, match="append-only"):
        await sql(config, "UPDATE audit_log SET actor_name = 'someone else'")
    with pytest.raises(DBAPIError, match="younger than the retention"):
        await sql(config, "DELETE FROM audit_log WHERE action = 'young'")
    with pytest.raises(DBAPIError, match="younger than the retention"):
        await sql(config, "DELETE FROM audit_log")  # all or nothing: the old one stays too
    if config.url.startswith("postgresql"):
        with pytest.raises(DBAPIError, match="append-only"):
            await sql(config, "TRUNCATE audit_log")
    assert (await sql(config, "DELETE FROM audit_log WHERE action = 'old'")).rowcount == 1
    assert (await sql(config, "SELECT action, actor_name FROM audit_log")).rows == [
        ("young", "console")
    ]


async def test_an_outage_keeps_entries_queued_until_the_database_is_back(
    store: Store, config: ConsoleConfig
) -> None:
    audit = AuditLog(store.db)
    await sql(config, "ALTER TABLE audit_log RENAME TO audit_log_away")
    writer = asyncio.create_task(audit.run(retry_s=0.05))
    try:
        AuditEvents(audit)(CallAnswered(T0, "c1", 7, 11, "Alice Amt", 5.0))
        audit.record(7, Actor("caseworker", "11", "Alice Amt"), "print.send", "call", "c1")
        await asyncio.sleep(0.3)  # several failed attempts
        assert audit.pending == 2
        await sql(config, "ALTER TABLE audit_log_away RENAME TO audit_log")
        for _ in range(100):
            if audit.pending == 0:
                break
            await asyncio.sleep(0.02)
        assert audit.pending == 0
    finally:
        writer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writer
    assert [r[4] for r in await rows(store)] == ["call.answer", "print.send"]


async def test_flush_raises_a_store_error_and_keeps_the_batch(
    store: Store, config: ConsoleConfig
) -> None:
    audit = AuditLog(store.db)
    audit.record(7, Actor("caseworker", "11", "Alice"), "call.answer", "call", "c1")
    await sql(config, "ALTER TABLE audit_log RENAME TO audit_log_away")
    with pytest.raises(StoreError):
        await audit.flush()
    assert audit.pending == 1
