"""Failure throttle for logins and enrollment codes, keyed by username or client address.

After ``limit`` failures within ``window_s`` a key is blocked for ``base_delay_s``; every
further failure doubles the block up to ``max_delay_s``. Defaults (5 in 15 min, 60 s
doubling to 15 min) hold an online guesser to about a hundred tries a day per key, while
a caseworker who mistypes twice never notices. State is in memory and per process; entries
whose failures and block have both expired are swept, so memory stays bounded by the
number of keys active within one window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Entry:
    failures: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


class Throttle:
    """Counts failures per key and says how long a key must wait."""

    def __init__(
        self,
        limit: int = 5,
        window_s: float = 15 * 60,
        base_delay_s: float = 60,
        max_delay_s: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._ops = 0

    def retry_after(self, *keys: str) -> float:
        """Seconds until all ``keys`` may try again; 0 when none is blocked."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None:
                wait = max(wait, entry.blocked_until - now)
        return wait

    def failure(self, *keys: str) -> None:
        """Record one failed attempt for each key."""
        now = self._clock()
        for key in keys:
            entry = self._entries.setdefault(key, _Entry())
            entry.failures = [t for t in entry.failures if now - t < self.window_s]
            entry.failures.append(now)
            excess = len(entry.failures) - self.limit
            if excess >= 0:
                delay = min(self.max_delay_s, self.base_delay_s * 2 ** min(excess, 32))
                entry.blocked_until = now + delay
        self._ops += 1
        if self._ops % 1000 == 0:
            self._sweep(now)

    def reset(self, *keys: str) -> None:
        """Forget the failures of each key (after a success)."""
        for key in keys:
            self._entries.pop(key, None)

    def _sweep(self, now: float) -> None:
        stale = [
            key
            for key, entry in self._entries.items()
            if entry.blocked_until <= now and all(now - t >= self.window_s for t in entry.failures)
        ]
        for key in stale:
            del self._entries[key]
