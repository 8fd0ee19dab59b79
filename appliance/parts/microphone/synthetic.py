"""A synthetic microphone: a 440 Hz sine, 48 kHz mono s16, 20 ms frames in real time.

48 kHz and 20 ms are Opus's native rate and aiortc's packetisation, so no resampling
happens before the encoder. Frames are paced against a monotonic clock from the first
frame, so the stream neither drifts nor bursts after a slow event-loop turn.
"""

from __future__ import annotations

import asyncio
import math
import time
from fractions import Fraction
from typing import Any

import numpy as np

RATE = 48000
SAMPLES = 960  # 20 ms
FREQUENCY = 440.0
AMPLITUDE = 0.2 * 32767


def tone(start_sample: int, count: int = SAMPLES) -> np.ndarray[Any, np.dtype[np.int16]]:
    """``count`` samples of the tone starting at absolute sample ``start_sample``."""
    t = (np.arange(count) + start_sample) / RATE
    return (AMPLITUDE * np.sin(2 * math.pi * FREQUENCY * t)).astype(np.int16)


class SyntheticMicrophone:
    """Implements :class:`appliance.parts.microphone.Microphone` with a tone."""

    def track(self) -> Any:
        """A fresh tone track for one call."""
        from aiortc import MediaStreamTrack
        from aiortc.mediastreams import MediaStreamError
        from av import AudioFrame

        class _Tone(MediaStreamTrack):
            kind = "audio"

            def __init__(self) -> None:
                super().__init__()
                self._sample = 0
                self._start: float | None = None

            async def recv(self) -> Any:
                if self.readyState != "live":
                    raise MediaStreamError
                now = time.monotonic()
                if self._start is None:
                    self._start = now
                else:
                    wait = self._start + self._sample / RATE - now
                    if wait > 0:
                        await asyncio.sleep(wait)
                samples = tone(self._sample)
                frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
                frame.sample_rate = RATE
                frame.pts = self._sample
                frame.time_base = Fraction(1, RATE)
                self._sample += SAMPLES
                return frame

        return _Tone()

    def health(self) -> str:
        """Always ``ok``."""
        return "ok"
