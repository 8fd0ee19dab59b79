"""The picamera2 adapter's own logic, with picamera2's objects replaced by stand-ins.

picamera2 runs only on Raspberry Pi OS; these tests check what this code does with
it (configuration, H.264 access units to aiortc, frames, stills, keyframe requests),
not picamera2 itself. The stand-in encoder makes real H.264 with PyAV's libx264, so the
loopback test proves that aiortc sends pre-encoded packets a receiver can decode.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from appliance.media.host_addresses import apply_host_addresses
from appliance.media.peer import AiortcCameraLeg
from appliance.parts.camera.picamera2 import (
    Picamera2Api,
    Picamera2Camera,
    choose_mode,
    main_size,
)
from appliance.parts.camera.synthetic import read_frame_number, render_frame
from tests.appliance.fakes import wait_for

IMX708_MODES = [
    {"size": (1536, 864), "fps": 120.13, "bit_depth": 10},
    {"size": (2304, 1296), "fps": 56.03, "bit_depth": 10},
    {"size": (4608, 2592), "fps": 14.35, "bit_depth": 10},
]


def yuv420(rgb: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p").to_ndarray()


class FakeOutput:
    """Stands in for picamera2.outputs.Output."""

    def outputframe(
        self, frame: bytes, keyframe: bool = True, timestamp: int | None = None
    ) -> None:
        raise NotImplementedError


class FakeEncoder:
    """Stands in for picamera2.encoders.H264Encoder; H.264 comes from libx264."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


class FakeRequest:
    def __init__(self, arrays: dict[str, np.ndarray[Any, Any]]) -> None:
        self.arrays = arrays
        self.released = False

    def make_array(self, name: str) -> np.ndarray[Any, Any]:
        return self.arrays[name]

    def release(self) -> None:
        self.released = True


