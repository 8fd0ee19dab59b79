"""The synthetic camera and microphone tracks."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from appliance.errors import ConfigError
from appliance.parts.camera import create_camera
from appliance.parts.camera.synthetic import read_frame_number, render_frame
from appliance.parts.microphone import create_microphone


def test_render_and_read_back_frame_numbers() -> None:
    for number in (0, 7, 1234, 987654):
        image = render_frame(number)
        assert image.shape == (480, 640, 3)
        assert read_frame_number(image) == number
    assert not np.array_equal(render_frame(1), render_frame(2))


def test_read_back_survives_noise() -> None:
    rng = np.random.default_rng(1)
    image = render_frame(4711).astype(np.int16) + rng.integers(-40, 40, (480, 640, 3))
    assert read_frame_number(np.clip(image, 0, 255).astype(np.uint8)) == 4711


async def test_track_delivers_640x480_at_25_fps_and_counts() -> None:
    camera = create_camera("synthetic")
    track = camera.track()
    start = time.monotonic()
    numbers = []
    for _ in range(6):
        frame = await track.recv()
        assert (frame.width, frame.height) == (640, 480)
        numbers.append(read_frame_number(frame.to_ndarray(format="rgb24")))
    elapsed = time.monotonic() - start
    assert numbers == [0, 1, 2, 3, 4, 5]
    assert 0.15 <= elapsed <= 0.5  # 5 intervals of 40 ms
    assert camera.frames_sent == 6
    assert camera.health() == "ok"
    track.stop()


async def test_microphone_tone_frames() -> None:
    track = create_microphone("synthetic").track()
    frames = [await track.recv() for _ in range(3)]
    assert all(f.sample_rate == 48000 and f.samples == 960 for f in frames)
    assert [f.pts for f in frames] == [0, 960, 1920]
    samples = frames[0].to_ndarray()
    assert samples.dtype == np.int16 and samples.max() > 5000
    track.stop()
    await asyncio.sleep(0)


def test_unknown_parts_are_config_errors() -> None:
    with pytest.raises(ConfigError) as err:
        create_camera("picamera9")
    assert err.value.key == "camera"
    with pytest.raises(ConfigError):
        create_microphone("nope")
