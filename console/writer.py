"""The background loop of the console's queued writers (audit log, usage records, terminals'
last contact and connections).

Each writer queues in memory, sets an event, and has a ``flush`` that writes what is queued
(keeping it queued on a :class:`~console.errors.StoreError`). This loop flushes whenever
woken, retries after a database error, and makes one last shielded flush when cancelled.
``gather_s`` lets writes that come in a steady trickle (thousands of terminals' heartbeats)
collect for a moment, so one transaction carries many of them instead of one commit each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from console.errors import StoreError

log = logging.getLogger(__name__)


async def wait_uncut(write: asyncio.Future[Any]) -> None:
    """Wait for ``write`` (a task of its own) to end; cancelled meanwhile, still wait for it,
    then let the cancellation through. A write cut off in the middle could have committed
    already (written twice when retried) or leave SQLite's write lock taken (every later
    writer failing with "database is locked")."""
    try:
        await asyncio.wait([write])  # cancelling the wait leaves the write running
    except asyncio.CancelledError:
        await asyncio.wait([write])
        raise


async def write_when_woken(
    flush: Callable[[], Awaitable[None]],
    wake: asyncio.Event,
    what: str,
    retry_s: float,
    gather_s: float = 0.0,
) -> None:
    """Flush each time ``wake`` is set (``gather_s`` later), until cancelled; ``what`` names
    the data in logs."""
    try:
        while True:
            await wake.wait()
            if gather_s > 0:
                await asyncio.sleep(gather_s)
            wake.clear()
            try:
                await flush()
            except StoreError as err:
                log.warning("%s; retrying in %.0f s", err, retry_s)
                await asyncio.sleep(retry_s)
                wake.set()
    finally:
        try:
            await asyncio.shield(flush())
        except StoreError as err:
            log.error("%s lost at shutdown: %s", what, err)
