"""Whether the caseworker's browser is still heard on the camera leg: evidence the network is up.

The camera leg receives RTCP from the caseworker's browser (receiver reports, REMB, NACKs)
every second or so while media flows. The link's heartbeat asks :meth:`MediaPulse.alive`
before it takes a silent signaling socket for a lost network (appliance/heartbeat.py): on a
congested mobile line the pongs can stall for seconds while the reports still come through.
Pure, with the clock passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FRESH_S = 3.0
"""Reports older than this do not count: Chromium sends one per second per video stream."""


class MediaPulse:
    """The time of the last RTCP packet any camera leg received."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, fresh_s: float = FRESH_S):
        self._clock = clock
        self._fresh = fresh_s
        self._last: float | None = None

    def beat(self) -> None:
        """An RTCP packet arrived."""
        self._last = self._clock()

    def alive(self) -> bool:
        """Whether one arrived within the last ``fresh_s``."""
        return self._last is not None and self._clock() - self._last <= self._fresh
