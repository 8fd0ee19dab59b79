"""The echo self-test: Goertzel analysis on synthetic signals, and the run with fake devices."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from appliance.config import Config
from appliance.errors import AudioError
from appliance.parts.audio import create_audio, selftest
from appliance.parts.audio.selftest import (
    HOP_S,
    RATE,
    RECORD_S,
    analyse,
    goertzel_amplitude,
    run_selftest,
    sliding_amplitude,
    tone,
)


def test_goertzel_measures_amplitude_and_rejects_other_frequencies() -> None:
    t = np.arange(RATE // 10) / RATE
    signal = 1000 * np.sin(2 * math.pi * 1000 * t) + 500 * np.sin(2 * math.pi * 440 * t)
    assert goertzel_amplitude(signal, 1000) == pytest.approx(1000, rel=0.01)
    assert goertzel_amplitude(signal, 440) == pytest.approx(500, rel=0.01)
    assert goertzel_amplitude(signal, 2500) < 10
    assert goertzel_amplitude(np.zeros(0), 1000) == 0.0


def test_sliding_windows_agree_with_goertzel() -> None:
    signal = room(tone(), gain=0.5)
    window = len(tone())
    sliding = sliding_amplitude(signal, 1000, window)
    for index in (0, 7, len(sliding) - 1):
        start = index * int(HOP_S * RATE)
        block = signal[start : start + window]
        assert sliding[index] == pytest.approx(goertzel_amplitude(block, 1000), rel=1e-6)


def room(
    played: np.ndarray, *, gain: float, delay_s: float = 0.12, noise: float = 30.0
) -> np.ndarray:
    """What the microphone hears: the tone delayed and scaled, plus noise."""
    rng = np.random.default_rng(7)
    out = rng.normal(0, noise, int(RECORD_S * RATE))
    start = int(delay_s * RATE)
    out[start : start + len(played)] += gain * played
    return np.clip(out, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize(
    ("gain", "verdict", "low", "high"),
    [
        (1.0, "failed", -0.5, 0.5),  # no canceller, speaker next to the microphone
        (0.3, "failed", 10, 11),  # some loss in the room, still an audible echo
        (0.05, "ok", 25.5, 26.5),  # 26 dB: a working canceller
        (0.0, "ok", 40, 121),  # nothing comes back but noise
    ],
)
def test_analyse(gain: float, verdict: str, low: float, high: float) -> None:
    played = tone()
    result = analyse(played, room(played, gain=gain))
    assert result.echo_cancel == verdict
    assert result.attenuation_db is not None and low <= result.attenuation_db <= high


def test_analyse_finds_the_echo_wherever_it_lands() -> None:
    played = tone()
    for delay in (0.0, 0.3, 0.55):
        assert analyse(played, room(played, gain=1.0, delay_s=delay)).echo_cancel == "failed"


class FakeRoom:
    """A player and a recorder sharing one acoustic path with ``gain``."""

    def __init__(
        self, gain: float, *, play_error: bool = False, record_error: bool = False
    ) -> None:
        self.gain = gain
        self.play_error = play_error
        self.record_error = record_error
        self._played: np.ndarray | None = None
        self._done = threading.Event()

    def play(self, samples: np.ndarray) -> None:
        self._done.set()
        if self.play_error:
            raise AudioError("no such sink")
        self._played = samples

    def record(self, seconds: float) -> np.ndarray:
        if self.record_error:
            raise AudioError("no such source")
        assert self._done.wait(5)
        assert self._played is not None
        return room(self._played, gain=self.gain)


async def test_run_with_fake_devices() -> None:
    bad = FakeRoom(0.8)
    assert (await run_selftest(bad, bad)).echo_cancel == "failed"
    good = FakeRoom(0.01)
    result = await run_selftest(good, good)
    assert result.echo_cancel == "ok" and result.attenuation_db is not None
    assert result.as_dict()["echo_cancel"] == "ok"
    assert (await run_selftest(None, None)).echo_cancel == "skipped"


async def test_missing_devices_are_reported_in_health() -> None:
    part = create_audio(Config())
    silent_sink = FakeRoom(0.0, play_error=True)
    await selftest(part, silent_sink, silent_sink)
    assert part.selftest.echo_cancel == "skipped"
    assert part.parts() == {"microphone": "ok", "speaker": "missing"}
    part = create_audio(Config())
    room_ = FakeRoom(0.0, record_error=True)
    await selftest(part, room_, room_)
    assert part.parts() == {"microphone": "missing", "speaker": "ok"}
    assert part.track() is None
