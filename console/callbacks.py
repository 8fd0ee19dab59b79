"""Callback requests: a citizen leaves name and phone number, a caseworker calls back.

Outside office hours, or when nobody answers, the kiosk offers a callback instead of a call.
The terminal sends ``callback.request`` and forgets the data as soon as it gets
``callback.accepted``; a resend after a lost acknowledgement carries the same
``request_id`` and finds the first row (unique per terminal), so no citizen is listed
twice. Caseworkers of the terminal's municipality get the ``callbacks`` list when their
page connects and after every change: the open requests and those done or failed in the
last :data:`SHOWN_DONE_S` (a day), so a colleague sees what was just handled.

Personal data is kept no longer than needed: :meth:`CallbackDesk.purge` deletes requests
``callback_retention_days`` after they were done or failed, at start and then daily
(:meth:`CallbackDesk.run`). Names and numbers are never written to the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from console.calls import CaseworkerIdentity, Connection, TerminalIdentity
from console.citizen_language import citizen_language
from console.errors import StoreError
from console.photos import REQUEST_ID
from console.store.callbacks import CallbackRecord, CallbackStore, NewCallback
from protocol.messages import (
    CallbackAccepted,
    CallbackDone,
    CallbackEntry,
    CallbackRequest,
    Callbacks,
    Error,
    Message,
)

log = logging.getLogger(__name__)

SHOWN_DONE_S = 24 * 3600.0
"""Done or failed requests stay in the caseworkers' list this long."""
PURGE_EVERY_S = 24 * 3600.0
UNAVAILABLE = Error(code="unavailable", message="the console cannot store it right now; retry")


class CallbackDesk:
    """Stores callback requests and keeps the municipalities' caseworkers' lists current."""

    def __init__(
        self,
        store: CallbackStore,
        to_desk: Callable[[int, Message], None],
        retention_days: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._to_desk = to_desk
        self._retention = timedelta(days=retention_days)
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def request(self, who: TerminalIdentity, conn: Connection, msg: CallbackRequest) -> None:
        """Store a terminal's request (once per request_id), acknowledge it, update the desk."""
        if not REQUEST_ID.fullmatch(msg.request_id):
            conn.send(Error(code="invalid", message="request_id: 1-64 of A-Z a-z 0-9 _ -"))
            return
        if "\x00" in msg.name:  # PostgreSQL cannot store it: refused, not retried forever
            conn.send(Error(code="invalid", message="name: NUL characters are not allowed"))
            return
        new = NewCallback(
            municipality_id=who.municipality_id,
            terminal_id=who.terminal_id,
            request_id=msg.request_id,
            name=msg.name,
            phone=msg.phone,
            language=citizen_language(msg.language),
            reason=msg.reason,
        )
        try:
            _callback_id, created = await self._store.add(new, self._now())
        except StoreError as err:
            log.warning(
                "could not store a callback request of terminal %s: %s", who.terminal_id, err
            )
            conn.send(UNAVAILABLE)
            return
        conn.send(CallbackAccepted(request_id=msg.request_id))
        if created:
            await self.push(who.municipality_id)

    async def done(self, who: CaseworkerIdentity, conn: Connection, msg: CallbackDone) -> None:
        """Mark a request of the caseworker's municipality done or failed; else not_found."""
        try:
            found = await self._store.mark(
                who.municipality_id, msg.callback_id, msg.status, who.caseworker_id, self._now()
            )
        except StoreError as err:
            log.warning("could not mark callback %s: %s", msg.callback_id, err)
            conn.send(UNAVAILABLE)
            return
        if not found:
            conn.send(Error(code="not_found", message="no such callback request"))
            return
        await self.push(who.municipality_id)

    async def entries(self, municipality_id: int) -> Callbacks:
        """The list a caseworker of the municipality sees now."""
        since = self._now() - timedelta(seconds=SHOWN_DONE_S)
        records = await self._store.listed(municipality_id, since)
        return Callbacks(entries=[_entry(r) for r in records])

    async def send_list(self, conn: Connection, municipality_id: int) -> None:
        """Send the list to one page (when it connects)."""
        try:
            conn.send(await self.entries(municipality_id))
        except StoreError as err:
            log.warning("could not list callbacks: %s", err)

    async def push(self, municipality_id: int) -> None:
        """Send the list to every page of the municipality."""
        try:
            self._to_desk(municipality_id, await self.entries(municipality_id))
        except StoreError as err:
            log.warning("could not list callbacks: %s", err)

    async def purge(self) -> int:
        """Delete requests done or failed longer than the retention period ago."""
        removed = await self._store.purge(self._now() - self._retention)
        if removed:
            log.info("deleted %d callback request(s) past their retention period", removed)
        return removed

    async def run(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Purge at start and then every day."""
        while True:
            try:
                await self.purge()
            except StoreError as err:
                log.warning("callback purge failed, retrying in a day: %s", err)
            await sleep(PURGE_EVERY_S)


def _entry(record: CallbackRecord) -> CallbackEntry:
    status = record.status if record.status in ("done", "failed") else "open"
    return CallbackEntry(
        callback_id=record.id,
        terminal_name=record.terminal_name,
        name=record.name,
        phone=record.phone,
        language=record.language,
        reason=record.reason,
        created=record.created_at.timestamp(),
        status=status,  # type: ignore[arg-type]
    )
