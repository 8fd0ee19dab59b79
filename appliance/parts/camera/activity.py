"""Counts camera frames handed to aiortc and tells listeners that frames flow.

The camera-active LED must show what the camera pipeline does, not what a screen
claims: so it is driven from here, where a track's ``recv()`` hands a frame (or an
encoded packet) to aiortc's sender, which encodes and sends it. Every camera owns one
:class:`FrameActivity` and calls :meth:`FrameActivity.frame` from its tracks' ``recv()``
(on the event loop's thread, like all of aiortc).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class FrameActivity:
    """Frame counter with listeners; ``count`` is the camera's ``frames_sent``."""

    def __init__(self) -> None:
        self.count = 0
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the event loop's thread) for every frame sent."""
        self._listeners.append(listener)

    def frame(self) -> None:
        """One frame went to aiortc."""
        self.count += 1
        for listener in self._listeners:
            listener()
