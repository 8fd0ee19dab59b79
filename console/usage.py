"""The hub's call events as call records: the raw material of the usage figures.

A sink for :attr:`console.hub.Hub.events`. Each call's record is kept in memory from
``CallRequested`` to ``CallEnded`` and marked dirty on every change; :meth:`UsageRecorder.run`
writes dirty records in the background (insert or update by call id), so the hub never waits
for the database. While the database is down the records stay in memory and are written on
the next try: nothing is lost while the process lives. A call's record leaves memory once
its ended state is written.

What a record holds (no person: neither caseworker nor citizen):

- ``wait_s``: for an answered call, how long it waited for its first answer; for a call
  that was never answered, how long it waited until it ended (abandoned, callback, closed).
- ``talk_s``: from the first answer to the end (transfers included).
- ``transfers``: how often caseworkers handed it on; ``queue_id`` stays the queue the
  citizen chose.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from console.events import CallAnswered, CallEnded, CallRequested, CallTransferred, HubEvent
from console.store.usage import CallRow, UsageStore
from console.writer import wait_uncut, write_when_woken

log = logging.getLogger(__name__)
FORGET_AFTER_S = 12 * 3600.0
"""A call never ended after this long (its end was lost) is no longer kept in memory once
written; its record stays ``waiting``. No real call lasts a whole office day."""


@dataclass(frozen=True)
class _Call:
    """A call's record as the events built it so far (times as Unix seconds)."""

    call_id: str
    municipality_id: int
    office_id: int | None
    queue_id: int | None
    terminal_id: str | None
    language: str | None
    requested_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: str = "waiting"
    wait_s: float | None = None
    talk_s: float | None = None
    transfers: int = 0

    def row(self) -> CallRow:
        return CallRow(
            call_id=self.call_id,
            municipality_id=self.municipality_id,
            office_id=self.office_id,
            queue_id=self.queue_id,
            terminal_id=self.terminal_id,
            requested_at=_utc(self.requested_at),
            answered_at=None if self.answered_at is None else _utc(self.answered_at),
            ended_at=None if self.ended_at is None else _utc(self.ended_at),
            outcome=self.outcome,
            wait_s=self.wait_s,
            talk_s=self.talk_s,
            transfers=self.transfers,
            language=self.language,
        )


class UsageRecorder:
    """Builds call records from hub events and writes them in the background."""

    def __init__(self, store: UsageStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self._calls: dict[str, _Call] = {}
        self._dirty: set[str] = set()
        self._writing = 0
        self._wake = asyncio.Event()

    @property
    def pending(self) -> int:
        """How many records have changes not yet written."""
        return len(self._dirty) + self._writing

    @property
    def open_calls(self) -> int:
        """How many calls are held in memory (running, or ended but not yet written)."""
        return len(self._calls)

    def __call__(self, event: HubEvent) -> None:
        if isinstance(event, CallRequested):
            self._calls[event.call_id] = _Call(
                call_id=event.call_id,
                municipality_id=event.municipality_id,
                office_id=event.office_id,
                queue_id=event.queue_id,
                terminal_id=event.terminal_id,
                language=event.language,
                requested_at=event.at,
            )
        else:
            call = self._calls.get(event.call_id)
            if call is None:
                if isinstance(event, CallAnswered | CallTransferred | CallEnded):
                    log.debug("event for unknown call %s ignored", event.call_id)
                return
            updated = _apply(call, event)
            if updated is call:
                return
            self._calls[event.call_id] = updated
        self._dirty.add(event.call_id)
        self._wake.set()

    async def flush(self) -> None:
        """Write every changed record now; on a database error they stay marked.

        The upsert runs in its own task that cancellation does not reach (as the audit log's
        insert, console/audit.py): cancelled in the middle of the statement at shutdown, its
        connection was dropped while SQLite's write lock was still taken, and the last flushes
        of the audit log and of these records waited out the busy timeout and failed
        ("database is locked", found by tests/console/test_ws_fuzz.py). Cancelled, this waits
        for the write in flight and then lets the cancellation through.
        """
        if not self._dirty:
            return
        ids, self._dirty = self._dirty, set()
        snapshot = {call_id: self._calls[call_id] for call_id in ids}
        self._writing = len(ids)
        write = asyncio.ensure_future(self.store.save([call.row() for call in snapshot.values()]))
        try:
            await wait_uncut(write)
            write.result()
        except BaseException:  # a database error, or cancelled: the records are written again
            self._dirty |= ids
            raise
        finally:
            self._writing = 0
        stale = self._clock() - FORGET_AFTER_S
        for call_id, call in list(self._calls.items()):
            if call_id in self._dirty:
                continue
            written_end = call_id in snapshot and snapshot[call_id].ended_at is not None
            if written_end or call.requested_at < stale:
                self._calls.pop(call_id)

    async def run(self, retry_s: float = 2.0) -> None:
        """Write records as they change, until cancelled (a final flush is attempted)."""
        await write_when_woken(self.flush, self._wake, "call records", retry_s)


def _apply(call: _Call, event: HubEvent) -> _Call:
    """The record after one event (the same object when the event changes nothing)."""
    if isinstance(event, CallAnswered):
        if call.answered_at is not None:
            return call  # answered again after a transfer: the first answer counts
        return replace(call, answered_at=event.at, wait_s=max(0.0, event.waited_s))
    if isinstance(event, CallTransferred):
        return replace(call, transfers=call.transfers + 1)
    if isinstance(event, CallEnded):
        if call.answered_at is not None:
            return replace(
                call,
                ended_at=event.at,
                outcome=event.outcome,
                talk_s=max(0.0, event.at - call.answered_at),
            )
        return replace(
            call,
            ended_at=event.at,
            outcome=event.outcome,
            wait_s=max(0.0, event.at - call.requested_at),
        )
    return call


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
