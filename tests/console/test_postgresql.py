"""The console on PostgreSQL: two instances writing at once, and the server's time zone.

SQLite lets one transaction write at a time, and one that had read before another wrote
fails instead of writing: that hid every "read, check, write" race. On PostgreSQL (read
committed) two console instances run such transactions side by side. Each test here makes
the race happen every time rather than by luck: a third connection holds the rows the two
writers need (a row lock, or an uncommitted row with the same key), both writers start on
their own engines, the test waits until PostgreSQL reports both waiting for a lock, and
then lets go. What the two writers then did must keep the rule (a code is used once, an
office keeps a queue, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.audit import Actor, AuditLog
from console.config import ConsoleConfig
from console.enroll import Enroller, hash_code
from console.errors import CodeUsedError, ConflictError, ConsoleError
from console.hours import HoursError, Span, Special
from console.store import Database, Store
from console.store.admin_caseworkers import CaseworkerStore
from console.store.admin_queues import QueueStore
from console.store.callbacks import CallbackStore, NewCallback
from console.store.hours import HoursStore
from console.store.tokens import TokenStore
from console.store.update_location import UpdateLocationStore
from console.store.usage import CallRow, UsageStore
from tests.console.conftest import RunningConsole, Seed, serving
from tests.console.helpers import terminal
from tests.console.sql import sql
from tests.postgres import CONSOLE_ROLE, Postgres

pytestmark = pytest.mark.postgresql

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
async def other(config: ConsoleConfig) -> AsyncIterator[Store]:
    """A second console instance's store: its own engine and connection pool."""
    db = Database.open(config.url)
    yield Store(db)
    await db.close()


@contextlib.asynccontextmanager
async def holding(
    config: ConsoleConfig, statements: Sequence[str], *, commit: bool = True
) -> AsyncIterator[None]:
    """A third connection that runs ``statements`` in a transaction kept open until the
    block ends (then committed, or rolled back)."""
    db = Database.open(config.url)
    try:
        async with db.engine.connect() as conn:
            transaction = await conn.begin()
            for statement in statements:
                await conn.execute(text(statement))
            try:
                yield
            finally:
                await (transaction.commit() if commit else transaction.rollback())
    finally:
        await db.close()


