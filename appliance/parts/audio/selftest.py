"""Start-up self-test of echo cancellation: play a tone, listen for it, measure.

aiortc has no echo canceller; PipeWire's echo-cancel module in the image is the only
thing that keeps the caseworker from hearing themselves. If it is not loaded (a
missing package, a renamed node, a config typo), the terminal still works but the
caseworker hears an echo of their own voice, delayed by the call's round trip, and
nobody at the terminal notices. So at start the daemon plays a 1 kHz tone (300 ms)
into the echo-cancel sink while it records the echo-cancel source, and measures the
tone's level in the recording with the Goertzel algorithm (one DFT bin, no FFT).

Verdict ``ok`` when the tone comes back at least ``MIN_ATTENUATION_DB`` (20 dB) below
the level it was played at, ``failed`` otherwise; ``skipped`` when there is no real
audio (synthetic, wav, none) or a device could not be opened. The 20 dB threshold
is a starting point, not yet measured on the kiosk's hardware: with no canceller the
tone returns close to its played level from a loudspeaker next to the microphone,
while a working canceller removes most of it.

Playing and recording are passed in (:class:`Player`, :class:`Recorder`), so the
analysis is tested with synthetic signals and the devices with fakes.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from appliance.errors import AudioError

log = logging.getLogger(__name__)

RATE = 48000
TONE_HZ = 1000.0
TONE_S = 0.3
TONE_AMPLITUDE = 0.5  # of full scale: loud enough to measure, short enough not to startle
RECORD_S = 0.9  # the tone plus output and input latency
HOP_S = 0.01  # windows 10 ms apart: the echo's level is underestimated by < 0.2 dB
MIN_ATTENUATION_DB = 20.0
MAX_ATTENUATION_DB = 120.0

Verdict = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class SelfTestResult:
    """The echo-cancellation verdict, the measured attenuation (dB) and a sentence."""

    echo_cancel: Verdict
    attenuation_db: float | None
    detail: str
    missing: str | None = None
    """``speaker`` or ``microphone`` when that device could not be opened."""

    def as_dict(self) -> dict[str, Any]:
        """For /healthz and the log."""
        return {
            "echo_cancel": self.echo_cancel,
            "attenuation_db": self.attenuation_db,
            "detail": self.detail,
        }


class Player(Protocol):
    """Plays samples (48 kHz mono s16) to the speaker; blocking."""

    def play(self, samples: np.ndarray[Any, np.dtype[np.int16]]) -> None:
        """Play and return when the samples have been handed to the device."""
        ...


class Recorder(Protocol):
    """Records the microphone (48 kHz mono s16); blocking."""

    def record(self, seconds: float) -> np.ndarray[Any, np.dtype[np.int16]]:
        """Record ``seconds`` of audio."""
        ...


def tone(
    frequency: float = TONE_HZ, seconds: float = TONE_S, amplitude: float = TONE_AMPLITUDE
) -> np.ndarray[Any, np.dtype[np.int16]]:
    """A sine burst with 5 ms fades (no clicks), as s16."""
    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    ramp = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.005 * RATE))
    return (amplitude * 32767 * ramp * np.sin(2 * math.pi * frequency * t)).astype(np.int16)


def goertzel_amplitude(samples: np.ndarray[Any, Any], frequency: float, rate: int = RATE) -> float:
    """Peak amplitude of the ``frequency`` component of ``samples`` (Goertzel algorithm)."""
    n = len(samples)
    if n == 0:
        return 0.0
    omega = 2 * math.pi * frequency / rate
    coeff = 2 * math.cos(omega)
    s1 = s2 = 0.0
    for x in samples.astype(np.float64).tolist():
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


def sliding_amplitude(
    samples: np.ndarray[Any, Any], frequency: float, window: int, rate: int = RATE
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Goertzel's amplitude for every window of ``window`` samples, hop ``HOP_S``.

    Goertzel's result for one window equals the magnitude of the DFT bin at
    ``frequency``; for many overlapping windows the same number comes from a running
    sum of the demodulated signal, O(n) instead of O(n x windows) in Python.
    """
    x = samples.astype(np.float64)
    if len(x) < window:
        x = np.pad(x, (0, window - len(x)))
    demodulated = x * np.exp(-2j * math.pi * frequency * np.arange(len(x)) / rate)
    sums = np.concatenate(([0], np.cumsum(demodulated)))
    starts = np.arange(0, len(x) - window + 1, int(HOP_S * rate))
    out: np.ndarray[Any, np.dtype[np.float64]] = (
        2 * np.abs(sums[starts + window] - sums[starts]) / window
    )
    return out


def analyse(
    played: np.ndarray[Any, Any],
    recorded: np.ndarray[Any, Any],
    *,
    frequency: float = TONE_HZ,
    min_db: float = MIN_ATTENUATION_DB,
) -> SelfTestResult:
    """Compare the tone's level in ``recorded`` (loudest window) with its level as played."""
    reference = goertzel_amplitude(played, frequency)
    if reference <= 0:
        raise AudioError("the self-test tone is silent")
    loudest = float(sliding_amplitude(recorded, frequency, len(played)).max())
    if loudest <= 0:
        attenuation = MAX_ATTENUATION_DB
    else:
        attenuation = min(MAX_ATTENUATION_DB, 20 * math.log10(reference / loudest))
    attenuation = round(attenuation, 1)
    if attenuation >= min_db:
        return SelfTestResult("ok", attenuation, f"echo {attenuation} dB below the tone")
    return SelfTestResult(
        "failed", attenuation, f"echo only {attenuation} dB below the tone (need {min_db})"
    )


async def run_selftest(player: Player | None, recorder: Recorder | None) -> SelfTestResult:
    """Play the tone while recording and analyse; never raises for device problems."""
    if player is None or recorder is None:
        return SelfTestResult("skipped", None, "no real audio devices configured")
    played = tone()
    recording = asyncio.create_task(asyncio.to_thread(recorder.record, RECORD_S))
    try:
        await asyncio.sleep(0.05)  # let the recorder open first: the tone must not be missed
        await asyncio.to_thread(player.play, played)
    except AudioError as err:
        await asyncio.gather(recording, return_exceptions=True)
        return SelfTestResult("skipped", None, f"speaker: {err}", missing="speaker")
    try:
        recorded = await recording
    except AudioError as err:
        return SelfTestResult("skipped", None, f"microphone: {err}", missing="microphone")
    return await asyncio.to_thread(analyse, played, recorded)
