"""Fixtures: a migrated SQLite store per test, seeded tenants, and a real console on hypercorn.

The schema is migrated once per session into a template file that each test copies, so
Alembic's ~0.3 s runs once. The console listens on a socket bound here (port 0, handed to
hypercorn as ``fd://``), so there is no free-port race.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
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

PASSWORD = "richtig-geheim"


def cheap_passwords() -> Passwords:
    """argon2 with minimal cost: the tests verify logic, not hashing strength."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "console.db"
    run_migrations(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def config(tmp_path: Path, template_db: Path) -> ConsoleConfig:
    shutil.copy(template_db, tmp_path / "console.db")
    return ConsoleConfig(
        data_dir=tmp_path, cookie_secure=False, heartbeat_s=15, require_second_factor=False
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
class RunningConsole:
    """A console served by hypercorn on 127.0.0.1."""

    base: str
    ws_base: str
    hub: Hub
    store: Store
    host: str


@pytest.fixture
async def console(config: ConsoleConfig, store: Store, seed: Seed) -> AsyncIterator[RunningConsole]:
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
    yield RunningConsole(f"http://{host}", f"ws://{host}", hub, store, host)
    stop.set()
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session
