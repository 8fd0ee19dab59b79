"""Moving the call's playback between the loudspeaker and the handset.

The caseworker's voice is played by the kiosk's Chromium, not by the daemon, so when
the handset is lifted the daemon moves Chromium's stream rather than its own: with
``pactl`` (works against PulseAudio and PipeWire's pipewire-pulse alike) it makes the
handset sink the default, so a stream opened later goes there too, and moves every
playing stream (sink input) to it. On the terminal the kiosk's Chromium is the only
thing playing, so "every stream" is exactly the call.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Mapping

from appliance.errors import AudioError

log = logging.getLogger(__name__)

PACTL_TIMEOUT_S = 3.0

Runner = Callable[[list[str]], str]
"""Runs a command and returns its stdout; raises :class:`AudioError` on failure."""


def run_command(argv: list[str]) -> str:
    """Run ``argv`` (no shell) and return its stdout."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments from the config
            argv, capture_output=True, text=True, timeout=PACTL_TIMEOUT_S, check=True
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise AudioError(f"{argv[0]} failed: {err}") from err
    return done.stdout


class PactlRouter:
    """Moves playback to the sink of a route (``speaker`` or ``handset``)."""

    def __init__(self, sinks: Mapping[str, str], *, run: Runner = run_command) -> None:
        self._sinks = dict(sinks)
        self._run = run

    def __call__(self, route: str) -> None:
        """Make the route's sink the default and move every playing stream to it."""
        sink = self._sinks.get(route)
        if not sink:
            return
        self._run(["pactl", "set-default-sink", sink])
        listing = self._run(["pactl", "list", "short", "sink-inputs"])
        for line in listing.splitlines():
            fields = line.split()
            if fields and fields[0].isdigit():
                self._run(["pactl", "move-sink-input", fields[0], sink])
        log.info("playback moved to %s (%s)", sink, route)
