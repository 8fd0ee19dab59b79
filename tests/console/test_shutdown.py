"""Stopping the console right after admin changes: every audit entry written, once, quickly.

Routing-directory reloads read the database after each change; a reader cancelled at
shutdown used to hold SQLite's lock so the audit writer's final flush waited 5 s and failed,
and a write cancelled mid-commit was queued again and written twice.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time

import aiohttp

from console.app import create_app
from console.config import ConsoleConfig
from console.hub import Hub
from console.server import serve
from console.store import Store
from tests.console.admin_setup import tenants
from tests.console.conftest import Seed, cheap_passwords


async def test_stop_right_after_changes_keeps_every_audit_entry_once(
    config: ConsoleConfig, store: Store, seed: Seed
) -> None:
    people = await tenants(store)
    for round_ in range(5):
        app = create_app(
            config,
            store,
            secret_key="test-secret-key-" * 3,
            hub=Hub(ice_servers=config.ice_servers),
            passwords=cheap_passwords(),
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        port = sock.getsockname()[1]
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, [f"fd://{sock.detach()}"], stop))
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as http:
            for i in range(2):
                async with http.post(
                    f"http://127.0.0.1:{port}/api/v1/offices",
                    json={"name": f"Zweigstelle {round_}-{i}"},
                    headers=people.a["admin"].headers,
                ) as response:
                    assert response.status == 201, await response.text()
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, 10)
        assert time.monotonic() - started < 3
    with sqlite3.connect(config.data_dir / "console.db") as db:
        created = db.execute(
            "SELECT target_id, count(*) FROM audit_log WHERE action = 'office.create'"
            " GROUP BY target_id"
        ).fetchall()
    assert len(created) == 10
    assert all(count == 1 for _office, count in created)
