"""Cameras behind one interface: synthetic stills, a V4L2 webcam played from a clip,
picamera2's logic with injected stand-ins, and audio-only calls without a camera."""

from __future__ import annotations

import asyncio
import io
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from appliance.errors import CameraError
from appliance.parts.camera import NoCamera, Still, create_camera
from appliance.parts.camera.feed import Feed
from appliance.parts.camera.synthetic import (
    STILL_HEIGHT,
    STILL_WIDTH,
    SyntheticCamera,
    read_frame_number,
    read_still_number,
    render_frame,
)
from appliance.parts.camera.tracks import Chunk, PacketTrack
from appliance.parts.camera.v4l2 import V4L2Camera
from tests.appliance.fakes import wait_for


def decode_jpeg(jpeg: bytes) -> np.ndarray[Any, Any]:
    with av.open(io.BytesIO(jpeg), format="mjpeg") as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24")


async def test_synthetic_still_is_sharp_full_size_and_video_keeps_running() -> None:
    camera = SyntheticCamera()
    track = camera.track()
    arrivals: list[float] = []

    async def pull() -> None:
        while True:
            await track.recv()
            arrivals.append(time.monotonic())

    puller = asyncio.create_task(pull())
    await wait_for(lambda: len(arrivals) >= 3)
    still = await camera.capture_still()
    second = await camera.capture_still()
    count = len(arrivals)
    await wait_for(lambda: len(arrivals) >= count + 3)
    puller.cancel()
    track.stop()
    assert isinstance(still, Still) and (still.width, still.height) == (1920, 1080)
    assert still.jpeg[:2] == b"\xff\xd8" and 100_000 < len(still.jpeg) < 3_000_000
    image = decode_jpeg(still.jpeg)
    assert image.shape == (STILL_HEIGHT, STILL_WIDTH, 3)
    assert read_still_number(image) == 1
    assert read_still_number(decode_jpeg(second.jpeg)) == 2
    # 1-pixel line pairs survive: neighbouring columns still differ strongly.
    row = image[200, 100:600].astype(int).mean(axis=1)
    assert np.abs(np.diff(row)).mean() > 100
    # The video did not stall while stills were encoded (25 fps: one frame per 40 ms).
    gaps = np.diff(arrivals)
    assert gaps.max() < 0.25, f"video stalled {gaps.max():.3f} s during a still"


async def test_no_camera_means_no_track_and_no_still() -> None:
    camera = create_camera("none")
    assert camera.track() is None and camera.health() == "missing" and camera.frames_sent == 0
    with pytest.raises(CameraError):
        await camera.capture_still()
    camera.close()


def test_auto_without_pi_camera_or_webcam_runs_without_camera(tmp_path: Path) -> None:
    camera = create_camera("auto", device=str(tmp_path / "video0"))
    assert isinstance(camera, NoCamera) and camera.health() == "missing"
    explicit = create_camera("picamera2")
    assert isinstance(explicit, NoCamera)  # picamera2 is not installed here: never faked


def test_camera_leg_without_camera_offers_audio_only() -> None:
    from appliance.media.host_addresses import apply_host_addresses
    from appliance.media.peer import AiortcCameraLeg
    from appliance.parts.microphone import create_microphone

    async def offer() -> str:
        leg = AiortcCameraLeg(ice_servers=[], video=NoCamera().track,
                              audio=create_microphone("synthetic").track,
                              on_failed=lambda _: None)  # fmt: skip
        try:
            return await leg.offer()
        finally:
            await leg.close()

    apply_host_addresses(["127.0.0.1"])
    try:
        sdp = asyncio.run(offer())
    finally:
        apply_host_addresses([])
    assert "m=audio" in sdp and "m=video" not in sdp


# --- V4L2, through a recorded clip ----------------------------------------------------


