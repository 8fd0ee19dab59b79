"""Named one-shot timers that come back to the coordinator as events.

The coordinator never sleeps: a timer is a background task that posts
:class:`~appliance.events.TimerFired` with the timer's name and a token. Restarting or
cancelling a timer bumps its token, so a timer that fires after it was restarted (the
event was already queued) is recognised as stale with :meth:`Timers.current` and
ignored. Used for the thanks/callback-sent linger, the idle timeout, ``no_answer_s`` and the time a
call waits to be resumed after the link was lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from appliance.events import Event, TimerFired

LINGER = "linger"
IDLE = "idle"
NO_ANSWER = "no-answer"
CALLBACK = "callback"
RECONNECT = "reconnect"


class Timers:
    """Starts, restarts and cancels named timers; see the module docstring."""

    def __init__(
        self,
        post: Callable[[Event], None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._post = post
        self._spawn = spawn
        self._tokens: dict[str, int] = {}
        self._running: set[str] = set()

    def start(self, name: str, delay_s: float) -> None:
        """(Re)start timer ``name``; an earlier start of it will be stale."""
        token = self._tokens.get(name, 0) + 1
        self._tokens[name] = token
        self._running.add(name)
        self._spawn(self._fire(name, token, delay_s))

    def cancel(self, name: str) -> None:
        """Make a running timer ``name`` stale (idempotent)."""
        if name in self._running:
            self._tokens[name] = self._tokens.get(name, 0) + 1
            self._running.discard(name)

    def running(self, name: str) -> bool:
        """Whether timer ``name`` was started and has neither fired nor been cancelled."""
        return name in self._running

    def current(self, event: TimerFired) -> bool:
        """True if ``event`` is the latest start of its timer (then it is no longer running)."""
        if self._tokens.get(event.name) != event.token or event.name not in self._running:
            return False
        self._running.discard(event.name)
        return True

    async def _fire(self, name: str, token: int, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        if self._tokens.get(name) == token:
            self._post(TimerFired(name, token))
