"""Per-call state and the camera leg's slow steps, for the coordinator.

Creating an offer waits for ICE gathering (50-500 ms, more with TURN), applying an
answer starts DTLS: neither may block the coordinator's event queue, or a hang-up
pressed meanwhile would wait. :class:`LegTasks` runs them as tasks and posts the
outcome back as an event (``CameraOfferReady`` or ``MediaFailed``) carrying the call
id, so the coordinator can drop results of calls that are already over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from appliance.events import CameraOfferReady, Event, MediaFailed
from appliance.ports import CameraLeg, LegFactory
from protocol.messages import IceServer

log = logging.getLogger(__name__)


@dataclass
class Call:
    """Per-call state, wiped when the terminal returns to idle."""

    call_id: str | None = None
    """None between ``call.request`` and the console's first ``call.queued``."""
    position: int | None = None
    caseworker: str | None = None
    ice_servers: list[IceServer] = field(default_factory=list)
    leg: CameraLeg | None = None
    queue: str | None = None
    """The service (queue) the call waits in, as the console named it."""
    transfer_to: str | None = None
    """After ``call.transferred``: the colleague or queue the citizen is handed to."""
    transfer_kind: str | None = None
    """``caseworker`` or ``queue``."""
    held: bool = False
    """The link was lost mid-call: media closed, waiting to resume (``call.answered`` again)."""


class LegTasks:
    """Builds camera legs and runs their slow steps in background tasks."""

    def __init__(self, legs: LegFactory, post: Callable[[Event], None]) -> None:
        self._legs = legs
        self._post = post
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, call_id: str, ice_servers: list[IceServer]) -> CameraLeg | None:
        """Build the leg and start creating its offer; None (and MediaFailed) if it fails."""

        def failed(detail: str) -> None:
            self._post(MediaFailed(call_id, detail))

        try:
            leg = self._legs(ice_servers, failed)
        except Exception as err:
            # A part failing to build must end the call cleanly, not kill the coordinator.
            self._post(MediaFailed(call_id, f"camera leg: {err}"))
            return None
        self.spawn(self._offer(call_id, leg))
        return leg

    def apply_answer(self, call_id: str, leg: CameraLeg, sdp: str) -> None:
        """Apply the answer in the background."""
        self.spawn(self._apply_answer(call_id, leg, sdp))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task that :meth:`stop` cancels."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def stop(self) -> None:
        """Cancel and await every running task."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _offer(self, call_id: str, leg: CameraLeg) -> None:
        try:
            sdp = await leg.offer()
        except Exception as err:  # any failure of the media stack ends the call
            self._post(MediaFailed(call_id, f"offer: {err}"))
        else:
            self._post(CameraOfferReady(call_id, sdp))

    async def _apply_answer(self, call_id: str, leg: CameraLeg, sdp: str) -> None:
        try:
            await leg.apply_answer(sdp)
        except Exception as err:  # any failure of the media stack ends the call
            self._post(MediaFailed(call_id, f"answer: {err}"))
