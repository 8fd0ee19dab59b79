"""A synthetic camera: moving colour bars with the frame number in large digits.

It stands in for a real camera in tests, demos and CI, at the configured size and rate
(default 640x480 at 25 fps, the target for sign language: EN 301 549 6.5 asks >= 20 fps).
The frame number, drawn with the 5x7 font (scale 8 at 640 px wide), survives VP8/H.264
compression and can be read back by the receiver (see :func:`read_frame_number`), which
makes "frames arrive and change" testable. A strip across the top carries the wall-clock
time each frame was made (:mod:`appliance.parts.camera.clockstamp`), so a receiver can
measure the glass-to-glass delay (``bench/glass_to_glass.py``).

Its stills (:meth:`SyntheticCamera.capture_still`) are a sharp 1920x1080 test chart:
line pairs of 1, 2 and 4 pixels, a grey wedge, colour bars and the still's number in
large digits, so the document-photo path can be tested for sharpness and size without
a camera. The video keeps running while a still is encoded (in a worker thread).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from appliance.parts.camera import Still, clockstamp
from appliance.parts.camera.activity import FrameActivity
from appliance.parts.camera.font import draw_text, read_text, text_size

WIDTH = 640
HEIGHT = 480
FPS = 25
STILL_WIDTH = 1920
STILL_HEIGHT = 1080
STILL_DIGITS = 4
STILL_SCALE = 24
CLOCK_RATE = 90000
DIGITS = 6
PAD = 16
_BARS = [
    (235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16),
    (235, 16, 235), (235, 16, 16), (16, 16, 235), (16, 16, 16),
]  # fmt: skip
Size = tuple[int, int]


def _scale(width: int) -> int:
    """Digit scale: 8 at 640 px wide, in proportion elsewhere."""
    return max(1, width // 80)


def _text_origin(width: int, height: int) -> tuple[int, int] | None:
    """Top left of the centred frame number; None when it does not fit."""
    text_w, text_h = text_size("0" * DIGITS, _scale(width))
    if text_w + 2 * PAD > width or text_h + 2 * PAD > height:
        return None
    return (width - text_w) // 2, (height - text_h) // 2


def _bars(size: Size = (WIDTH, HEIGHT)) -> npt.NDArray[np.uint8]:
    width, height = size
    image = np.zeros((height, width, 3), dtype=np.uint8)
    for i, colour in enumerate(_BARS):
        image[:, i * width // len(_BARS) : (i + 1) * width // len(_BARS)] = colour
    return image


def render_frame(
    number: int, base: npt.NDArray[np.uint8] | None = None, size: Size = (WIDTH, HEIGHT)
) -> npt.NDArray[np.uint8]:
    """The RGB picture of frame ``number``: bars shifted 8 px per frame, number centred."""
    bars = _bars(size) if base is None else base
    height, width = bars.shape[:2]
    image = np.roll(bars, (number * 8) % width, axis=1)
    origin = _text_origin(width, height)
    if origin is not None:
        x, y = origin
        text_w, text_h = text_size("0" * DIGITS, _scale(width))
        image[y - PAD : y + text_h + PAD, x - PAD : x + text_w + PAD] = 0
        draw_text(image, f"{number % 10**DIGITS:0{DIGITS}d}", x, y, _scale(width))
    return image


def read_frame_number(image: npt.NDArray[np.uint8]) -> int | None:
    """Read the frame number back from a (decoded) RGB frame; None if unreadable."""
    height, width = image.shape[:2]
    origin = _text_origin(width, height)
    if origin is None:
        return None
    text = read_text(image, DIGITS, origin[0], origin[1], _scale(width))
    return None if text is None else int(text)


class SyntheticVideoTrack:
    """Factory of the aiortc track; built lazily so importing this costs nothing."""

    @staticmethod
    def create(
        on_frame: Callable[[], None],
        size: Size = (WIDTH, HEIGHT),
        fps: int = FPS,
        clock: Callable[[], float] = time.time,
    ) -> Any:
        """A new live video track that calls ``on_frame`` for each frame delivered."""
        from aiortc import MediaStreamTrack
        from aiortc.mediastreams import MediaStreamError
        from av import VideoFrame

        base = _bars(size)

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
                    wait = self._start + number / fps - now
                    if wait > 0:
                        await asyncio.sleep(wait)
                image = render_frame(number, base)
                clockstamp.draw(image, round(clock() * 1000))  # made now: the glass
                frame = VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = number * CLOCK_RATE // fps
                frame.time_base = Fraction(1, CLOCK_RATE)
                self._number += 1
                on_frame()
                return frame

        return _Track()


def render_still(number: int) -> npt.NDArray[np.uint8]:
    """The 1920x1080 RGB test chart of still ``number`` (see the module docstring)."""
    image = np.full((STILL_HEIGHT, STILL_WIDTH, 3), 255, dtype=np.uint8)
    # Line pairs: vertical bars of 1, 2 and 4 px, 300 px tall, left third.
    for i, width in enumerate((1, 2, 4)):
        top = 80 + i * 320
        columns = (np.arange(600) // width) % 2 == 0
        image[top : top + 300, 80:680][:, columns] = 0
    # Grey wedge in 11 steps across the bottom.
    step = STILL_WIDTH // 11
    for i in range(11):
        image[STILL_HEIGHT - 100 :, i * step : (i + 1) * step] = round(i * 25.5)
    # Colour bars on the right.
    bar = 120
    for i, colour in enumerate(_BARS):
        image[80:500, 760 + i * bar : 760 + (i + 1) * bar] = colour
    # The still's number, large.
    text = f"{number % 10**STILL_DIGITS:0{STILL_DIGITS}d}"
    draw_text(image, text, 900, 600, STILL_SCALE, colour=(0, 0, 0))
    return image


def read_still_number(image: npt.NDArray[np.uint8]) -> int | None:
    """Read the still number back from a decoded 1920x1080 still; None if unreadable."""
    inverted = 255 - image
    text = read_text(inverted, STILL_DIGITS, 900, 600, STILL_SCALE)
    return None if text is None else int(text)


class SyntheticCamera:
    """Implements :class:`appliance.parts.camera.Camera` with generated frames."""

    def __init__(
        self,
        size: Size = (WIDTH, HEIGHT),
        fps: int = FPS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.size = size
        self.fps = fps
        self._clock = clock
        """Wall clock (epoch seconds) of the frames' stamps."""
        self.activity = FrameActivity()
        self.stills_taken = 0
        self.capturing = False
        """Between :meth:`start` and :meth:`stop` (a real camera would capture then)."""

    @property
    def frames_sent(self) -> int:
        """Frames handed to aiortc since start."""
        return self.activity.count

    def track(self) -> Any:
        """A fresh synthetic track for one call."""
        return SyntheticVideoTrack.create(self.activity.frame, self.size, self.fps, self._clock)

    def health(self) -> str:
        """Always ``ok``: nothing can be unplugged."""
        return "ok"

    async def capture_still(self) -> Still:
        """A 1920x1080 JPEG test chart, encoded in a worker thread (the video keeps going)."""
        from appliance.parts.camera.jpeg import encode_array

        self.stills_taken += 1
        number = self.stills_taken
        jpeg = await asyncio.to_thread(lambda: encode_array(render_still(number), "rgb24"))
        return Still(jpeg=jpeg, width=STILL_WIDTH, height=STILL_HEIGHT)

    def start(self) -> None:
        """Note that a call wants the camera (frames are generated per track anyway)."""
        self.capturing = True

    def stop(self) -> None:
        """Note that the call is over."""
        self.capturing = False

    def close(self) -> None:
        """Nothing to release."""
        self.capturing = False
