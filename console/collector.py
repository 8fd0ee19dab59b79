"""Keep Python's cyclic garbage collector from stopping the event loop for seconds.

Measured (bench/idle_terminals.py, console on one core): every socket keeps a few hundred
objects the collector tracks (hypercorn's stream and protocol state, Quart's websocket, the
pending read's coroutines, futures and contexts), about 1.5 million at 5,000 terminals. A full
(generation 2) collection walks all of them and held the loop 2.0-2.9 s on the loaded shared
machine, and CPython runs one whenever a quarter more objects survived than at the last one:
while terminals connect, and every few minutes after, because each heartbeat's pending read
outlives the young collections. Even the young ones walked tens of thousands of such objects,
50-100 ms each. Every pong due meanwhile waited: p99 2.1-3.1 s with no database in the way.
With this policy, 10,000 terminals: no collection over 20 ms in the measured minute, p99 23 ms.

:func:`keep_collections_short` moves every object alive after a while out of the collector's
sight (:func:`gc.freeze`) each ``freeze_every_s``, so the automatic collections only ever walk
what is new since. Frozen objects are still freed by reference counting the moment they are
unused; only reference cycles among them wait: each ``full_every_s`` everything is unfrozen
and collected once (the one long pause, logged with its duration), so cyclic garbage of
closed connections is bounded by that interval rather than kept for ever.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

FREEZE_EVERY_S = 0.25
"""Objects alive a quarter of a second are mostly a socket's state or a message's pending
read: stop walking them. Freezing costs nothing (a list splice); a young collection before it
would walk the quarter second's objects (at 10,000 terminals a collection every second over
one second's objects took 20-54 ms, and was the p99), so there is none: cycles that die
within the interval are still found by the automatic young collections, the rest wait for
the full one. Measured at 10,000 terminals: the once-a-second young collections of the idle
minute found no cyclic garbage, those while terminals connected 8-32 objects now and then;
what a closed connection leaves (~38 objects) waits at most ``FULL_EVERY_S``."""
FULL_EVERY_S = 3600.0
"""A full collection once an hour frees the cycles of connections closed meanwhile: one pause
an hour (0.9 s after 10,000 connections had closed, 375,000 objects freed, on the quiet
development machine) instead of several of seconds every few minutes."""


async def keep_collections_short(
    freeze_every_s: float = FREEZE_EVERY_S,
    full_every_s: float = FULL_EVERY_S,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Freeze survivors now and then, collect everything now and then, until cancelled.

    At the end (cancelled at shutdown) everything is unfrozen, so nothing stays hidden from
    the collector of a process that goes on (tests serve many consoles in one process).
    """
    last_full = clock()
    try:
        while True:
            await sleep(freeze_every_s)
            if clock() - last_full >= full_every_s:
                full_collection()
                last_full = clock()
            gc.freeze()
    finally:
        gc.unfreeze()


def full_collection() -> int:
    """Unfreeze and collect everything once; returns the unreachable objects found."""
    started = time.perf_counter()
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    found = gc.collect()
    log.info(
        "full garbage collection: %d objects walked, %d unreachable, %.0f ms",
        frozen,
        found,
        1000 * (time.perf_counter() - started),
    )
    return found
