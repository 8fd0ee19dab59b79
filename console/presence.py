"""When each terminal was last heard from and how it last connected: in memory at once, in
the database in batches.

Nothing here is awaited by a socket: ``seen`` and ``connected`` only note the fact and wake
:meth:`Presence.run`, which writes whatever gathered in one transaction
(:meth:`console.store.fleet.FleetStore.record`). Measured before (bench/idle_terminals.py,
10,000 terminals): each terminal's last_seen update and connection record awaited in its
receive path, one SQLite commit each (``synchronous=FULL``), held the pongs behind the write
lock: p99 5.1 s, "database is locked", an exhausted connection pool.

The last contact is written at most once a minute per terminal (10,000 terminals pinging
every 15 s would otherwise mean ~670 row updates a second for a view that says "a minute
ago"); the fleet view adds the in-memory time. Pending writes are kept per terminal, newer
values replacing older ones, so a database outage holds at most one entry per terminal,
written once the database is back; the last batch is written at shutdown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from console.errors import StoreError
from console.store.fleet import Contact, FleetStore, FleetTerminal, clean_software
from console.writer import write_when_woken


@dataclass(frozen=True)
class _Pending:
    """What is still to be written for one terminal (None: nothing new)."""

    last_seen: float | None = None
    connection: tuple[str | None, str] | None = None

    def then(self, newer: _Pending) -> _Pending:
        """This entry overtaken by a newer one: its values win where it has any."""
        return _Pending(
            last_seen=self.last_seen if newer.last_seen is None else newer.last_seen,
            connection=self.connection if newer.connection is None else newer.connection,
        )

    def contact(self, terminal_id: str) -> Contact:
        seen = None if self.last_seen is None else datetime.fromtimestamp(self.last_seen, UTC)
        return Contact(terminal_id, last_seen=seen, connection=self.connection)


class Presence:
    """Tracks each terminal's last contact and connection; writes them in the background."""

    def __init__(
        self,
        store: FleetStore,
        write_interval_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._interval = write_interval_s
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._queued: dict[str, float] = {}
        """When each terminal's last contact was last queued for writing."""
        self._pending: dict[str, _Pending] = {}
        self._writing: dict[str, _Pending] = {}
        self._wake = asyncio.Event()

    def last_seen(self, terminal_id: str) -> float | None:
        """Epoch seconds of the last message from a terminal, if any since start."""
        return self._seen.get(terminal_id)

    def seen(self, terminal_id: str) -> None:
        """Note a message from a terminal; queue a write if a minute has passed. Never waits."""
        now = self._clock()
        self._seen[terminal_id] = now
        if now - self._queued.get(terminal_id, float("-inf")) < self._interval:
            return
        self._queued[terminal_id] = now
        self._queue(terminal_id, _Pending(last_seen=now))

    def connected(self, terminal_id: str, ip: str | None, software: str) -> None:
        """Queue the address and software of a terminal's new connection. Never waits."""
        self._queue(terminal_id, _Pending(connection=(ip or None, clean_software(software))))

    def _queue(self, terminal_id: str, entry: _Pending) -> None:
        older = self._pending.get(terminal_id)
        self._pending[terminal_id] = entry if older is None else older.then(entry)
        self._wake.set()

    @property
    def pending(self) -> int:
        """How many terminals have something queued or being written."""
        return len(self._pending) + len(self._writing)

    def fresh(self, row: FleetTerminal) -> FleetTerminal:
        """A stored fleet row with this instance's connection not yet written laid over it."""
        entry = self._pending.get(row.id) or self._writing.get(row.id)
        if entry is None or entry.connection is None:
            return row
        ip, software = entry.connection
        return replace(row, last_ip=ip, software=software or None)

    async def flush(self) -> None:
        """Write everything queued in one transaction; on a database error it stays queued.

        The write runs in its own task that cancellation does not reach (as in
        console/audit.py): cancelled at shutdown, this waits for the write in flight, so the
        final flush does not wait for a lock an abandoned write still holds.
        """
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        self._writing = batch
        write = asyncio.ensure_future(self._store.record([e.contact(t) for t, e in batch.items()]))
        try:
            try:
                await asyncio.wait([write])
            except asyncio.CancelledError:
                await asyncio.wait([write])
                raise
        finally:
            self._writing = {}
            if write.cancelled() or write.exception() is not None:
                for terminal_id, entry in batch.items():  # whatever came since is newer
                    newer = self._pending.get(terminal_id)
                    self._pending[terminal_id] = entry if newer is None else entry.then(newer)
        err = write.exception()
        if isinstance(err, StoreError):
            raise err
        if err is not None:  # not the database's fault, but kept and retried all the same
            raise StoreError(f"recording terminals' contacts failed: {err!r}") from err

    async def run(self, retry_s: float = 2.0, gather_s: float = 1.0) -> None:
        """Write as terminals come and go, until cancelled (a final flush is attempted)."""
        await write_when_woken(self.flush, self._wake, "terminals' contacts", retry_s, gather_s)
