"""Flood limits per source address: new connections, and messages on the signaling sockets.

:mod:`console.throttle` counts *failed* sign-ins and enrollment codes, which stops guessing
but not a client that opens sockets or sends messages as fast as it can. These are token
buckets (a steady rate with a burst on top) over *every* attempt, kept in memory per process:

- **new connections** per address: WebSocket handshakes, sign-in and enrollment requests
  (console/routes/flood_gate.py), refused with HTTP 429 and ``Retry-After`` before any
  credential is looked at;
- **messages** per connection, and per address over all its connections together
  (console/sockets.py). A refused message is answered with ``error`` ``rate_limited`` at
  most once a second, the others are dropped unanswered (answers would be a flood of their
  own); a client that keeps sending far over its rate is closed with :data:`CLOSE_FLOOD`.
  A frame costs one token per started 64 KiB.

The defaults are far above what the project's own clients send: a terminal pings every
15 s and sends a handful of messages per call, a caseworker page about the same plus a
chat line per Enter. A console restart makes every terminal and page behind one address
(a town hall's NAT) reconnect within seconds: the connection burst lets 60 of them in at
once and the rest within their backoff. IPv6 clients are counted per /64, the block one
subscriber gets, so rotating addresses within it does not buy a fresh budget.

Buckets of addresses that fell silent refill and are swept, so memory is bounded by the
addresses active within the last ``burst / rate`` seconds.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from enum import Enum

import msgspec

from protocol.messages import MAX_MESSAGE_BYTES

CLOSE_FLOOD = 4429
"""Close code for a socket that kept sending while its messages were refused."""
SWEEP_EVERY = 1000
TELL_EVERY_S = 1.0
"""A refused client is told (``error`` rate_limited) at most this often."""


class FloodLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The console's ``[flood]`` settings; rates are per second unless named otherwise."""

    connections_per_min: float = 120.0
    """New connections (WebSocket handshakes, sign-in and enrollment requests) per address."""
    connection_burst: int = 60
    messages_per_s: float = 20.0
    """Messages per socket."""
    message_burst: int = 100
    address_messages_per_s: float = 200.0
    """Messages per address, all its sockets together."""
    address_message_burst: int = 1000

    def __post_init__(self) -> None:
        rates = (self.connections_per_min, self.messages_per_s, self.address_messages_per_s)
        bursts = (self.connection_burst, self.message_burst, self.address_message_burst)
        if not all(math.isfinite(r) and r > 0 for r in rates) or min(bursts) < 1:
            raise ValueError("flood rates must be positive and bursts at least 1")


class Bucket:
    """A token bucket: ``burst`` tokens, refilled at ``rate`` per second."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def has(self, now: float, cost: float = 1.0) -> bool:
        """Whether ``cost`` tokens are there now."""
        self._refill(now)
        return self.tokens >= cost

    def take(self, cost: float = 1.0) -> None:
        """Spend tokens checked with :meth:`has`."""
        self.tokens -= cost

    def wait(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there (after :meth:`has`)."""
        return max(0.0, (cost - self.tokens) / self.rate)

    def full(self, now: float) -> bool:
        """Whether the bucket is as good as new (it can then be forgotten)."""
        self._refill(now)
        return self.tokens >= self.burst


def address_key(address: str) -> str:
    """The key an address is counted under: itself, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


class _Buckets:
    """Buckets by key, created full and swept once full again."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._buckets: dict[str, Bucket] = {}
        self._ops = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def get(self, key: str) -> Bucket:
        now = self._clock()
        self._ops += 1
        if self._ops % SWEEP_EVERY == 0:
            self._buckets = {k: b for k, b in self._buckets.items() if not b.full(now)}
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self._rate, self._burst, now)
        return bucket


class Verdict(Enum):
    """What to do with one incoming message."""

    ACCEPT = "accept"
    REFUSE = "refuse"
    """Drop it and answer with ``error`` rate_limited (the first of a refused run)."""
    DROP = "drop"
    """Drop it silently."""
    CLOSE = "close"
    """Close the socket with :data:`CLOSE_FLOOD`."""


class MessageBudget:
    """One socket's message allowance, drawn from its own bucket and its address's.

    Refusals spend a third bucket, of strikes (the socket's own rate and burst): a client a
    little over its rate is only slowed down, one that keeps sending far over it runs out of
    strikes within a fraction of a second and is closed. The address's bucket is looked up
    on every message rather than held: a swept bucket is full, exactly like the fresh one
    the lookup then creates, so no socket can keep a private copy of its address's budget.
    """

    def __init__(self, own: Bucket, shared: _Buckets, key: str, clock: Callable[[], float]) -> None:
        self._own = own
        self._strikes = Bucket(own.rate, int(own.burst), own.stamp)
        self._shared = shared
        self._key = key
        self._clock = clock
        self._told = -math.inf

    def take(self, size: int) -> Verdict:
        """Account for one incoming frame of ``size`` bytes."""
        now = self._clock()
        cost = 1.0 + size // MAX_MESSAGE_BYTES
        shared = self._shared.get(self._key)
        if self._own.has(now, cost) and shared.has(now, cost):
            self._own.take(cost)
            shared.take(cost)
            return Verdict.ACCEPT
        if not self._strikes.has(now):
            return Verdict.CLOSE
        self._strikes.take()
        if now - self._told < TELL_EVERY_S:
            return Verdict.DROP
        self._told = now
        return Verdict.REFUSE

    def wait(self) -> float:
        """Seconds until a one-token message would be accepted again."""
        return max(self._own.wait(), self._shared.get(self._key).wait())


class FloodGuard:
    """The console's flood limits: one per process, shared by all routes and sockets."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._connections = _Buckets(
            limits.connections_per_min / 60, limits.connection_burst, clock
        )
        self._messages = _Buckets(
            limits.address_messages_per_s, limits.address_message_burst, clock
        )

    def admit(self, address: str) -> float:
        """Count a new connection from ``address``: 0 if admitted, else seconds to wait."""
        bucket = self._connections.get(address_key(address))
        if bucket.has(self._clock()):
            bucket.take()
            return 0.0
        return max(1.0, bucket.wait())

    def budget(self, address: str) -> MessageBudget:
        """The message allowance of a new socket from ``address``."""
        limits = self.limits
        own = Bucket(limits.messages_per_s, limits.message_burst, self._clock())
        return MessageBudget(own, self._messages, address_key(address), self._clock)

    @property
    def addresses(self) -> int:
        """Addresses with a bucket in memory (for tests of the sweep)."""
        return max(len(self._connections), len(self._messages))
