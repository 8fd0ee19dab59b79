"""A synthetic camera: moving colour bars with the frame number in large digits.

It stands in for a real camera in tests, demos and CI. 640x480 at 25 fps matches the
target for sign language (EN 301 549 6.5 asks >= 20 fps); the frame number, drawn with
the 5x7 font at scale 8, survives VP8/H.264 compression and can be read back by the
receiver (see :func:`read_frame_number`), which makes "frames arrive and change"
testable and lets a bench measure glass-to-glass delay.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from appliance.parts.camera.font import draw_text, read_text, text_size

WIDTH = 640
HEIGHT = 480
FPS = 25
CLOCK_RATE = 90000
DIGITS = 6
SCALE = 8
PAD = 16
_TW, _TH = text_size("0" * DIGITS, SCALE)
TEXT_X = (WIDTH - _TW) // 2
TEXT_Y = (HEIGHT - _TH) // 2
_BARS = [
    (235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16),
    (235, 16, 235), (235, 16, 16), (16, 16, 235), (16, 16, 16),
]  # fmt: skip


def _bars() -> npt.NDArray[np.uint8]:
    image = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    width = WIDTH // len(_BARS)
    for i, colour in enumerate(_BARS):
        image[:, i * width : (i + 1) * width] = colour
    return image


def render_frame(number: int, base: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
    """The RGB picture of frame ``number``: bars shifted 8 px per frame, number centred."""
    bars = _bars() if base is None else base
    image = np.roll(bars, (number * 8) % WIDTH, axis=1)
    image[TEXT_Y - PAD : TEXT_Y + _TH + PAD, TEXT_X - PAD : TEXT_X + _TW + PAD] = 0
    draw_text(image, f"{number % 10**DIGITS:0{DIGITS}d}", TEXT_X, TEXT_Y, SCALE)
    return image


def read_frame_number(image: npt.NDArray[np.uint8]) -> int | None:
    """Read the frame number back from a (decoded) 640x480 RGB frame; None if unreadable."""
    text = read_text(image, DIGITS, TEXT_X, TEXT_Y, SCALE)
    return None if text is None else int(text)


class SyntheticVideoTrack:
    """Factory of the aiortc track; built lazily so importing this costs nothing."""

    @staticmethod
    def create(on_frame: Callable[[], None]) -> Any:
        """A new live video track that calls ``on_frame`` for each frame delivered."""
        from aiortc import MediaStreamTrack
        from aiortc.mediastreams import MediaStreamError
        from av import VideoFrame

        base = _bars()

        class _Track(MediaStreamTrack):
            kind = "video"

            def __init__(self) -> None:
                super().__init__()
                self._number = 0
                self._start: float | None = None

            async def recv(self) -> Any:
                if self.readyState != "live":
                    raise MediaStreamError
                number = self._number
                now = time.monotonic()
                if self._start is None:
                    self._start = now
                else:
                    wait = self._start + number / FPS - now
                    if wait > 0:
                        await asyncio.sleep(wait)
                frame = VideoFrame.from_ndarray(render_frame(number, base), format="rgb24")
                frame.pts = number * CLOCK_RATE // FPS
                frame.time_base = Fraction(1, CLOCK_RATE)
                self._number += 1
                on_frame()
                return frame

        return _Track()


class SyntheticCamera:
    """Implements :class:`appliance.parts.camera.Camera` with generated frames."""

    def __init__(self) -> None:
        self.frames_sent = 0

    def _count(self) -> None:
        self.frames_sent += 1

    def track(self) -> Any:
        """A fresh synthetic track for one call."""
        return SyntheticVideoTrack.create(self._count)

    def health(self) -> str:
        """Always ``ok``: nothing can be unplugged."""
        return "ok"