async def waiting_for_locks(config: ConsoleConfig, count: int) -> None:
    """Return once ``count`` sessions of the test's database wait for a lock (within 10 s)."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        if (await sql(config, query)).rows[0][0] >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not {count} sessions waiting for a lock within 10 s")


async def race(
    config: ConsoleConfig,
    held: Sequence[str],
    first: Awaitable[Any],
    second: Awaitable[Any],
    *,
    commit: bool = True,
) -> list[Any]:
    """Run two writers against what ``held`` holds; their results (or exceptions)."""
    async with holding(config, held, commit=commit):
        tasks = [asyncio.ensure_future(first), asyncio.ensure_future(second)]
        try:
            await waiting_for_locks(config, 2)
        except AssertionError:
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def enroll(http: aiohttp.ClientSession, console: RunningConsole, code: str) -> Any:
    async with http.post(f"{console.base}/api/v1/enroll", json={"code": code}) as resp:
        return resp.status, await resp.json()


async def test_an_enrollment_code_traded_at_two_instances_at_once_works_once(
    config: ConsoleConfig,
    store: Store,
    other: Store,
    seed: Seed,
    console: RunningConsole,
    http: aiohttp.ClientSession,
) -> None:
    terminal_rec, code = await Enroller(store).add_terminal("Aldorf", "Bücherei", 1)
    async with serving(config, other) as second:
        held = [f"SELECT 1 FROM enrollment_codes WHERE code_hash = '{hash_code(code)}' FOR UPDATE"]
        answers = await race(config, held, enroll(http, console, code), enroll(http, second, code))
    assert sorted(status for status, _ in answers) == [200, 409], answers
    [won] = [body for status, body in answers if status == 200]
    [lost] = [body for status, body in answers if status == 409]
    assert lost["error"]["code"] == "code_used"
    peer, welcome = await terminal(http, console, won["credential"])  # the winner's works
    assert welcome.name == "Bücherei" and won["terminal_id"] == terminal_rec.id
    await peer.close()

    # and without a held lock, ten codes each traded at both instances at once
    codes = [(await Enroller(store).add_terminal("Aldorf", f"T{n}", 1))[1] for n in range(10)]
    one, two = Enroller(store), Enroller(other)
    for code in codes:
        results = await asyncio.gather(one.redeem(code), two.redeem(code), return_exceptions=True)
        assert sum(isinstance(r, CodeUsedError) for r in results) == 1, results


async def test_two_new_codes_at_once_leave_only_the_later_one(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    terminal_rec, _ = await Enroller(store).add_terminal("Aldorf", "Bücherei", 1)
    held = [f"SELECT 1 FROM terminals WHERE id = '{terminal_rec.id}' FOR UPDATE"]
    results = await race(
        config,
        held,
        Enroller(store).new_code(terminal_rec.id, 1),
        Enroller(other).new_code(terminal_rec.id, 1),
    )
    codes = [code for _, code in results]
    works = []
    for code in codes:
        try:
            await Enroller(store).redeem(code)
            works.append(code)
        except ConsoleError:
            pass
    assert len(works) == 1, results


async def test_two_admins_demoting_each_other_at_once_leave_one(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    alice = await store.caseworker_by_username("alice")
    anton = await store.caseworker_by_username("anton")
    assert alice is not None and anton is not None
    one, two = CaseworkerStore(store.db), CaseworkerStore(other.db)
    muni = alice.municipality_id
    for person in (alice, anton):
        await one.update(muni, person.id, role="admin")
    held = [f"SELECT 1 FROM caseworkers WHERE id IN ({alice.id}, {anton.id}) FOR UPDATE"]
    results = await race(
        config,
        held,
        one.update(muni, alice.id, role="caseworker"),
        two.update(muni, anton.id, role="caseworker"),
    )
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    admins = [p.username for p in await one.of(muni) if p.role == "admin" and p.active]
    assert len(admins) == 1


async def test_deleting_an_offices_last_two_queues_at_once_leaves_one(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    one, two = QueueStore(store.db), QueueStore(other.db)
    muni = (await store.municipality("Aldorf")).id
    [first] = await one.of(muni)
    second = await one.create(muni, first.office_id, name="Meldeamt")
    held = [f"SELECT 1 FROM queues WHERE id IN ({first.id}, {second.id}) FOR UPDATE"]
    results = await race(config, held, one.delete(muni, first.id), two.delete(muni, second.id))
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    assert len(await one.of(muni)) == 1


async def test_sessions_ended_at_two_instances_at_once_count_twice(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    alice = await store.caseworker_by_username("alice")
    assert alice is not None
    muni = alice.municipality_id
    held = [f"SELECT 1 FROM caseworkers WHERE id = {alice.id} FOR UPDATE"]
    await race(
        config,
        held,
        CaseworkerStore(store.db).sign_out_everywhere(muni, alice.id),
        CaseworkerStore(other.db).set_password(muni, alice.id, alice.password_hash),
    )
    after = await store.caseworker_by_username("alice")
    assert after is not None and after.session_version == alice.session_version + 2


async def test_a_week_replaced_at_two_instances_at_once_is_one_of_them(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    one, two = HoursStore(store.db), HoursStore(other.db)
    office = (await one.find_office(None, "Aldorf")).id
    await one.set_week(office, (Span(5, "08:00", "12:00"),))
    mornings = (Span(1, "08:00", "12:00"), Span(2, "08:00", "12:00"))
    afternoons = (Span(3, "14:00", "18:00"),)
    held = [
        f"SELECT 1 FROM offices WHERE id = {office} FOR UPDATE",
        f"SELECT 1 FROM office_hours WHERE office_id = {office} FOR UPDATE",
    ]
    await race(config, held, one.set_week(office, mornings), two.set_week(office, afternoons))
    assert (await one.week(office)).spans in (mornings, afternoons)


async def test_a_holiday_and_special_hours_added_at_once_do_not_both_stay(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    one, two = HoursStore(store.db), HoursStore(other.db)
    office = (await one.find_office(None, "Aldorf")).id
    day = date(2026, 12, 24)
    held = [f"SELECT 1 FROM offices WHERE id = {office} FOR UPDATE"]
    results = await race(
        config,
        held,
        one.add_exceptions(office, [Special(day, note="Heiligabend")]),
        two.add_exceptions(office, [Special(day, "09:00", "12:00")]),
    )
    assert sum(isinstance(r, HoursError) for r in results) == 1, results
    assert len((await one.week(office)).exceptions) == 1


async def test_the_first_update_location_set_at_two_instances_at_once(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    muni = (await store.municipality("Aldorf")).id
    one, two = UpdateLocationStore(store.db), UpdateLocationStore(other.db)
    url = "https://updates.example.org/bt-{}.raucb"
    held = [  # the same key, not yet committed: both writers wait for it, then it goes
        "INSERT INTO update_locations (municipality_id, url, version, set_at, set_by)"
        f" VALUES ({muni}, 'https://x.example.org/b', 'x', now(), 'x')"
    ]
    results = await race(
        config,
        held,
        one.put(muni, url=url.format(1), sha256=None, version="1", set_at=NOW, set_by="A"),
        two.put(muni, url=url.format(2), sha256=None, version="2", set_at=NOW, set_by="B"),
        commit=False,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    stored = await one.get(muni)
    assert stored is not None and stored.version in ("1", "2")
    assert stored.url == url.format(stored.version)


async def test_one_callback_request_stored_at_two_instances_at_once_is_one_row(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    muni = (await store.municipality("Aldorf")).id
    new = NewCallback(muni, seed.a1_id, "r-1", "Erika", "0123 456", "de", "closed")
    held = [
        "INSERT INTO callbacks (id, municipality_id, terminal_id, request_id, name, phone,"
        f" reason, created_at, status) VALUES ('held', {muni}, '{seed.a1_id}', 'r-1', 'x', 'x',"
        " 'other', now(), 'open')"
    ]
    results = await race(
        config,
        held,
        CallbackStore(store.db).add(new, NOW),
        CallbackStore(other.db).add(new, NOW),
        commit=False,
    )
    assert len({callback_id for callback_id, _ in results}) == 1, results
    assert sorted(created for _, created in results) == [False, True]
    assert (await sql(config, "SELECT count(*) FROM callbacks")).rows == [(1,)]


async def test_audit_usage_and_tokens_written_by_two_instances_at_once(
    config: ConsoleConfig, store: Store, other: Store, seed: Seed
) -> None:
    audits = [AuditLog(store.db), AuditLog(other.db)]
    for n in range(200):
        for i, audit in enumerate(audits):
            audit.record(1, Actor("system", "console", f"instance {i}"), "test", "n", str(n))
    await asyncio.gather(*(audit.flush() for audit in audits))
    rows = (await sql(config, "SELECT id, actor_name, target_id FROM audit_log")).rows
    assert len(rows) == 400 and len({r[0] for r in rows}) == 400
    assert len({(r[1], r[2]) for r in rows}) == 400

    at = NOW - timedelta(hours=1)
    requested = CallRow("c1", 1, None, None, seed.a1_id, at, None, None, "waiting",
                        None, None, 0, "de")  # fmt: skip
    ended = CallRow("c1", 1, None, None, seed.a1_id, at, at + timedelta(seconds=30),
                    at + timedelta(seconds=90), "answered", 30.0, 60.0, 1, "de")  # fmt: skip
    for _ in range(10):
        await asyncio.gather(
            UsageStore(store.db).save([requested]), UsageStore(other.db).save([ended])
        )
    assert (await sql(config, "SELECT count(*) FROM call_records")).rows == [(1,)]

    alice = await store.caseworker_by_username("alice")
    assert alice is not None
    pairs = await asyncio.gather(
        *(TokenStore(db).create(alice.id, f"t{n}", NOW, None)
          for n in range(20) for db in (store.db, other.db))
    )  # fmt: skip
    assert len({token for _, token in pairs}) == 40
    owners = [await TokenStore(other.db).owner(token, NOW) for _, token in pairs]
    assert owners == [alice.id] * 40


async def test_times_stay_utc_whatever_the_servers_time_zone(
    config: ConsoleConfig, store: Store, seed: Seed
) -> None:
    """Sessions of a server in another zone still store and compare instants correctly."""
    database = (await sql(config, "SELECT current_database()")).rows[0][0]
    await sql(config, f"ALTER DATABASE {database} SET timezone TO 'America/New_York'")
    db = Database.open(config.url)  # new connections take the database's setting
    try:
        late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 18:30 in New York
        row = CallRow("c1", 1, None, None, None, late, None, None, "waiting",
                      None, None, 0, None)  # fmt: skip
        usage = UsageStore(db)
        await usage.save([row])
        day = datetime(2026, 11, 23, tzinfo=UTC)
        [found] = await usage.calls(1, day, day + timedelta(days=1))
        assert found.row.requested_at == late and found.row.requested_at.tzinfo == UTC
        assert await usage.calls(1, day + timedelta(days=1), day + timedelta(days=2)) == []
        async with db.session() as s:
            shown = (await s.execute(text("SELECT requested_at::text FROM call_records"))).scalar()
        assert shown == "2026-11-23 18:30:00-05"  # the session really is in New York
    finally:
        await db.close()


async def test_connections_cut_by_the_server_are_replaced(
    postgres: Postgres, config: ConsoleConfig, store: Store, seed: Seed
) -> None:
    """A restarted or failed-over server leaves the pool's connections dead: the next query
    gets a fresh one instead of failing (pool_pre_ping)."""
    assert (await store.municipality("Aldorf")).name == "Aldorf"  # the pool holds a connection
    database = (await sql(config, "SELECT current_database()")).rows[0][0]
    killed = postgres.psql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        f" WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )
    assert int(killed) >= 1
    assert (await store.municipality("Aldorf")).name == "Aldorf"
    assert await store.ping()


async def run_tool(program: Path, *args: str) -> None:
    """Run a PostgreSQL client program; fail with its message if it fails."""
    proc = await asyncio.create_subprocess_exec(
        str(program), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode(errors="replace")


async def test_pg_dump_and_pg_restore_bring_back_every_row(
    postgres: Postgres, config: ConsoleConfig, store: Store, seed: Seed, tmp_path: Path
) -> None:
    """The backup of docs/deploy.md: a custom-format dump by the console's role, restored
    into a fresh database, holds the same rows, and the audit log is append-only again."""
    audit = AuditLog(store.db)
    audit.record(1, Actor("system", "console", "console"), "backup.test")
    await audit.flush()
    tables = ["municipalities", "caseworkers", "terminals", "enrollment_codes", "audit_log"]
    counts = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
    before = (await sql(config, counts)).rows
    database = (await sql(config, "SELECT current_database()")).rows[0][0]
    dump = tmp_path / "console.dump"
    socket = ["-h", str(postgres.socket_dir), "-U", CONSOLE_ROLE]
    await run_tool(postgres.bin / "pg_dump", *socket, "--format=custom", f"--file={dump}", database)
    restored = f"r_{database}"[:60]
    postgres.create_database(restored)
    try:
        await run_tool(
            postgres.bin / "pg_restore", *socket, "--no-owner", "-d", restored, str(dump)
        )
        url = postgres.url(restored)
        assert (await sql(url, counts)).rows == before
        with pytest.raises(DBAPIError, match="append-only"):
            await sql(url, "UPDATE audit_log SET action = 'changed'")
    finally:
        postgres.drop_database(restored)
