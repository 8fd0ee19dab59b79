"""The camera part: one small interface, and a factory choosing the implementation by config.

Implementations: ``synthetic`` (a generated moving picture: demo, tests, CI),
``picamera2`` (Raspberry Pi cameras through libcamera; H.264 from the Pi 4's hardware
encoder), ``v4l2`` (USB webcams through PyAV) and ``none``. Real adapters import their
libraries only when opened, so a terminal without them still starts.

``auto`` tries picamera2, then the V4L2 device, and otherwise runs without a camera:
the call is then audio-only. It never falls back to the synthetic picture, which would
show a caseworker colour bars instead of a citizen; that one is chosen explicitly.

Cameras capture only while a call is wanted: the coordinator calls :meth:`Camera.start`
when the citizen continues from the information screen (which promises exactly that)
and :meth:`Camera.stop` when the call is over. A camera is opened once at start only to
learn whether it works (``health``), then stopped until a call.

Every camera can take a full-resolution still while the video keeps running
(:meth:`Camera.capture_still`): the caseworker's "photo of a document" must not freeze
or renegotiate the call.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Protocol

from appliance.errors import CameraError, ConfigError
from appliance.parts.camera.activity import FrameActivity

log = logging.getLogger(__name__)

KINDS = ("auto", "picamera2", "v4l2", "synthetic", "none")


@dataclass(frozen=True)
class Still:
    """A JPEG photo taken during a call."""

    jpeg: bytes
    width: int
    height: int


class Camera(Protocol):
    """A video source for the camera leg, and a still camera for document photos."""

    activity: FrameActivity
    """Frames handed to aiortc (drives ``frames_sent`` and the camera LED)."""

    @property
    def frames_sent(self) -> int:
        """Frames handed to aiortc over the part's life (all calls)."""
        ...

    def track(self) -> Any:
        """A fresh aiortc video MediaStreamTrack for one call, or None without a camera."""
        ...

    def health(self) -> str:
        """``ok``, ``missing`` or ``failed``."""
        ...

    async def capture_still(self) -> Still:
        """A full-resolution JPEG, taken without stopping the video; raises CameraError."""
        ...

    def start(self) -> None:
        """Start capturing: a call was requested (idempotent)."""
        ...

    def stop(self) -> None:
        """Stop capturing until the next call; may block briefly (idempotent)."""
        ...

    def close(self) -> None:
        """Stop capturing and release the device (idempotent)."""
        ...


class NoCamera:
    """A terminal without a camera: calls are audio-only."""

    def __init__(self, reason: str = "missing") -> None:
        self.activity = FrameActivity()
        self._reason = reason

    @property
    def frames_sent(self) -> int:
        """Always 0."""
        return self.activity.count

    def track(self) -> Any:
        """None: the camera leg offers audio only."""
        return None

    def health(self) -> str:
        """``missing`` (or ``failed`` when a configured camera could not be opened)."""
        return self._reason

    async def capture_still(self) -> Still:
        """Always fails: there is no camera."""
        raise CameraError("this terminal has no camera")

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    def close(self) -> None:
        """Nothing to release."""


def create_camera(
    kind: str,
    *,
    device: str = "/dev/video0",
    size: tuple[int, int] = (640, 480),
    fps: int = 25,
) -> Camera:
    """Build and open the camera named by the ``camera`` config key."""
    if kind not in KINDS:
        raise ConfigError("camera", f"unknown camera {kind!r} (known: {', '.join(KINDS)})")
    if kind == "synthetic":
        from appliance.parts.camera.synthetic import SyntheticCamera

        return SyntheticCamera(size=size, fps=fps)
    if kind == "none":
        return NoCamera()
    if kind in ("auto", "picamera2"):
        from appliance.parts.camera.picamera2 import Picamera2Camera, picamera2_available

        if picamera2_available():
            camera = Picamera2Camera(size=size, fps=fps)
            try:
                camera.open()
                camera.stop()  # opened to check it works; it captures only during calls
                return camera
            except CameraError as err:
                log.warning("Pi camera unavailable: %s", err)
                if kind == "picamera2":
                    return NoCamera("failed")
        elif kind == "picamera2":
            log.warning("camera = picamera2, but picamera2 or a Pi camera is missing")
            return NoCamera()
    if kind == "v4l2" or os.path.exists(device):
        from appliance.parts.camera.v4l2 import V4L2Camera

        return V4L2Camera(device=device, size=size, fps=fps)  # started by the coordinator
    log.warning("no camera found (camera = auto): calls will be audio-only")
    return NoCamera()
