"""Hands pictures from a capture thread to the asyncio tracks that aiortc pulls from.

Cameras deliver on their own threads (PyAV decoding a webcam, picamera2's encoder
thread); aiortc pulls with ``await track.recv()`` on the event loop. Each live track
subscribes with its own small queue, filled through ``call_soon_threadsafe``:

- raw frames: depth 1, the newest replaces an unread one (a late frame is worth
  nothing in a call, and a queue would only add delay);
- encoded H.264: a deeper queue, because a dropped P-frame breaks every frame up to
  the next keyframe; on overflow the track waits for the next keyframe.

The newest item is also kept as ``latest`` (a webcam's still is its newest frame).
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscription(Generic[T]):
    """One track's queue; filled from any thread, read on its event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, depth: int) -> None:
        self.loop = loop
        self.depth = depth
        self.dropped = 0
        """Items discarded because the reader was too slow."""
        self._items: collections.deque[T] = collections.deque()
        self._ready = asyncio.Event()

    def put(self, item: T) -> None:
        """Add ``item`` (on the loop's thread), dropping the oldest when full."""
        if len(self._items) >= self.depth:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self._ready.set()

    async def get(self, wait_s: float) -> T | None:
        """The next item, or None after ``wait_s`` seconds without one."""
        if not self._items:
            self._ready.clear()
            try:
                async with asyncio.timeout(wait_s):  # wait_for can swallow a cancel (3.11)
                    await self._ready.wait()
            except TimeoutError:
                return None
        return self._items.popleft()


class Feed(Generic[T]):
    """Publisher side: the capture thread calls :meth:`publish`."""

    def __init__(self) -> None:
        self.latest: T | None = None
        self.published = 0
        self._subs: list[Subscription[T]] = []
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether a track is subscribed (a call is pulling pictures)."""
        with self._lock:
            return bool(self._subs)

    def subscribe(self, depth: int = 1) -> Subscription[T]:
        """A new queue for a track; call on the event loop's thread."""
        sub: Subscription[T] = Subscription(asyncio.get_running_loop(), depth)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription[T]) -> None:
        """Stop feeding ``sub`` (idempotent)."""
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, item: T) -> None:
        """Keep ``item`` as the latest and queue it for every track; any thread."""
        with self._lock:
            self.latest = item
            self.published += 1
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.put, item)
            except RuntimeError:  # the loop is closed: that track is gone
                self.unsubscribe(sub)

    def clear(self) -> None:
        """Forget the latest item (the device went away)."""
        with self._lock:
            self.latest = None
