"""Terminals' last contact and connections (console/presence.py): queued without waiting,
written in batches, coalesced per terminal, kept and retried on a database error, flushed at
shutdown; and a pong that does not wait for a stalled database."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from console.config import ConsoleConfig
from console.errors import StoreError
from console.presence import Presence
from console.store import Store
from console.store.fleet import MAX_SOFTWARE_CHARS, Contact, FleetStore, FleetTerminal
from console.store.models import Terminal
from protocol.messages import PROTOCOL_VERSION, Hello, Ping, Pong, Welcome
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer


class FakeFleet:
    """Records each batch; fails the next ``failures`` writes; a write can be held open."""

    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[Contact]] = []
        self.failures = failures
        self.attempts = 0
        self.release = asyncio.Event()
        self.release.set()
        self.entered = asyncio.Event()

    async def record(self, contacts: Sequence[Contact]) -> None:
        self.attempts += 1
        self.entered.set()
        await self.release.wait()
        if self.failures:
            self.failures -= 1
            raise StoreError("database error: disk I/O error")
        self.batches.append(list(contacts))

    def written(self) -> dict[str, Contact]:
        """Each terminal's contact as the database would hold it after every batch."""
        out: dict[str, Contact] = {}
        for batch in self.batches:
            for c in batch:
                old = out.get(c.terminal_id, Contact(c.terminal_id))
                out[c.terminal_id] = Contact(
                    c.terminal_id,
                    last_seen=c.last_seen or old.last_seen,
                    connection=c.connection or old.connection,
                )
        return out


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def presence(fleet: FakeFleet, clock: Clock | None = None) -> Presence:
    return Presence(fleet, clock=clock or Clock())  # type: ignore[arg-type]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def until(condition: object, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --- the batching writer, with a fake store ---------------------------------------------------


async def test_seen_and_connected_never_wait_and_coalesce_per_terminal() -> None:
    fleet, clock = FakeFleet(), Clock()
    p = presence(fleet, clock)
    p.seen("t1")
    p.connected("t1", "10.0.0.1", "bt-terminal/0.1")
    clock.now += 15
    p.seen("t1")  # within the minute: memory only
    p.connected("t1", "10.0.0.2", "bt-terminal/0.2")  # reconnected: the newer one wins
    p.seen("t2")
    assert p.last_seen("t1") == 1_015.0 and p.pending == 2 and fleet.attempts == 0
    await p.flush()
    assert fleet.batches == [
        [
            Contact("t1", last_seen=at(1_000), connection=("10.0.0.2", "bt-terminal/0.2")),
            Contact("t2", last_seen=at(1_015)),
        ]
    ]
    clock.now += 45  # a minute after t1's written contact
    p.seen("t1")
    await p.flush()
    assert fleet.batches[-1] == [Contact("t1", last_seen=at(1_060))]
    await p.flush()  # nothing queued: no empty transaction
    assert fleet.attempts == 2 and p.pending == 0


async def test_a_failed_write_is_kept_and_merged_with_newer_values() -> None:
    fleet, clock = FakeFleet(failures=1), Clock()
    p = presence(fleet, clock)
    p.connected("t1", "10.0.0.1", "bt-terminal/0.1")
    p.seen("t2")
    fleet.release.clear()
    write = asyncio.create_task(p.flush())
    await fleet.entered.wait()
    clock.now += 61
    p.seen("t1")  # while the write is in flight
    p.connected("t2", "10.0.0.9", "bt-terminal/0.9")
    fleet.release.set()
    with pytest.raises(StoreError):
        await write
    assert p.pending == 2
    await p.flush()
    assert fleet.written() == {
        "t1": Contact("t1", last_seen=at(1_061), connection=("10.0.0.1", "bt-terminal/0.1")),
        "t2": Contact("t2", last_seen=at(1_000), connection=("10.0.0.9", "bt-terminal/0.9")),
    }
    assert p.pending == 0


async def test_the_writer_retries_after_a_store_error_until_written() -> None:
    fleet = FakeFleet(failures=3)
    p = presence(fleet)
    task = asyncio.create_task(p.run(retry_s=0.01, gather_s=0.0))
    p.connected("t1", None, "x\x00" + "y" * 500)  # no NUL, cut to the column
    await until(lambda: fleet.batches)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert fleet.attempts == 4
    assert fleet.written()["t1"].connection == (None, "x" + "y" * (MAX_SOFTWARE_CHARS - 1))


