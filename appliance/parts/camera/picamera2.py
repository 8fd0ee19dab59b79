"""Raspberry Pi cameras (Camera Module 3 and others) through picamera2 and libcamera.

One video configuration serves both the call and document photos, so a still never
switches the sensor mode (which would stop the video for about a second):

- ``main``: YUV420 at the largest size of the fastest-enough sensor mode, cropped to
  the video's 4:3 aspect ratio, for stills. Not the sensor's full 4608x2592: on the
  Camera Module 3 (imx708) that mode runs at 14 fps at most, below the 20 fps that
  EN 301 549 asks for sign language; its 2304x1296 binned mode runs at 56 fps and gives
  1728x1296 stills, enough to read a form held to the camera.
- ``lores``: YUV420 at ``size`` (640x480) for the call. libcamera scales both streams
  from the same crop, so they share the field of view and neither is stretched.

Pi 4 (VC4 platform): the lores stream goes to the hardware H.264 encoder
(``picamera2.encoders.H264Encoder``, ``/dev/video11``), whose access units reach aiortc
as ``av.Packet`` through :class:`~appliance.parts.camera.tracks.PacketTrack`: no
software encoding at all (aiortc issue 366: a Pi 4 manages 5 fps at 1080p in software).
``repeat=True`` repeats SPS/PPS before every IDR and ``iperiod`` makes one every 2 s,
because aiortc's PLI/FIR handling only reaches its own encoders; when a call's track
starts, the encoder is restarted so its first frame is an IDR at once.

Pi 5 (PiSP, no hardware encoder): lores frames are handed over as ``av.VideoFrame``
from picamera2's ``post_callback`` and aiortc encodes them in software at 640x480.

picamera2 needs libcamera's Python bindings, which only Raspberry Pi OS ships, so it is
imported in :func:`picamera2_available` and :meth:`Picamera2Camera.open` only. Tests
inject stand-ins for the ``Picamera2`` class, the encoder and the ``Output`` base
(:class:`Picamera2Api`); this adapter has not yet run on a Pi.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.errors import CameraError
from appliance.parts.camera import Still
from appliance.parts.camera.activity import FrameActivity
from appliance.parts.camera.feed import Feed
from appliance.parts.camera.tracks import KEYFRAME_INTERVAL_S, Chunk

log = logging.getLogger(__name__)

BITRATE = 1_500_000
"""H.264 bits/s at 640x480, 25 fps: sharp faces and hands, far below a LAN's or LTE's limit."""
STALL_S = 3.0


@dataclass(frozen=True)
class Picamera2Api:
    """The parts of picamera2 this adapter uses (injected by tests)."""

    picamera2: Callable[..., Any]
    """``picamera2.Picamera2``."""
    h264_encoder: Callable[..., Any]
    """``picamera2.encoders.H264Encoder``."""
    output: type
    """``picamera2.outputs.Output``, the base class of encoder outputs."""
    hardware_encoder: bool
    """True on a Pi 4 (VC4), False on a Pi 5 (PiSP: no H.264 block)."""


def import_api() -> Picamera2Api:
    """Import picamera2 (Raspberry Pi OS only); raises CameraError where it is missing."""
    try:
        from picamera2 import Picamera2
        from picamera2.encoders import H264Encoder
        from picamera2.outputs import Output
        from picamera2.platform import Platform, get_platform
    except ImportError as err:
        raise CameraError(f"picamera2 is not installed: {err}") from err
    return Picamera2Api(Picamera2, H264Encoder, Output, get_platform() == Platform.VC4)


def picamera2_available() -> bool:
    """Whether picamera2 imports and libcamera lists at least one camera."""
    try:
        api = import_api()
        return bool(api.picamera2.global_camera_info())  # type: ignore[attr-defined]
    except (CameraError, RuntimeError, OSError):
        return False


def choose_mode(modes: list[dict[str, Any]], fps: int) -> dict[str, Any]:
    """The largest sensor mode that runs at ``fps`` or faster (else the fastest one)."""
    if not modes:
        raise CameraError("the camera reports no sensor modes")
    fast = [m for m in modes if float(m.get("fps", 0)) >= fps]
    if not fast:
        return max(modes, key=lambda m: float(m.get("fps", 0)))
    return max(fast, key=lambda m: m["size"][0] * m["size"][1])


def main_size(mode_size: tuple[int, int], video_size: tuple[int, int]) -> tuple[int, int]:
    """The largest size within ``mode_size`` with the video's aspect ratio, width % 64 == 0."""
    mode_w, mode_h = mode_size
    video_w, video_h = video_size
    width = min(mode_w, mode_h * video_w // video_h)
    width -= width % 64
    height = width * video_h // video_w
    height -= height % 2
    return width, height


class Picamera2Camera:
    """Implements :class:`appliance.parts.camera.Camera` with picamera2."""

    def __init__(
        self,
        *,
        size: tuple[int, int] = (640, 480),
        fps: int = 25,
        api: Picamera2Api | None = None,
        camera_num: int = 0,
    ) -> None:
        self.activity = FrameActivity()
        self.size = size
        self.fps = fps
        self._api = api
        self._camera_num = camera_num
        self._cam: Any = None
        self._encoder: Any = None
        self._output: Any = None
        self._packets: Feed[Chunk] = Feed()
        self._frames: Feed[Any] = Feed()
        self._state = "missing"
        self._last = 0.0
        self._restart_lock = threading.Lock()
        self.still_size: tuple[int, int] | None = None
        self.capturing = False
        """Between :meth:`start` (or :meth:`open`) and :meth:`stop`."""

    @property
    def frames_sent(self) -> int:
        """Frames or packets handed to aiortc since start."""
        return self.activity.count

    @property
    def hardware_encoder(self) -> bool:
        """Whether video is H.264 from the Pi 4's encoder (else frames for aiortc)."""
        return self._api is not None and self._api.hardware_encoder

    def open(self) -> None:
        """Configure the two streams and start capturing; raises CameraError."""
        api = self._api if self._api is not None else import_api()
        self._api = api
        try:
            cam = api.picamera2(self._camera_num)
            mode = choose_mode(list(cam.sensor_modes), self.fps)
            self.still_size = main_size(tuple(mode["size"]), self.size)
            config = cam.create_video_configuration(
                main={"size": self.still_size, "format": "YUV420"},
                lores={"size": self.size, "format": "YUV420"},
                sensor={"output_size": mode["size"], "bit_depth": mode.get("bit_depth", 10)},
                controls={"FrameRate": self.fps},
                encode="lores",
            )
            cam.configure(config)
            self._cam = cam
            if api.hardware_encoder:
                self._encoder = api.h264_encoder(
                    bitrate=BITRATE, repeat=True, iperiod=round(self.fps * KEYFRAME_INTERVAL_S)
                )
                self._output = self._make_output(api.output)
                cam.start_encoder(self._encoder, self._output, name="lores")
            else:
                cam.post_callback = self._on_request
            cam.start()
            self.capturing = True
        except (RuntimeError, OSError, ValueError, KeyError) as err:
            self._state = "failed"
            raise CameraError(f"cannot start the Pi camera: {err}") from err
        self._state = "ok"
        self._last = time.monotonic()
        log.info(
            "Pi camera: video %dx%d@%d (%s), stills %dx%d",
            *self.size, self.fps, "hardware H.264" if api.hardware_encoder else "frames",
            *self.still_size,
        )  # fmt: skip

    def start(self) -> None:
        """Start the sensor (and encoder) again after :meth:`stop` (idempotent)."""
        cam = self._cam
        if cam is None or self.capturing:
            return
        try:
            if self._encoder is not None:
                cam.start_encoder(self._encoder, self._output, name="lores")
            cam.start()
        except (RuntimeError, OSError) as err:
            log.warning("starting the Pi camera failed: %s", err)
            self._state = "failed"
            return
        self.capturing = True
        self._last = time.monotonic()

    def stop(self) -> None:
        """Stop the sensor (and encoder) between calls; the configuration stays."""
        cam = self._cam
        if cam is None or not self.capturing:
            return
        self.capturing = False
        try:
            if self._encoder is not None:
                cam.stop_encoder(self._encoder)
            cam.stop()
        except (RuntimeError, OSError) as err:
            log.warning("stopping the Pi camera failed: %s", err)

    def _make_output(self, base: type) -> Any:
        camera = self

        class _ToFeed(base):  # type: ignore[misc]
            """Encoder output: each access unit goes to the packet feed."""

            def outputframe(
                self, frame: Any, keyframe: bool = True, timestamp: int | None = None,
                *_: Any, **__: Any,
            ) -> None:  # fmt: skip
                camera._last = time.monotonic()
                camera._packets.publish(Chunk(bytes(frame), bool(keyframe), int(timestamp or 0)))

        return _ToFeed()

    def _on_request(self, request: Any) -> None:
        # picamera2's camera thread, once per frame (Pi 5 path).
        from av import VideoFrame

        array = request.make_array("lores")
        width, height = self.size
        if array.shape != (height * 3 // 2, width):
            log.error("lores array %s is not %dx%d YUV420 without padding", array.shape, *self.size)
            self._state = "failed"
            return
        self._last = time.monotonic()
        self._frames.publish(VideoFrame.from_ndarray(array, format="yuv420p"))

    def request_keyframe(self) -> None:
        """Restart the hardware encoder so that its next frame is an IDR (blocking)."""
        if self._cam is None or self._encoder is None:
            return
        with self._restart_lock:
            try:
                self._cam.stop_encoder(self._encoder)
                self._cam.start_encoder(self._encoder, self._output, name="lores")
            except (RuntimeError, OSError) as err:
                log.warning("restarting the H.264 encoder failed: %s", err)

    def track(self) -> Any:
        """A fresh track: H.264 packets on a Pi 4, frames on a Pi 5; None unless running."""
        from appliance.parts.camera.tracks import FrameTrack, PacketTrack

        if self._state != "ok":
            return None
        if self.hardware_encoder:
            return PacketTrack(self._packets, self.activity, on_start=self.request_keyframe)
        return FrameTrack(self._frames, self.activity)

    def health(self) -> str:
        """``ok`` while frames arrive, ``failed`` if they stop, ``missing`` if never opened."""
        if self._state == "ok" and self.capturing and time.monotonic() - self._last > STALL_S:
            return "failed"
        return self._state

    async def capture_still(self) -> Still:
        """The next ``main`` frame as JPEG, without stopping the video or switching mode."""
        if self._cam is None or self.still_size is None:
            raise CameraError("the Pi camera is not running")
        return await asyncio.to_thread(self._still)

    def _still(self) -> Still:
        from appliance.parts.camera.jpeg import encode_array

        width, height = self.still_size or (0, 0)
        try:
            request = self._cam.capture_request()
            try:
                array = request.make_array("main")
            finally:
                request.release()
        except (RuntimeError, OSError) as err:
            raise CameraError(f"the Pi camera gave no still: {err}") from err
        if array.shape != (height * 3 // 2, width):
            raise CameraError(f"main array {array.shape} is not {width}x{height} YUV420")
        return Still(jpeg=encode_array(array, "yuv420p"), width=width, height=height)

    def close(self) -> None:
        """Stop the encoder and the camera and release it (idempotent)."""
        cam, self._cam = self._cam, None
        if cam is None:
            return
        try:
            if self.capturing:
                if self._encoder is not None:
                    cam.stop_encoder(self._encoder)
                cam.stop()
            cam.close()
        except (RuntimeError, OSError) as err:
            log.warning("closing the Pi camera: %s", err)
        self.capturing = False
        self._state = "missing"
