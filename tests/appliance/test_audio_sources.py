"""Audio inputs: tone, WAV (stdlib-written files), PyAV decoding; playback and recording."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from appliance.errors import AudioError
from appliance.parts.audio.devices import AvPlayer, AvRecorder
from appliance.parts.audio.selftest import tone
from appliance.parts.audio.sources import (
    SAMPLES,
    AvSource,
    ToneSource,
    WavSource,
    read_wav,
)
from tests.appliance.audio_helpers import dominant, write_wav


async def test_tone_source_frames() -> None:
    source = ToneSource(880.0)
    frames = [await source.read() for _ in range(3)]
    assert all(f.shape == (SAMPLES,) and f.dtype == np.int16 for f in frames)
    assert dominant(np.concatenate(frames)) == 880.0


def test_read_wav_mixes_down_and_resamples(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", 440.0, seconds=0.5, rate=16000, channels=2)
    data = read_wav(path)
    assert data.dtype == np.int16
    assert abs(len(data) - 24000) <= 1
    assert dominant(data) == 440.0


def test_read_wav_errors_are_audio_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError):
        read_wav(tmp_path / "missing.wav")
    (tmp_path / "junk.wav").write_bytes(b"not a wav")
    with pytest.raises(AudioError):
        read_wav(tmp_path / "junk.wav")


async def test_wav_source_loops(tmp_path: Path) -> None:
    source = WavSource(write_wav(tmp_path / "a.wav", 440.0, seconds=0.05))  # 2.5 frames
    frames = [await source.read() for _ in range(6)]  # wraps around twice
    assert all(len(f) == SAMPLES for f in frames)
    data = read_wav(source.path)
    assert np.array_equal(frames[0], data[:SAMPLES])
    assert np.array_equal(np.concatenate(frames)[len(data) : len(data) + 100], data[:100])


async def test_av_source_decodes_through_pyav(tmp_path: Path) -> None:
    # The WAV demuxer stands in for a sound card: same container/decode/resample path.
    path = write_wav(tmp_path / "a.wav", 1000.0, seconds=0.1, rate=44100, channels=2)
    source = await asyncio.to_thread(AvSource, "wav", str(path), loop=asyncio.get_running_loop())
    frames = []
    with pytest.raises(AudioError, match="stopped"):
        while True:
            frames.append(await source.read())
    assert frames and all(f.shape == (SAMPLES,) for f in frames)
    assert dominant(np.concatenate(frames)) == 1000.0
    source.close()


async def test_av_source_open_failure() -> None:
    with pytest.raises(AudioError, match="cannot open alsa input"):
        AvSource("alsa", "no-such-device-xyz", loop=asyncio.get_running_loop())


def test_player_and_recorder_round_trip_through_pyav(tmp_path: Path) -> None:
    out = tmp_path / "played.wav"
    AvPlayer("wav", str(out)).play(tone())
    played = read_wav(out)
    assert len(played) == len(tone())
    recorded = AvRecorder("wav", str(out)).record(0.2)
    assert len(recorded) == 9600
    assert dominant(recorded) == 1000.0
    with pytest.raises(AudioError, match="ended after"):
        AvRecorder("wav", str(out)).record(5.0)
    with pytest.raises(AudioError):
        AvPlayer("alsa", "no-such-device-xyz").play(tone())
