"""Helpers for the audio tests: WAV files written with the stdlib, tone detection."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np

from appliance.parts.audio.selftest import goertzel_amplitude


def write_wav(path: Path, frequency: float, *, seconds: float = 0.5, rate: int = 48000,
              channels: int = 1, amplitude: float = 0.3) -> Path:  # fmt: skip
    """Write a 16-bit sine WAV file and return its path."""
    t = np.arange(int(rate * seconds)) / rate
    mono = (amplitude * 32767 * np.sin(2 * math.pi * frequency * t)).astype("<i2")
    data = np.repeat(mono[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())
    return path


def dominant(samples: np.ndarray, candidates: tuple[float, ...] = (440.0, 880.0, 1000.0)) -> float:
    """Which of ``candidates`` is loudest in ``samples`` (0.0 for near silence)."""
    best = max(candidates, key=lambda f: goertzel_amplitude(samples, f))
    return best if goertzel_amplitude(samples, best) > 100 else 0.0
