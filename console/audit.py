"""The audit log: who answered, transferred, photographed, printed, exported, changed what.

Metadata only (ids, sizes, reasons), never media or chat text. Writers call
:meth:`AuditLog.record`, which only queues the entry, so the synchronous hub and request
handlers never wait for the database; :meth:`AuditLog.run` writes queued entries in
batches. Entries are append-only: nothing in the console updates them, and only the
retention purge deletes, past ``retention_days`` (at most 90).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import insert

from console.errors import StoreError
from console.store.database import Database
from console.store.models import AuditEntry
from console.writer import wait_uncut, write_when_woken

MAX_RETENTION_DAYS = 90
MAX_DETAIL_CHARS = 1000


@dataclass(frozen=True)
class Actor:
    """Who acted: a caseworker (id), a terminal (id) or the console itself."""

    kind: Literal["caseworker", "terminal", "system"]
    id: str
    name: str


SYSTEM = Actor("system", "console", "console")


class AuditLog:
    """Queues audit entries and writes them in the background; see the module docstring."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._pending: list[dict[str, object]] = []
        """Rows of ``audit_log`` not yet written, oldest first."""
        self._writing = 0
        self._wake = asyncio.Event()

    def record(
        self,
        municipality_id: int,
        actor: Actor,
        action: str,
        target_kind: str = "",
        target_id: str = "",
        **detail: str | int | float | bool | None,
    ) -> None:
        """Queue one entry that happens now; returns at once."""
        self.record_at(self._clock(), municipality_id, actor, action, target_kind, target_id,
                       **detail)  # fmt: skip

    def record_at(
        self,
        at: float,
        municipality_id: int,
        actor: Actor,
        action: str,
        target_kind: str = "",
        target_id: str = "",
        **detail: str | int | float | bool | None,
    ) -> None:
        """Queue one entry that happened at ``at`` (Unix seconds); returns at once."""
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""
        self._pending.append(
            {
                "at": datetime.fromtimestamp(at, UTC),
                "municipality_id": municipality_id,
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "actor_name": actor.name[:200],
                "action": action[:40],
                "target_kind": target_kind[:16],
                "target_id": target_id[:64],
                "detail": text[:MAX_DETAIL_CHARS],
            }
        )
        self._wake.set()

    @property
    def pending(self) -> int:
        """How many entries are queued or being written."""
        return len(self._pending) + self._writing

    async def flush(self) -> None:
        """Write every queued entry now; on a database error they stay queued.

        The insert runs in its own task that cancellation does not reach: a commit that
        SQLite already performed cannot be told apart from one that failed, so a write
        interrupted at shutdown would be queued again and written twice. Cancelled, this
        waits for the write in flight and then lets the cancellation through.
        """
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self._writing = len(batch)
        write = asyncio.ensure_future(self._insert(batch))
        try:
            await wait_uncut(write)
        finally:
            self._writing = 0
            failed = write.done() and (write.cancelled() or write.exception() is not None)
            if failed:
                self._pending[:0] = batch
        err = write.exception()
        if err is not None:
            raise StoreError(f"writing the audit log failed: {err}") from err

    async def _insert(self, batch: list[dict[str, object]]) -> None:
        async with self._db.session() as s, s.begin():
            await s.execute(insert(AuditEntry), batch)  # one executemany, no RETURNING

    async def run(self, retry_s: float = 2.0) -> None:
        """Write entries as they come, until cancelled (a final flush is attempted)."""
        await write_when_woken(self.flush, self._wake, "audit entries", retry_s)
