"""USB (UVC) webcams through PyAV's V4L2 input.

The webcam is opened with ``input_format=mjpeg``: at 640x480 and 25 fps, USB 2.0
webcams deliver uncompressed YUYV only at lower rates on many models, and MJPEG keeps
the USB bandwidth small. A capture thread demuxes and decodes (FFmpeg's MJPEG decoder,
on the Pi 4 about 3-6 ms per 640x480 frame by reading; measure with
``bench/camera_frames.py``) and publishes each frame into a
:class:`~appliance.parts.camera.feed.Feed`; a call's :class:`FrameTrack` takes the newest.

The device is open only from the citizen's ``continue`` until the call is over
(:meth:`V4L2Camera.start`, :meth:`V4L2Camera.stop`, called by the coordinator): the
information screen promises that the camera starts only then. A UVC camera needs one to
two seconds after opening to settle exposure and white balance; starting at
``continue`` rather than at the answer gives it the waiting time for that, so the target
from answer to first frame (one second) still holds. Outside calls no frame is read and
``health`` reports only whether the device node exists.

A webcam can be unplugged. The capture thread is a supervisor loop: when reading fails
it reports ``missing`` (the device node is gone) or ``failed`` (still there but not
delivering), drops the last picture, and tries to reopen every ``retry_s`` until the
camera is back. A call in progress simply gets frames again when it is.

Stills are the newest decoded frame, JPEG-encoded: a webcam cannot take a larger
picture without a mode switch that would interrupt the video, so its stills have the
video's size (choose ``camera_size = "1280x720"`` for sharper document photos at some
CPU cost). ``device`` and ``container_format`` are injectable so tests play a recorded
clip through the same code path (``container_format=None``); a file is paced to its
frame rate like a live device.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from appliance.errors import CameraError
from appliance.parts.camera import Still
from appliance.parts.camera.activity import FrameActivity
from appliance.parts.camera.feed import Feed

log = logging.getLogger(__name__)

STALL_S = 3.0
"""An open device that delivered nothing for this long is reported ``failed``."""


class V4L2Camera:
    """Implements :class:`appliance.parts.camera.Camera` for a V4L2 webcam (or a clip)."""

    def __init__(
        self,
        *,
        device: str = "/dev/video0",
        size: tuple[int, int] = (640, 480),
        fps: int = 25,
        input_format: str = "mjpeg",
        container_format: str | None = "v4l2",
        retry_s: float = 1.0,
        opener: Callable[..., Any] | None = None,
    ) -> None:
        self.activity = FrameActivity()
        self.device = device
        self.size = size
        self.fps = fps
        self.input_format = input_format
        self.container_format = container_format
        self.retry_s = retry_s
        self.opened = 0
        """How often the device was opened (1 + reconnects)."""
        self._opener = opener
        self._feed: Feed[Any] = Feed()
        self._state = "missing"
        self._last_frame = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def frames_sent(self) -> int:
        """Frames handed to aiortc since start."""
        return self.activity.count

    @property
    def frames_captured(self) -> int:
        """Frames decoded from the device since start."""
        return self._feed.published

    @property
    def capturing(self) -> bool:
        """Whether the capture thread runs (between :meth:`start` and :meth:`stop`)."""
        return self._thread is not None

    def start(self) -> None:
        """Open the device and capture in a thread (idempotent)."""
        if self._thread is None:
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="v4l2-camera", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop capturing and close the device until the next :meth:`start` (idempotent)."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(timeout=5)
            log.info("webcam %s closed", self.device)
        self._feed.clear()

    def close(self) -> None:
        """Stop capturing and close the device (idempotent)."""
        self.stop()

    def health(self) -> str:
        """``ok`` while frames arrive; ``missing`` without the device; else ``failed``.

        Outside calls (not capturing) only the device node is checked.
        """
        if self._thread is None:
            return "ok" if os.path.exists(self.device) else "missing"
        state = self._state
        if state == "ok" and time.monotonic() - self._last_frame > STALL_S:
            return "failed"
        return state

    def track(self) -> Any:
        """A fresh track taking the newest frame (None while the device is missing)."""
        from appliance.parts.camera.tracks import FrameTrack

        if self._state == "missing":
            return None
        return FrameTrack(self._feed, self.activity)

    async def capture_still(self) -> Still:
        """The newest frame as a JPEG (waits up to 1 s for a first frame)."""
        from appliance.parts.camera.jpeg import encode_jpeg

        deadline = time.monotonic() + 1.0
        frame = self._feed.latest
        while frame is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            frame = self._feed.latest
        if frame is None:
            raise CameraError(f"no picture from the webcam ({self.health()})")
        jpeg = await asyncio.to_thread(encode_jpeg, frame)
        return Still(jpeg=jpeg, width=frame.width, height=frame.height)

    # --- capture thread -----------------------------------------------------------

    def _open(self) -> Any:
        import av

        options: dict[str, str] = {}
        if self.container_format == "v4l2":
            width, height = self.size
            options = {
                "video_size": f"{width}x{height}",
                "framerate": str(self.fps),
                "input_format": self.input_format,
            }
        opener = self._opener or av.open
        return opener(self.device, format=self.container_format, options=options)

    def _run(self) -> None:
        import av

        while not self._stop.is_set():
            try:
                container = self._open()
            except (av.FFmpegError, OSError) as err:
                self._down(f"cannot open {self.device}: {err}")
                continue
            self.opened += 1
            self._state = "ok"
            self._last_frame = time.monotonic()
            log.info("webcam %s open (%s)", self.device, self._describe(container))
            try:
                self._pump(container)
            except (av.FFmpegError, OSError) as err:
                log.warning("webcam %s stopped delivering: %s", self.device, err)
            finally:
                container.close()
            if not self._stop.is_set():
                self._down(f"{self.device} closed")

    def _down(self, why: str) -> None:
        state = "failed" if os.path.exists(self.device) else "missing"
        if state != self._state:
            log.warning("webcam %s: %s", state, why)
        self._state = state
        self._feed.clear()
        self._stop.wait(self.retry_s)

    def _pump(self, container: Any) -> None:
        live = self.container_format == "v4l2"
        started = time.monotonic()
        for frame in container.decode(video=0):
            if self._stop.is_set():
                return
            if not live and frame.time is not None:  # a clip: play it at its own rate
                wait = started + float(frame.time) - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    return
            self._last_frame = time.monotonic()
            self._feed.publish(frame)

    @staticmethod
    def _describe(container: Any) -> str:
        stream = container.streams.video[0]
        codec = stream.codec_context
        return f"{codec.name} {codec.width}x{codec.height} @ {stream.average_rate or '?'} fps"