async def test_a_batch_gathers_for_a_moment_and_the_rest_is_flushed_at_shutdown() -> None:
    fleet, clock = FakeFleet(), Clock()
    p = presence(fleet, clock)
    task = asyncio.create_task(p.run(gather_s=0.05))
    for n in range(100):
        p.seen(f"t{n}")
    await until(lambda: fleet.batches)
    assert [len(b) for b in fleet.batches] == [100]  # one transaction, not 100
    p.connected("t1", "10.0.0.1", "bt-terminal/0.1")
    p.seen("late")
    task.cancel()  # before the gathering moment is over
    await asyncio.gather(task, return_exceptions=True)
    assert fleet.batches[-1] == [
        Contact("t1", connection=("10.0.0.1", "bt-terminal/0.1")),
        Contact("late", last_seen=at(1_000)),
    ]
    assert p.pending == 0


async def test_shutdown_during_a_write_waits_for_it_and_writes_what_came_since() -> None:
    fleet = FakeFleet()
    p = presence(fleet)
    task = asyncio.create_task(p.run(gather_s=0.0))
    fleet.release.clear()
    p.seen("t1")
    await fleet.entered.wait()
    p.seen("t2")
    task.cancel()
    await asyncio.sleep(0.01)
    assert not task.done()  # the write in flight is not abandoned
    fleet.release.set()
    await asyncio.gather(task, return_exceptions=True)
    assert [[c.terminal_id for c in b] for b in fleet.batches] == [["t1"], ["t2"]]


async def test_the_fleet_row_shows_a_connection_not_yet_written() -> None:
    fleet = FakeFleet()
    p = presence(fleet)
    row = FleetTerminal("t1", "Rathaus", 1, None, None, None, "10.0.0.1", "old")
    assert p.fresh(row) is row
    p.connected("t1", "10.0.0.2", "new")
    assert (p.fresh(row).last_ip, p.fresh(row).software) == ("10.0.0.2", "new")
    fleet.release.clear()
    write = asyncio.create_task(p.flush())
    await fleet.entered.wait()
    assert p.fresh(row).software == "new"  # while being written, too
    fleet.release.set()
    await write


# --- FleetStore.record on the real databases --------------------------------------------------


@pytest.mark.both_backends
async def test_record_writes_many_terminals_in_one_go(store: Store, seed: Seed) -> None:
    fleet = FleetStore(store.db)
    seen = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    await fleet.record(
        [
            Contact(seed.a1_id, last_seen=seen, connection=("192.0.2.7", "bt-terminal/1.0")),
            Contact(seed.a2_id, last_seen=seen),
            Contact(seed.b1_id, connection=(None, "bt-terminal\x00/2.0")),
            Contact("deleted-meanwhile", last_seen=seen),
        ]
    )
    async with store.db.session() as s:
        rows = {t.id: t for t in (await s.scalars(select(Terminal))).all()}
    assert (rows[seed.a1_id].last_seen, rows[seed.a1_id].last_ip) == (seen, "192.0.2.7")
    assert rows[seed.a1_id].software == "bt-terminal/1.0"
    assert (rows[seed.a2_id].last_seen, rows[seed.a2_id].software) == (seen, None)
    assert rows[seed.b1_id].last_seen is None
    assert (rows[seed.b1_id].last_ip, rows[seed.b1_id].software) == (None, "bt-terminal/2.0")


# --- a stalled database does not delay a pong ---------------------------------------------------


async def test_pongs_come_at_once_while_the_database_write_lock_is_held(
    console: RunningConsole, seed: Seed, config: ConsoleConfig, http: aiohttp.ClientSession
) -> None:
    path = Path(config.url.split("///", 1)[1])
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")  # another process holding SQLite's write lock
        ws = await http.ws_connect(
            f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {seed.a1}"}
        )
        peer = Peer(ws, caseworker=False)
        await peer.send(Hello(protocol=PROTOCOL_VERSION, software="bt-terminal/9.9"))
        await peer.expect(Welcome)
        worst = 0.0
        for seq in range(20):  # ~2 s, beyond the 1 s gathering: the write is stuck meanwhile
            sent = time.monotonic()
            await peer.send(Ping(seq=seq))
            assert await peer.expect(Pong) == Pong(seq=seq)
            worst = max(worst, time.monotonic() - sent)
            await asyncio.sleep(0.1)
        stored = locker.execute("SELECT software FROM terminals WHERE id = ?", (seed.a1_id,))
        assert stored.fetchone() == (None,)  # the write really waits for the lock
        assert worst < 0.25, f"a pong took {worst * 1000:.0f} ms"
    finally:
        locker.execute("ROLLBACK") if locker.in_transaction else None
        locker.close()

    def written() -> bool:
        with sqlite3.connect(path) as check:
            row = check.execute(
                "SELECT software, last_ip, last_seen FROM terminals WHERE id = ?", (seed.a1_id,)
            ).fetchone()
        return bool(row[0] == "bt-terminal/9.9" and row[1] == "127.0.0.1" and row[2])

    await until(written, within_s=10.0)  # once the lock is gone, nothing was lost
    await ws.close()
