"""The audio part: which inputs exist, where sound goes now, and how healthy it is.

The part holds the route (``speaker``, or ``handset`` while the handset is lifted)
and knows how to open the input of each route; the call's track
(:mod:`appliance.parts.audio.track`) follows the route by itself. ``set_handset`` is
called from gpiozero's thread: it only swaps a string (atomic under the GIL) and runs
the ``on_route`` hook, which moves the kiosk browser's playback (see
:mod:`appliance.parts.audio.routing`).

Health uses the fixed part names ``microphone`` and ``speaker``; the start-up
self-test's verdict on echo cancellation is kept apart (``selftest``) because it is
a measurement, not a part: a terminal with a weak echo canceller still takes calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Literal

from appliance.errors import AudioError
from appliance.parts.audio.selftest import SelfTestResult
from appliance.parts.audio.sources import Source

log = logging.getLogger(__name__)

Route = Literal["speaker", "handset"]
Health = Literal["ok", "missing", "failed"]

SourceOpener = Callable[[Route, asyncio.AbstractEventLoop], Source]
"""Opens the input of a route; blocking (runs in a thread)."""


class AudioPart:
    """Implements the daemon's microphone part; see the module docstring."""

    def __init__(
        self,
        backend: str,
        open_source: SourceOpener | None,
        *,
        handset: bool = False,
        on_route: Callable[[Route], None] | None = None,
    ) -> None:
        self.backend = backend
        self._open_source = open_source
        self.handset_fitted = handset
        self._on_route = on_route
        self.route: Route = "speaker"
        self.microphone: Health = "missing" if open_source is None else "ok"
        self.speaker: Health = "missing" if open_source is None else "ok"
        self.selftest = SelfTestResult("skipped", None, "not run")

    def track(self) -> Any:
        """A fresh aiortc audio track for one call, or None without a microphone."""
        if self._open_source is None or self.microphone == "missing":
            return None
        from appliance.parts.audio.track import create_track

        return create_track(self)

    def health(self) -> str:
        """The microphone's health (``ok``, ``missing`` or ``failed``)."""
        return self.microphone

    def parts(self) -> dict[str, str]:
        """``microphone`` and ``speaker`` entries for the terminal's part list."""
        return {"microphone": self.microphone, "speaker": self.speaker}

    def set_handset(self, lifted: bool) -> None:
        """The hook switch moved; thread-safe. Without a handset configured, nothing moves."""
        route: Route = "handset" if lifted and self.handset_fitted else "speaker"
        if route == self.route:
            return
        self.route = route
        log.info("audio route -> %s", route)
        if self._on_route is not None:
            try:
                self._on_route(route)
            except AudioError as err:
                log.warning("could not move playback to the %s: %s", route, err)

    async def open(self, route: Route) -> Source:
        """Open the input of ``route`` off the event loop; updates the microphone's health."""
        if self._open_source is None:
            raise AudioError("no microphone configured")
        try:
            source = await asyncio.to_thread(self._open_source, route, asyncio.get_running_loop())
        except AudioError:
            self.microphone = "failed"
            raise
        self.microphone = "ok"
        return source

    def input_failed(self) -> None:
        """A track's input stopped delivering."""
        self.microphone = "failed"