def write_clip(path: Path, frames: int, fps: int = 25) -> None:
    """An MJPEG clip of synthetic frames, as a UVC webcam would deliver them."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("mjpeg", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuvj422p"
        for number in range(frames):
            frame = av.VideoFrame.from_ndarray(render_frame(number), format="rgb24")
            frame.pts = number
            frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


async def test_v4l2_clip_frames_still_and_reconnect(tmp_path: Path) -> None:
    clip = tmp_path / "video0.mkv"
    camera = V4L2Camera(device=str(clip), container_format=None, retry_s=0.05)
    camera.start()
    try:
        await wait_for(lambda: camera.health() == "missing", within=2)
        assert camera.track() is None
        write_clip(clip, 15)  # the webcam is plugged in
        await wait_for(lambda: camera.health() == "ok", within=5)
        track = camera.track()
        numbers = []
        for _ in range(6):
            frame = await asyncio.wait_for(track.recv(), 5)
            assert (frame.width, frame.height) == (640, 480)
            numbers.append(read_frame_number(frame.to_ndarray(format="rgb24")))
        readable = [n for n in numbers if n is not None]
        assert len(readable) >= 5 and readable == sorted(readable)
        assert camera.frames_sent == 6
        still = await camera.capture_still()
        assert (still.width, still.height) == (640, 480)
        assert decode_jpeg(still.jpeg).shape == (480, 640, 3)
        # The clip ends (like an unplug): the camera reopens it and frames come again.
        await wait_for(lambda: camera.opened >= 2, within=5)
        frame = await asyncio.wait_for(track.recv(), 5)
        assert frame.width == 640
        track.stop()
        clip.unlink()  # unplugged for good
        await wait_for(lambda: camera.health() == "missing", within=5)
        with pytest.raises(CameraError):
            await camera.capture_still()
    finally:
        camera.close()


def test_v4l2_device_options(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def opener(path: str, **kwargs: Any) -> Any:
        seen.update(path=path, **kwargs)
        raise av.FFmpegError(19, "No such device")

    camera = V4L2Camera(device="/dev/video7", size=(1280, 720), fps=30, opener=opener)
    with pytest.raises(av.FFmpegError):
        camera._open()
    assert seen == {
        "path": "/dev/video7",
        "format": "v4l2",
        "options": {"video_size": "1280x720", "framerate": "30", "input_format": "mjpeg"},
    }


# --- the packet track -----------------------------------------------------------------


async def test_packet_track_starts_at_keyframe_and_resyncs_after_overflow() -> None:
    feed: Feed[Chunk] = Feed()
    starts: list[int] = []
    track = PacketTrack(feed, SyntheticCamera().activity, depth=3,
                        on_start=lambda: starts.append(1))  # fmt: skip
    first = asyncio.create_task(track.recv())
    await wait_for(lambda: feed.active)
    feed.publish(Chunk(b"\0\0\0\1\x41p1", False, 1000))  # a P-frame: skipped
    feed.publish(Chunk(b"\0\0\0\1\x65i1", True, 41000))
    packet = await asyncio.wait_for(first, 2)
    assert bytes(packet) == b"\0\0\0\1\x65i1" and packet.pts == 0
    assert packet.time_base == Fraction(1, 1_000_000)
    await wait_for(lambda: starts == [1])
    for n in range(5):  # overflow: 5 P-frames into a queue of 3
        feed.publish(Chunk(b"\0\0\0\1\x41p%d" % n, False, 81000 + n))
    feed.publish(Chunk(b"\0\0\0\1\x65i2", True, 200000))
    await asyncio.sleep(0.05)
    packet = await asyncio.wait_for(track.recv(), 2)
    assert bytes(packet) == b"\0\0\0\1\x65i2" and packet.pts == 200000 - 41000
    track.stop()
    assert not feed.active


async def test_v4l2_captures_only_between_start_and_stop(tmp_path: Path) -> None:
    clip = tmp_path / "video0.mkv"
    write_clip(clip, 50)
    camera = create_camera("v4l2", device=str(clip))
    assert isinstance(camera, V4L2Camera)
    camera.container_format = None  # play the clip through the same code path
    try:
        await asyncio.sleep(0.3)
        assert (camera.opened, camera.frames_captured, camera.capturing) == (0, 0, False)
        assert camera.health() == "ok"  # the device node exists; nothing is read
        camera.start()  # the citizen continued
        await wait_for(lambda: camera.frames_captured >= 3, within=5)
        camera.stop()  # the call is over
        assert not camera.capturing
        captured = camera.frames_captured
        await asyncio.sleep(0.3)
        assert camera.frames_captured == captured and camera.opened == 1
        camera.start()  # the next call opens it again
        await wait_for(lambda: camera.opened == 2 and camera.frames_captured > captured)
    finally:
        camera.close()
    assert not camera.capturing
