"""aiortc video tracks fed by a :class:`~appliance.parts.camera.feed.Feed`.

Imported only when a camera makes a track, so importing the camera package costs no
aiortc import. Two kinds:

- :class:`FrameTrack` returns ``av.VideoFrame`` objects; aiortc encodes them (VP8 or
  H.264 in software).
- :class:`PacketTrack` returns ``av.Packet`` objects that are already H.264 (the Pi 4's
  hardware encoder). aiortc's ``RTCRtpSender._next_encoded_frame`` passes anything that
  is not an ``av.Frame`` to the codec's ``pack()``, which for H.264 splits the Annex B
  stream into NAL units and packetises them without re-encoding, taking the timestamp
  from ``packet.pts`` and ``packet.time_base``. So the leg must negotiate H.264 (see
  ``appliance.media.peer``). aiortc answers a receiver's PLI/FIR by setting a flag that
  only its own encoder reads; a track cannot see it, so pre-encoded streams carry an IDR
  with SPS/PPS every ``KEYFRAME_INTERVAL_S`` instead, and a track starts (and restarts
  after an overflow) at a keyframe, so the receiver can always decode what it gets.

Every frame or packet returned is counted in the camera's
:class:`~appliance.parts.camera.activity.FrameActivity` (frames_sent, camera LED).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from appliance.parts.camera.activity import FrameActivity
from appliance.parts.camera.feed import Feed, Subscription

CLOCK_RATE = 90000
KEYFRAME_INTERVAL_S = 2.0
WAIT_S = 0.5
"""How often a waiting recv() checks whether its track was stopped."""


@dataclass(frozen=True)
class Chunk:
    """One encoded H.264 access unit (Annex B) from a hardware encoder."""

    data: bytes
    keyframe: bool
    timestamp_us: int


class FrameTrack(MediaStreamTrack):
    """Returns the newest decoded frame of ``feed`` with a 90 kHz timestamp."""

    kind = "video"

    def __init__(self, feed: Feed[Any], activity: FrameActivity) -> None:
        super().__init__()
        self._feed = feed
        self._activity = activity
        self._sub: Subscription[Any] | None = None
        self._start: float | None = None

    async def recv(self) -> Any:
        """The next frame; raises MediaStreamError once stopped."""
        if self._sub is None:
            self._sub = self._feed.subscribe(depth=1)
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self._sub.get(WAIT_S)
            if frame is not None and self.readyState == "live":
                break
        now = time.monotonic()
        if self._start is None:
            self._start = now
        frame.pts = round((now - self._start) * CLOCK_RATE)
        frame.time_base = Fraction(1, CLOCK_RATE)
        self._activity.frame()
        return frame

    def stop(self) -> None:
        """Stop and unsubscribe from the feed."""
        super().stop()
        if self._sub is not None:
            self._feed.unsubscribe(self._sub)


class PacketTrack(MediaStreamTrack):
    """Returns H.264 access units of ``feed`` as ``av.Packet``, starting at a keyframe."""

    kind = "video"
    encoded_as = "video/H264"
    """Read by the camera leg: negotiate this codec, the track's data is already encoded."""

    def __init__(
        self,
        feed: Feed[Chunk],
        activity: FrameActivity,
        depth: int = 30,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._on_start = on_start
        self._feed = feed
        self._activity = activity
        self._depth = depth
        self._sub: Subscription[Chunk] | None = None
        self._first_us: int | None = None
        self._synced = False
        self._dropped = 0

    async def recv(self) -> Any:
        """The next access unit; raises MediaStreamError once stopped."""
        if self._sub is None:
            self._sub = self._feed.subscribe(depth=self._depth)
            if self._on_start is not None:  # ask for an IDR now instead of within 2 s
                asyncio.get_running_loop().run_in_executor(None, self._on_start)
        sub = self._sub
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            chunk = await sub.get(WAIT_S)
            if chunk is None:
                continue
            if sub.dropped != self._dropped:  # lost P-frames: wait for the next IDR
                self._dropped = sub.dropped
                self._synced = False
            if chunk.keyframe:
                self._synced = True
            if self._synced:
                break
        if self._first_us is None:
            self._first_us = chunk.timestamp_us
        packet = av.Packet(chunk.data)
        packet.pts = chunk.timestamp_us - self._first_us
        packet.time_base = Fraction(1, 1_000_000)
        self._activity.frame()
        return packet

    def stop(self) -> None:
        """Stop and unsubscribe from the feed."""
        super().stop()
        if self._sub is not None:
            self._feed.unsubscribe(self._sub)
