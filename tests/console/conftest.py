"""Fixtures: a migrated store per test, seeded tenants, and a real console on hypercorn.

The schema is migrated once per session into a template that each test copies, so Alembic's
~0.3 s runs once: a SQLite file copied into the test's directory, or, on PostgreSQL, a
template database cloned by ``CREATE DATABASE ... TEMPLATE`` (~30 ms) on a private server
(tests/postgres.py) started for the session only if a PostgreSQL test runs.

Tests run on SQLite unless marked (a module's ``pytestmark`` or the test itself):
``pytest.mark.both_backends`` runs every test that uses the database (the ``backend``
fixture, which ``config`` and ``store`` depend on) twice, with ids ``[sqlite]`` and
``[postgresql]``; ``pytest.mark.postgresql`` runs it on PostgreSQL only. Every PostgreSQL run
carries the marker ``postgresql`` (``-m postgresql`` selects them all).

The console listens on a socket bound here (port 0, handed to hypercorn as ``fd://``), so
there is no free-port race.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from argon2 import PasswordHasher

from console.app import create_app
from console.auth import Passwords
from console.config import ConsoleConfig
from console.enroll import Enroller
from console.hub import Hub
from console.migrate import run_migrations
from console.server import serve
from console.store import Database, Store
from tests.postgres import Postgres, running_postgres

PASSWORD = "richtig-geheim"
BACKENDS = ("sqlite", "postgresql")


def cheap_passwords() -> Passwords:
    """argon2 with minimal cost: the tests verify logic, not hashing strength."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the database tests of ``both_backends`` modules on SQLite and on PostgreSQL, and
    tests marked ``postgresql`` themselves on PostgreSQL only."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgresql") is not None:
        names: tuple[str, ...] = ("postgresql",)
    elif metafunc.definition.get_closest_marker("both_backends") is not None:
        names = BACKENDS
    else:
        return
    params = [
        pytest.param(name, id=name, marks=[pytest.mark.postgresql] if name != "sqlite" else [])
        for name in names
    ]
    metafunc.parametrize("backend", params, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` (the default) or ``postgresql``, as parametrized above."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "console.db"
    run_migrations(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A private PostgreSQL server for the whole session (started on first use)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def pg_template(postgres: Postgres) -> str:
    """The name of a database migrated to head, the template of each test's database."""
    name = "bt_template"
    run_migrations(postgres.create_database(name))
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh migrated database for this test: a copied SQLite file or a cloned database."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("template_db")
        shutil.copy(template, tmp_path / "console.db")
        yield f"sqlite+aiosqlite:///{(tmp_path / 'console.db').resolve()}"
        return
    server: Postgres = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield server.create_database(name, template=request.getfixturevalue("pg_template"))
    server.drop_database(name)


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A database without any table yet, for the migration tests."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{(tmp_path / 'empty.db').resolve()}"
        return
    server: Postgres = request.getfixturevalue("postgres")
    name = f"e_{uuid.uuid4().hex[:16]}"
    yield server.create_database(name)
    server.drop_database(name)


@pytest.fixture
def config(tmp_path: Path, backend: str, database_url: str) -> ConsoleConfig:
    return ConsoleConfig(
        data_dir=tmp_path,
        database_url=database_url if backend != "sqlite" else None,
        cookie_secure=False,
        heartbeat_s=15,
        require_second_factor=False,
    )


@pytest.fixture
async def store(config: ConsoleConfig) -> AsyncIterator[Store]:
    db = Database.open(config.url)
    yield Store(db)
    await db.close()


@dataclass
class Seed:
    """Two municipalities, A (Aldorf) and B (Bestadt), with caseworkers and enrolled terminals."""

    a1: str  # credentials
    a2: str
    b1: str
    a1_id: str
    a2_id: str
    b1_id: str


@pytest.fixture
async def seed(store: Store) -> Seed:
    passwords = cheap_passwords()
    await store.add_municipality("Aldorf")
    await store.add_municipality("Bestadt")
    await store.add_caseworker("Aldorf", "alice", "Alice Amt", passwords.hash(PASSWORD))
    await store.add_caseworker("Aldorf", "anton", "Anton Amt", passwords.hash(PASSWORD))
    await store.add_caseworker("Bestadt", "bert", "Bert Behörde", passwords.hash(PASSWORD))
    enroller = Enroller(store)
    creds: dict[str, tuple[str, str]] = {}
    for key, muni, name in [
        ("a1", "Aldorf", "Rathaus Aldorf"),
        ("a2", "Aldorf", "Sparkasse Aldorf"),
        ("b1", "Bestadt", "Rathaus Bestadt"),
    ]:
        terminal, code = await enroller.add_terminal(muni, name, 1)
        creds[key] = (terminal.id, (await enroller.redeem(code)).credential)
    return Seed(
        a1=creds["a1"][1],
        a2=creds["a2"][1],
        b1=creds["b1"][1],
        a1_id=creds["a1"][0],
        a2_id=creds["a2"][0],
        b1_id=creds["b1"][0],
    )


@dataclass
class Kits2:
    """The mobile kits' credentials and ids (one per municipality)."""

    a: str
    b: str
    a_id: str
    b_id: str


@pytest.fixture
async def kits(store: Store, seed: Seed) -> Kits2:
    """A mobile kit in Aldorf and one in Bestadt, enrolled (``kind = "mobile"``) and redeemed."""
    enroller = Enroller(store)
    creds = []
    for muni, name in [("Aldorf", "Koffer Aldorf"), ("Bestadt", "Koffer Bestadt")]:
        record, code = await enroller.add_terminal(muni, name, 1, kind="mobile")
        creds.append((record.id, (await enroller.redeem(code)).credential))
    return Kits2(a=creds[0][1], b=creds[1][1], a_id=creds[0][0], b_id=creds[1][0])


@dataclass
class RunningConsole:
    """A console served by hypercorn on 127.0.0.1."""

    base: str
    ws_base: str
    hub: Hub
    store: Store
    host: str


@contextlib.asynccontextmanager
async def serving(config: ConsoleConfig, store: Store) -> AsyncIterator[RunningConsole]:
    """A console app on its own hub, served on 127.0.0.1 until the block ends."""
    hub = Hub(ice_servers=config.ice_servers)
    app = create_app(
        config, store, secret_key="test-secret-key-" * 3, hub=hub, passwords=cheap_passwords()
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    fd = sock.detach()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, [f"fd://{fd}"], stop))
    host = f"127.0.0.1:{port}"
    try:
        yield RunningConsole(f"http://{host}", f"ws://{host}", hub, store, host)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def console(config: ConsoleConfig, store: Store, seed: Seed) -> AsyncIterator[RunningConsole]:
    async with serving(config, store) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session
