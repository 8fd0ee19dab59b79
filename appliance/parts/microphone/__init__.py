"""The microphone part: a small interface and a factory choosing by config.

The real adapter will capture from PipeWire's echo-cancel source; only ``synthetic``
(a 440 Hz tone) exists so far.
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
