"""The wall-clock stamp of the synthetic camera: drawn, compressed, read back."""

from __future__ import annotations

import time
from fractions import Fraction

import av
import numpy as np
import pytest

from appliance.parts.camera import clockstamp, create_camera
from appliance.parts.camera.synthetic import SyntheticCamera, read_frame_number, render_frame


@pytest.mark.parametrize("ms", [0, 1, 4711, 2**32 - 1, 1_764_160_000_123])
def test_a_stamp_reads_back_as_its_time_modulo_2_32(ms: int) -> None:
    image = render_frame(3)
    assert clockstamp.draw(image, ms)
    assert clockstamp.read(image) == ms % 2**32
    assert read_frame_number(image) == 3  # the stamp leaves the frame number alone


def test_a_misread_cell_is_rejected_not_reported() -> None:
    image = render_frame(0)
    clockstamp.draw(image, 123_456_789)
    where = clockstamp.layout(640, 480)
    assert where is not None
    for index in (5, 20, 39):  # a time bit, another, a check bit
        damaged = image.copy()
        damaged[where.cell(index)] = 255 - damaged[where.cell(index)]
        assert clockstamp.read(damaged) is None
    damaged = image.copy()
    damaged[where.cell(0)] = 0  # no sync
    assert clockstamp.read(damaged) is None


def test_frames_too_small_carry_no_stamp() -> None:
    tiny = np.zeros((120, 150, 3), dtype=np.uint8)
    assert clockstamp.layout(150, 120) is None
    assert not clockstamp.draw(tiny, 5)
    assert clockstamp.read(tiny) is None


def test_delay_is_signed_across_the_wrap() -> None:
    assert clockstamp.delay_ms(2**32 + 40, 2**32 - 60) == 100
    assert clockstamp.delay_ms(1000, 1100) == -100


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720)])
def test_stamps_survive_vp8_at_a_low_bit_rate(width: int, height: int) -> None:
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.bit_rate = 250_000  # aiortc's minimum
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"deadline": "realtime", "cpu-used": "-6", "lag-in-frames": "0"}  # aiortc's
    decoder = av.CodecContext.create("libvpx", "r")
    stamps, read = [], []
    for number in range(25):
        image = render_frame(number, size=(width, height))
        stamps.append(1_000_000 + 40 * number)
        clockstamp.draw(image, stamps[-1])
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = number
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                read.append(clockstamp.read(decoded.to_ndarray(format="rgb24")))
    assert len(read) >= 20
    assert [r for r in read if r is not None] == stamps[: len(read)]
    assert read.count(None) <= 2  # the first frames of a cold encoder may be too blurred


async def test_the_synthetic_track_stamps_when_it_makes_a_frame_at_its_size_and_rate() -> None:
    camera = create_camera("synthetic", size=(1280, 720), fps=50)
    track = camera.track()
    frames = []
    for _ in range(3):
        before = round(time.time() * 1000)
        frames.append(await track.recv())
        after = round(time.time() * 1000)
        stamp = clockstamp.read(frames[-1].to_ndarray(format="rgb24"))
        assert stamp is not None
        assert before % 2**32 <= stamp <= after % 2**32  # (a wrap every 49.7 days aside)
    assert {(f.width, f.height) for f in frames} == {(1280, 720)}
    assert [f.pts for f in frames] == [0, 1800, 3600]  # 90 kHz clock at 50 fps
    assert [read_frame_number(f.to_ndarray(format="rgb24")) for f in frames] == [0, 1, 2]
    track.stop()


async def test_the_stamp_comes_from_the_cameras_clock() -> None:
    track = SyntheticCamera(clock=lambda: 1_764_160_000.1234).track()
    frame = await track.recv()
    assert clockstamp.read(frame.to_ndarray(format="rgb24")) == 1_764_160_000_123 % 2**32
    track.stop()
