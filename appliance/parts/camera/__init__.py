"""The camera part: a small interface and a factory choosing the implementation by config.

Real adapters (picamera2, v4l2) import their libraries only inside their module, so
a terminal without them still starts; only ``synthetic`` exists so far.
"""

from __future__ import annotations

from typing import Any, Protocol

from appliance.errors import ConfigError


class Camera(Protocol):
    """A video source for the camera leg."""

    frames_sent: int
    """Frames handed to aiortc over the part's life (all calls)."""

    def track(self) -> Any:
        """A fresh aiortc video MediaStreamTrack for one call, or None if unavailable."""
        ...

    def health(self) -> str:
        """``ok``, ``missing`` or ``failed``."""
        ...


def create_camera(kind: str) -> Camera:
    """Build the camera named by the ``camera`` config key."""
    if kind == "synthetic":
        from appliance.parts.camera.synthetic import SyntheticCamera

        return SyntheticCamera()
    raise ConfigError("camera", f"unknown camera {kind!r} (known: synthetic)")
