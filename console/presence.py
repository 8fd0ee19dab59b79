"""When each terminal was last heard from: always in memory, in the database once a minute.

With 10,000 terminals pinging every 15 s, writing every ping would be ~670 writes a second
into SQLite; writing at most once a minute per terminal is ~170 and still tells the fleet
view "seen a minute ago". A database outage is logged and does not disturb the sockets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from console.errors import StoreError
from console.store import Store

log = logging.getLogger(__name__)


class Presence:
    """Tracks last_seen per terminal and persists it at a bounded rate."""

    def __init__(
        self, store: Store, write_interval_s: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._interval = write_interval_s
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._written: dict[str, float] = {}

    def last_seen(self, terminal_id: str) -> float | None:
        """Epoch seconds of the last message from a terminal, if any since start."""
        return self._seen.get(terminal_id)

    async def seen(self, terminal_id: str) -> None:
        """Note a message from a terminal; write to the database if a minute has passed."""
        now = self._clock()
        self._seen[terminal_id] = now
        if now - self._written.get(terminal_id, float("-inf")) < self._interval:
            return
        self._written[terminal_id] = now
        try:
            await self._store.touch_terminal(terminal_id, datetime.fromtimestamp(now, UTC))
        except StoreError as err:
            log.warning("could not record last_seen of terminal %s: %s", terminal_id, err)
