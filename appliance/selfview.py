"""The citizen's own picture on the kiosk screen, taken from the call's video track.

People in a video call want to see themselves: is my face in the picture, is the
document I hold readable. The self-view taps the frames aiortc is already sending (the
camera leg's video track is wrapped by :meth:`SelfViewStream.tap`), so it costs no second
camera pipeline and shows exactly what the caseworker gets. About 5 frames a second are
kept (:data:`FPS`) and scaled to 320 px wide right there, inside the track's ``recv()``
on the event loop (measured here: 1.3 ms per kept frame from 640x480 RGB, under 7 ms a
second at 5 fps): PyAV frames are not safe to touch from another thread while aiortc's
encoder thread uses them (a reformat racing the encoder crashed the process in the
whole-system test). The small copy is JPEG-encoded in
the HTTP thread that serves ``GET /api/self-view`` as ``multipart/x-mixed-replace`` (the
page shows it in an ``<img>``; no second WebRTC connection, no JavaScript decoding), once
per frame however many pages watch. At 320x240 and quantiser 8 a synthetic test frame is
6.4 KiB and 0.4 ms to encode here (a Pi will be several times slower; not measured).

It only exists during a call: the coordinator opens it when the call is answered and
closes it when the call ends, which ends every stream and drops the last picture; outside
a call the endpoint answers 404 and no frame is kept. Pre-encoded H.264 (the Pi 4's
hardware encoder) is passed through untouched and gives no self-view: decoding it again
would cost what the hardware encoder saves.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

WIDTH = 320
FPS = 5.0
QUANTISER = 8
"""JPEG quantiser for the small picture (2 best .. 31 worst): a face, not a document."""
WAIT_S = 1.0
"""How often a waiting stream checks whether the call ended."""


class SelfViewStream:
    """Implements :class:`appliance.ports.SelfView`; see the module docstring."""

    def __init__(self, *, width: int = WIDTH, fps: float = FPS) -> None:
        self.width = width
        self.interval_s = 1.0 / fps
        self._cond = threading.Condition()
        self._active = False
        self._session = 0
        self._frame: Any = None
        self._seq = 0
        self._taken_at = 0.0
        self._encode_lock = threading.Lock()
        self._jpeg: tuple[int, bytes] | None = None  # (seq, JPEG) encoded last

    @property
    def active(self) -> bool:
        """Whether a call is active (the endpoint serves frames)."""
        with self._cond:
            return self._active

    def open(self) -> None:
        """A call is active: keep frames for the page."""
        with self._cond:
            self._active = True
            self._session += 1
            self._frame = None
            self._cond.notify_all()

    def close(self) -> None:
        """The call is over: end every stream and drop the last frame (idempotent)."""
        with self._cond:
            self._active = False
            self._session += 1
            self._frame = None
            self._cond.notify_all()
        with self._encode_lock:
            self._jpeg = None

    def offer(self, frame: Any) -> None:
        """A frame the call sends (in its track's ``recv()``): keep a small copy if it is time."""
        now = time.monotonic()
        if now - self._taken_at < self.interval_s or not hasattr(frame, "reformat"):
            return
        with self._cond:
            if not self._active:
                return
        self._taken_at = now
        height = max(2, round(frame.height * self.width / frame.width / 2) * 2)
        small = frame.reformat(width=self.width, height=height, format="yuvj420p")
        with self._cond:
            self._frame = small
            self._seq += 1
            self._cond.notify_all()

    def tap(self, track: Any) -> Any:
        """Wrap the call's video ``track`` so its frames also reach :meth:`offer`."""
        if track is None or getattr(track, "encoded_as", None) is not None:
            return track
        return _tap_track(track, self)

    def frames(self) -> Iterator[bytes]:
        """JPEGs of the current call's self-view until the call ends (HTTP thread)."""
        with self._cond:
            if not self._active:
                return
            session, seen = self._session, self._seq
        while True:
            with self._cond:
                self._cond.wait_for(functools.partial(self._changed, session, seen), WAIT_S)
                if self._session != session:
                    return
                if self._seq == seen:
                    continue
                frame, seen = self._frame, self._seq
            yield self._encoded(seen, frame)

    def _changed(self, session: int, seen: int) -> bool:
        return self._session != session or self._seq != seen

    def _encoded(self, seq: int, small: Any) -> bytes:
        """The JPEG of kept frame ``seq``, encoded once for every page watching."""
        from appliance.parts.camera.jpeg import encode_jpeg

        with self._encode_lock:
            if self._jpeg is None or self._jpeg[0] != seq:
                self._jpeg = (seq, encode_jpeg(small, QUANTISER))
            return self._jpeg[1]


def multipart(frames: Iterator[bytes], boundary: str = "frame") -> Iterator[bytes]:
    """``multipart/x-mixed-replace`` parts of ``frames``."""
    for jpeg in frames:
        head = f"--{boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
        yield head.encode() + jpeg + b"\r\n"


def _tap_track(source: Any, sink: SelfViewStream) -> Any:
    """A track that returns ``source``'s frames and hands each to ``sink`` (aiortc lazily)."""
    from aiortc import MediaStreamTrack

    class _Tap(MediaStreamTrack):
        kind = "video"

        async def recv(self) -> Any:
            frame = await source.recv()
            sink.offer(frame)
            return frame

        def stop(self) -> None:
            super().stop()
            source.stop()

    return _Tap()
