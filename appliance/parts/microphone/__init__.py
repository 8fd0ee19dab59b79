"""The microphone part: a small interface and a factory choosing by config.

Only ``synthetic`` (a 440 Hz tone) lives here, for the media loopback tests; the
daemon's microphone (PipeWire, ALSA, WAV, handset) is :mod:`appliance.parts.audio`.
"""

from __future__ import annotations

from typing import Any, Protocol

from appliance.errors import ConfigError


class Microphone(Protocol):
    """An audio source for the camera leg."""

    def track(self) -> Any:
        """A fresh aiortc audio MediaStreamTrack for one call, or None if unavailable."""
        ...

    def health(self) -> str:
        """``ok``, ``missing`` or ``failed``."""
        ...


def create_microphone(kind: str) -> Microphone:
    """Build the microphone named by the ``microphone`` config key."""
    if kind == "synthetic":
        from appliance.parts.microphone.synthetic import SyntheticMicrophone

        return SyntheticMicrophone()
    raise ConfigError("microphone", f"unknown microphone {kind!r} (known: synthetic)")
