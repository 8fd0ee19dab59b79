"""The microphone track: one aiortc audio track per call whose input can change under it.

Lifting the handset must not renegotiate the call: aiortc has no renegotiation in our
protocol and a new track would mean a new offer. So the track aiortc holds stays the
same and swaps its underlying :class:`Source`: on every frame it compares the part's
route with the route of its source and, when they differ, opens the other input in a
thread while it keeps reading the old one; the new input takes over at the next
frame boundary. Timestamps continue without a gap, so the receiver's jitter buffer
sees one continuous stream.

An input that fails (device unplugged, PipeWire restarted) is replaced by silence,
the part reports ``failed``, and the track retries the open every ``RETRY_S``: the
caseworker still sees the citizen, and the sound returns by itself when it can.
"""

from __future__ import annotations

import asyncio
import logging
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from appliance.errors import AudioError
from appliance.parts.audio.sources import RATE, SAMPLES, Samples, Source

if TYPE_CHECKING:
    from appliance.parts.audio.part import AudioPart, Route

log = logging.getLogger(__name__)

RETRY_S = 2.0
MAX_BEHIND_S = 0.2  # a paced source this far behind restarts its clock instead of bursting


def create_track(part: AudioPart) -> Any:
    """A new aiortc audio track reading from ``part``'s current route."""
    from aiortc import MediaStreamTrack
    from aiortc.mediastreams import MediaStreamError
    from av import AudioFrame

    class RoutedAudioTrack(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.source: Source | None = None
            self.route: Route | None = None
            self._pending: asyncio.Task[Source] | None = None
            self._pending_route: Route | None = None
            self._retry_at = 0.0
            self._sample = 0
            self._start: float | None = None

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            self._switch()
            samples = await self._next()
            frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = self._sample
            frame.time_base = Fraction(1, RATE)
            self._sample += SAMPLES
            return frame

        def stop(self) -> None:
            super().stop()
            if self.source is not None:
                self.source.close()
                self.source = None
            pending = self._pending
            if pending is not None and pending.done() and not pending.cancelled():
                self._close_if_stopped(pending)

        async def _next(self) -> Samples:
            source = self.source
            if source is None:
                await self._pace()
                return np.zeros(SAMPLES, dtype=np.int16)
            if not source.live:
                await self._pace()
            try:
                samples = await source.read()
            except AudioError as err:
                log.warning("microphone input failed, sending silence: %s", err)
                part.input_failed()
                source.close()
                self.source, self.route = None, None
                self._retry_at = time.monotonic() + RETRY_S
                return np.zeros(SAMPLES, dtype=np.int16)
            if source.live:
                self._start = None  # a later paced source starts its clock afresh
            return samples

        async def _pace(self) -> None:
            now = time.monotonic()
            if self._start is None or now - self._due() > MAX_BEHIND_S:
                self._start = now - self._sample / RATE
                return
            wait = self._due() - now
            if wait > 0:
                await asyncio.sleep(wait)

        def _due(self) -> float:
            assert self._start is not None
            return self._start + self._sample / RATE

        def _switch(self) -> None:
            pending = self._pending
            if pending is not None and pending.done():
                self._pending = None
                self._take(pending)
            want = part.route
            if self._pending is not None or (self.source is not None and self.route == want):
                return
            if self.source is None and time.monotonic() < self._retry_at:
                return
            self._pending_route = want
            self._pending = asyncio.ensure_future(part.open(want))
            self._pending.add_done_callback(self._close_if_stopped)

        def _take(self, task: asyncio.Task[Source]) -> None:
            if task.cancelled():
                return
            err = task.exception()
            if err is not None:
                log.warning("cannot open the %s input: %s", self._pending_route, err)
                self._retry_at = time.monotonic() + RETRY_S
                return
            old, self.source = self.source, task.result()
            if old is not None:
                old.close()
            if self.route is not None:
                log.info("microphone moved from %s to %s", self.route, self._pending_route)
            self.route = self._pending_route

        def _close_if_stopped(self, task: asyncio.Task[Source]) -> None:
            if self.readyState != "live" and not task.cancelled() and task.exception() is None:
                task.result().close()

    return RoutedAudioTrack()
