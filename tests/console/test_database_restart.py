"""PostgreSQL restarted under a serving console: calls go on, nothing written is lost.

The console runs on a PostgreSQL server of this module's own (the session's shared one must
not go down under other tests). While the server is down a caseworker answers one waiting
call and hangs up, and another terminal asks for a call: the hub keeps its queue in memory,
the audit entries and the call records wait in their writers, and a sign-in is refused with
503. After the server is back the
queue is unchanged, the console signs people in again, and every audit entry and call record
of the outage is in the database exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import TypeVar

import aiohttp
import pytest

from console.config import ConsoleConfig
from console.migrate import run_migrations
from protocol.messages import (
    Answer,
    Answered,
    CallRequest,
    Ended,
    Hangup,
    Message,
    Ping,
    Pong,
    Queued,
    QueueUpdate,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, terminal
from tests.console.sql import sql
from tests.postgres import Postgres, running_postgres

pytestmark = pytest.mark.postgresql

M = TypeVar("M", bound=Message)


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Postgres]:
    """A server this module alone uses, so it may be stopped."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def database_url(own_postgres: Postgres) -> str:
    """A migrated database on the module's own server (overrides the shared server's)."""
    url = own_postgres.create_database(f"r_{uuid.uuid4().hex[:16]}")
    run_migrations(url)
    return url


async def until(peer: Peer, cls: type[M]) -> M:
    """The next message of type ``cls``, skipping others."""
    while True:
        msg = await peer.recv(want=cls)
        if isinstance(msg, cls):
            return msg


async def eventually_rows(config: ConsoleConfig, statement: str, want: int) -> list[tuple]:
    """The rows of ``statement`` once there are ``want`` of them (the writers retry every 2 s)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            rows = (await sql(config, statement)).rows
        except Exception:
            rows = []
        if len(rows) >= want or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_a_postgresql_restart_loses_no_queue_entry_audit_entry_or_call_record(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    config: ConsoleConfig,
    own_postgres: Postgres,
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        t1, _ = await terminal(http, console, seed.a1)
        t2, _ = await terminal(http, console, seed.a2)
        await t1.send(CallRequest(language="de"))
        first = await t1.expect(Queued)
        await until(alice, QueueUpdate)

        own_postgres.stop()
        started = time.monotonic()
        await t2.send(CallRequest(language="uk"))
        second = await t2.expect(Queued)
        assert second.position == 2
        await alice.send(Answer(call_id=first.call_id))
        assert (await until(t1, Answered)).caseworker == "Alice Amt"
        await alice.send(Hangup(call_id=first.call_id))
        assert await until(t1, Ended) == Ended(call_id=first.call_id, reason="hangup_caseworker")
        await t2.send(Ping(seq=1))
        assert await until(t2, Pong) == Pong(seq=1)
        async with http.get(f"{console.base}/login") as refused:  # reads the sign-in options
            assert refused.status == 503, refused.status  # a clear "try again", not a 500
            assert refused.headers["Retry-After"] == "5"
        down_s = time.monotonic() - started
        await asyncio.sleep(max(0.0, 3.0 - down_s))  # let the writers fail and retry

        own_postgres.start()
        audit = await eventually_rows(
            config,
            f"SELECT action FROM audit_log WHERE target_id = '{first.call_id}' ORDER BY id",
            1,
        )
        assert [a for (a,) in audit].count("call.answer") == 1, audit
        records = await eventually_rows(
            config,
            "SELECT call_id, outcome, language FROM call_records"
            f" WHERE call_id = '{first.call_id}' AND ended_at IS NOT NULL",
            1,
        )
        assert records == [(first.call_id, "answered", "de")]
        await asyncio.sleep(2.5)  # one more retry round: nothing written twice
        count = f"SELECT count(*) FROM audit_log WHERE target_id = '{first.call_id}'"
        again = await sql(config, count)
        assert again.rows[0][0] == len(audit)
        waiting = await sql(
            config, f"SELECT outcome FROM call_records WHERE call_id = '{second.call_id}'"
        )
        assert waiting.rows in ([], [("waiting",)])

        # The queue is as it was: the second call is still waiting, first in line now.
        await alice.send(Answer(call_id=second.call_id))
        assert (await until(t2, Answered)).call_id == second.call_id
        await t2.send(Hangup(call_id=second.call_id))
        await until(t2, Ended)

        # New sign-ins reach the restarted server.
        bob_http, _, _ = await caseworker(console, "anton")
        await bob_http.close()
        async with http.get(f"{console.base}/healthz") as resp:
            assert resp.status == 200
    finally:
        await alice_http.close()
