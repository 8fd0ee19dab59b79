"""The call's audio track: pacing, health, and the handset switch under a running track."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory

from appliance.config import Config
from appliance.errors import AudioError
from appliance.parts.audio import AudioPart, create_audio
from appliance.parts.audio.handset import HookSwitch
from appliance.parts.audio.sources import SAMPLES, Source, ToneSource
from tests.appliance.audio_helpers import dominant, write_wav


async def frames(track: Any, count: int) -> list[Any]:
    return [await track.recv() for _ in range(count)]


def samples(items: list[Any]) -> np.ndarray:
    return np.concatenate([f.to_ndarray().reshape(-1) for f in items])


async def until_tone(track: Any, frequency: float, limit: int = 50) -> list[Any]:
    """Read frames until the last two carry ``frequency``; return everything read."""
    got: list[Any] = []
    for _ in range(limit):
        got.append(await track.recv())
        if len(got) >= 2 and dominant(samples(got[-2:])) == frequency:
            return got
    raise AssertionError(f"no {frequency} Hz within {limit} frames")


async def test_synthetic_track_is_paced_and_continuous() -> None:
    track = create_audio(Config()).track()
    start = time.monotonic()
    got = await frames(track, 12)
    elapsed = time.monotonic() - start
    assert 0.15 < elapsed < 1.5  # 12 x 20 ms in real time, not as fast as possible
    assert [f.pts for f in got] == [i * SAMPLES for i in range(12)]
    assert all(f.sample_rate == 48000 and f.samples == SAMPLES for f in got)
    assert dominant(samples(got[-4:])) == 440.0
    track.stop()


async def test_handset_switch_keeps_the_track_running() -> None:
    part = create_audio(replace(Config(), handset_source="handset"))
    track = part.track()
    before = await until_tone(track, 440.0)
    part.set_handset(True)
    during = await until_tone(track, 880.0)
    part.set_handset(False)
    after = await until_tone(track, 440.0)
    pts = [f.pts for f in before + during + after]
    assert pts == [i * SAMPLES for i in range(len(pts))]  # one stream, no gap, no restart
    assert track.readyState == "live"
    track.stop()


async def test_without_a_handset_lifting_changes_nothing() -> None:
    part = create_audio(Config())
    part.set_handset(True)
    assert part.route == "speaker"


async def test_wav_backend_switches_files(tmp_path: Path) -> None:
    config = replace(
        Config(),
        audio="wav",
        audio_wav=str(write_wav(tmp_path / "room.wav", 440.0)),
        handset_source=str(write_wav(tmp_path / "handset.wav", 1000.0)),
    )
    part = create_audio(config)
    track = part.track()
    await until_tone(track, 440.0)
    part.set_handset(True)
    await until_tone(track, 1000.0)
    track.stop()


async def test_hook_switch_on_mock_pins_moves_the_route() -> None:
    factory = MockFactory()
    part = create_audio(replace(Config(), handset_source="handset"))
    hook = HookSwitch(27, pin_factory=factory, on_change=part.set_handset, lifted_when="open")
    try:
        pin = factory.pin(27)
        pin.drive_low()  # handset resting: the cradle closes the switch
        await asyncio.sleep(0.15)
        assert (part.route, hook.lifted) == ("speaker", False)
        track = part.track()
        await until_tone(track, 440.0)
        pin.drive_high()  # lifted
        await until_tone(track, 880.0)
        assert hook.lifted and part.route == "handset"
        pin.drive_low()
        await until_tone(track, 440.0)
        track.stop()
    finally:
        hook.close()
        factory.reset()


async def test_hook_polarity_closed_means_lifted() -> None:
    factory = MockFactory()
    routes: list[bool] = []
    hook = HookSwitch(27, pin_factory=factory, on_change=routes.append, lifted_when="closed")
    try:
        factory.pin(27).drive_low()
        assert hook.lifted and routes[-1] is True
    finally:
        hook.close()
        factory.reset()


class FlakySource:
    live = False

    def __init__(self, fail_after: int) -> None:
        self._left = fail_after
        self.closed = False

    async def read(self) -> np.ndarray:
        if self._left <= 0:
            raise AudioError("unplugged")
        self._left -= 1
        return await ToneSource(440.0).read()

    def close(self) -> None:
        self.closed = True


async def test_failed_input_sends_silence_reports_and_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("appliance.parts.audio.track.RETRY_S", 0.1)
    opened: list[FlakySource] = []
    refuse = False

    def opener(route: str, loop: asyncio.AbstractEventLoop) -> Source:
        if refuse:
            raise AudioError("no such device")
        opened.append(FlakySource(fail_after=3))
        return opened[-1]

    part = AudioPart("test", opener)
    track = part.track()
    await until_tone(track, 440.0)
    refuse = True
    silent = 0
    for _ in range(30):
        frame = await track.recv()
        silent += not frame.to_ndarray().any()
        if part.health() == "failed" and silent >= 3:
            break
    assert part.health() == "failed" and silent >= 3
    assert opened[0].closed
    refuse = False
    await until_tone(track, 440.0)
    assert part.health() == "ok"
    track.stop()
    assert opened[-1].closed


def test_health_entries() -> None:
    assert create_audio(Config()).parts() == {"microphone": "ok", "speaker": "ok"}
    none = create_audio(replace(Config(), audio="none"))
    assert none.parts() == {"microphone": "missing", "speaker": "missing"}
    assert none.track() is None