class FakePicamera2:
    """Records what the adapter asks of Picamera2 and produces 25 frames a second."""

    def __init__(self, camera_num: int = 0) -> None:
        self.camera_num = camera_num
        self.sensor_modes = IMX708_MODES
        self.calls: list[Any] = []
        self.post_callback: Any = None
        self.config: dict[str, Any] = {}
        self._encoding: tuple[Any, Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.requests: list[FakeRequest] = []

    def create_video_configuration(self, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    def configure(self, config: dict[str, Any]) -> None:
        self.config = config

    def start_encoder(self, encoder: Any, output: Any, name: str) -> None:
        self.calls.append(("start_encoder", name))
        self._encoding = (encoder, output)
        self._x264: Any = None  # a fresh encoder starts with an IDR

    def stop_encoder(self, encoder: Any) -> None:
        self.calls.append("stop_encoder")
        self._encoding = None

    def start(self) -> None:
        self.calls.append("start")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.calls.append("stop")
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def close(self) -> None:
        self.calls.append("close")

    def capture_request(self) -> FakeRequest:
        w, h = self.config["main"]["size"]
        main = yuv420(np.full((h, w, 3), 200, dtype=np.uint8))
        request = FakeRequest({"main": main})
        self.requests.append(request)
        return request

    def _run(self) -> None:
        number = 0
        start = time.monotonic()
        while not self._stop.wait(max(0.0, start + number / 25 - time.monotonic())):
            lores = yuv420(render_frame(number))
            if self.post_callback is not None:
                self.post_callback(FakeRequest({"lores": lores}))
            encoding = self._encoding
            if encoding is not None:
                self._encode(encoding[1], lores, number)
            number += 1

    def _encode(self, output: Any, lores: np.ndarray[Any, Any], number: int) -> None:
        if self._x264 is None:
            self._x264 = av.CodecContext.create("libx264", "w")
            self._x264.width, self._x264.height, self._x264.pix_fmt = 640, 480, "yuv420p"
            self._x264.time_base = Fraction(1, 25)
            self._x264.options = {"tune": "zerolatency", "preset": "ultrafast",
                                  "profile": "baseline", "repeat-headers": "1"}  # fmt: skip
        frame = av.VideoFrame.from_ndarray(lores, format="yuv420p")
        frame.pts = number
        for packet in self._x264.encode(frame):
            output.outputframe(bytes(packet), packet.is_keyframe, number * 40_000)


def fake_api(hardware: bool) -> tuple[Picamera2Api, list[FakePicamera2]]:
    made: list[FakePicamera2] = []

    def factory(num: int = 0) -> FakePicamera2:
        made.append(FakePicamera2(num))
        return made[-1]

    return Picamera2Api(factory, FakeEncoder, FakeOutput, hardware_encoder=hardware), made


@pytest.fixture
def loopback() -> Iterator[None]:
    apply_host_addresses(["127.0.0.1"])
    yield
    apply_host_addresses([])


def test_mode_and_still_size_for_camera_module_3() -> None:
    mode = choose_mode(IMX708_MODES, 25)
    assert mode["size"] == (2304, 1296)  # full 4608x2592 runs at 14 fps only
    assert main_size(mode["size"], (640, 480)) == (1728, 1296)
    assert choose_mode(IMX708_MODES, 200)["fps"] == 120.13
    assert main_size((4608, 2592), (640, 480)) == (3456, 2592)


async def test_pi4_hardware_h264_reaches_an_aiortc_receiver(loopback: None) -> None:
    api, made = fake_api(hardware=True)
    camera = Picamera2Camera(api=api)
    camera.open()
    cam = made[0]
    assert cam.config["lores"] == {"size": (640, 480), "format": "YUV420"}
    assert cam.config["main"] == {"size": (1728, 1296), "format": "YUV420"}
    assert cam.config["encode"] == "lores" and cam.config["controls"] == {"FrameRate": 25}
    assert cam.config["sensor"] == {"output_size": (2304, 1296), "bit_depth": 10}
    encoder_kwargs = cam._encoding[0].kwargs  # type: ignore[index]
    assert encoder_kwargs["repeat"] is True and encoder_kwargs["iperiod"] == 50
    assert cam.calls[:2] == [("start_encoder", "lores"), "start"]

    leg = AiortcCameraLeg(ice_servers=[], video=camera.track, audio=lambda: None,
                          on_failed=lambda _: None)  # fmt: skip
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    numbers: list[int | None] = []
    consumers: list[asyncio.Future[None]] = []

    @answerer.on("track")
    def on_track(track: Any) -> None:
        async def consume() -> None:
            while True:
                frame = await track.recv()
                numbers.append(read_frame_number(frame.to_ndarray(format="rgb24")))

        consumers.append(asyncio.ensure_future(consume()))

    try:
        offer = await leg.offer()
        video = offer[offer.index("m=video") :]
        assert "H264/90000" in video and "VP8" not in video  # pre-encoded: H.264 only
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        await leg.apply_answer(answerer.localDescription.sdp)
        await wait_for(lambda: len(numbers) >= 10, within=15)
        readable = [n for n in numbers if n is not None]
        assert len(set(readable)) >= 5
        assert camera.frames_sent >= 10 and camera.health() == "ok"
        # The call's track asked for an IDR at once: the encoder was restarted.
        assert "stop_encoder" in cam.calls
    finally:
        await leg.close()
        await answerer.close()
        for consumer in consumers:
            consumer.cancel()
        camera.close()
    assert cam.calls[-3:] == ["stop_encoder", "stop", "close"]


async def test_pi5_frames_and_still_without_stopping_video() -> None:
    api, made = fake_api(hardware=False)
    camera = Picamera2Camera(api=api)
    camera.open()
    cam = made[0]
    assert cam.post_callback is not None and "start_encoder" not in str(cam.calls)
    track = camera.track()
    try:
        frames = [await asyncio.wait_for(track.recv(), 5) for _ in range(5)]
        assert all((f.width, f.height) == (640, 480) for f in frames)
        numbers = [read_frame_number(f.to_ndarray(format="rgb24")) for f in frames]
        assert len({n for n in numbers if n is not None}) >= 4
        still = await camera.capture_still()
        assert (still.width, still.height) == (1728, 1296) and still.jpeg[:2] == b"\xff\xd8"
        assert cam.requests[-1].released
        assert "stop" not in cam.calls  # no mode switch: the video kept running
        frame = await asyncio.wait_for(track.recv(), 5)
        assert frame.width == 640
    finally:
        track.stop()
        camera.close()
    assert camera.track() is None and camera.health() == "missing"


def test_open_failure_is_a_camera_error() -> None:
    from appliance.errors import CameraError

    def broken(num: int = 0) -> Any:
        raise RuntimeError("Camera __init__ sequence did not complete.")

    camera = Picamera2Camera(api=Picamera2Api(broken, FakeEncoder, FakeOutput, True))
    with pytest.raises(CameraError, match="did not complete"):
        camera.open()
    assert camera.health() == "failed" and camera.track() is None
