"""The background loop of the console's queued writers (audit log, usage records).

Each writer queues in memory, sets an event, and has a ``flush`` that writes what is queued
(keeping it queued on a :class:`~console.errors.StoreError`). This loop flushes whenever
woken, retries after a database error, and makes one last shielded flush when cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from console.errors import StoreError

log = logging.getLogger(__name__)


async def write_when_woken(
    flush: Callable[[], Awaitable[None]], wake: asyncio.Event, what: str, retry_s: float
) -> None:
    """Flush each time ``wake`` is set, until cancelled; ``what`` names the data in logs."""
    try:
        while True:
            await wake.wait()
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
