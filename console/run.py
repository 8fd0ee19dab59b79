"""``bt-console serve``: migrate, open the store, build the app, serve until a signal.

Kept apart from the CLI so the server's lifecycle (what is opened, and closed in which
order) is in one place: store first, app around it, store closed after hypercorn returns.
The garbage collector's pauses are kept short here, for the server process only
(console/collector.py), not in the app factory that tests build many times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

from console.app import create_app
from console.collector import keep_collections_short
from console.config import ConsoleConfig
from console.migrate import run_migrations
from console.secret_key import load_secret_key
from console.server import bind_address, serve
from console.store import Database, Store

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


async def run_server(
    config: ConsoleConfig,
    host: str | None = None,
    port: int | None = None,
    shutdown: asyncio.Event | None = None,
) -> None:
    """Run the console until SIGINT/SIGTERM or ``shutdown``."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    if host is not None or port is not None:
        config = replace(config, host=host or config.host, port=port or config.port)
    await asyncio.to_thread(run_migrations, config.url)
    db = Database.open(config.url)
    try:
        app = create_app(config, Store(db), secret_key=load_secret_key(config))
        log.info("console listening on http://%s", bind_address(config.host, config.port))
        collector = asyncio.create_task(keep_collections_short(), name="gc")  # the process's
        try:
            await serve(app, [bind_address(config.host, config.port)], shutdown)
        finally:
            collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await collector
    finally:
        await db.close()
