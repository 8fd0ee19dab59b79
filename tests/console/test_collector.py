"""The garbage collector policy of the server process (console/collector.py): survivors are
frozen out of the automatic collections, everything is collected at the full interval, and
nothing stays frozen once the loop ends."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from console.collector import full_collection, keep_collections_short


class Cycle:
    """Half of a reference cycle: freed only by the cyclic collector."""

    def __init__(self) -> None:
        self.other: Cycle | None = None


def make_cycle() -> weakref.ref[Cycle]:
    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    return weakref.ref(a)


async def test_survivors_are_frozen_and_the_full_interval_collects_their_cycles() -> None:
    now = [0.0]
    held: list[Cycle] = []
    alive: dict[int, bool] = {}

    async def sleep(seconds: float) -> None:
        step = len(alive) + 1
        if step == 1:
            cycle = make_cycle()()
            assert cycle is not None
            held.append(cycle)  # alive when frozen at the end of this step
        if step == 2:
            held.clear()  # now garbage, but frozen: the young collections miss it
        alive[step] = frozen() is not None
        now[0] += seconds
        if step == 4:
            raise asyncio.CancelledError
        await asyncio.sleep(0)

    def frozen() -> Cycle | None:
        return held[0] if held else found[0]()

    gc.collect()
    try:
        task = asyncio.create_task(
            keep_collections_short(
                freeze_every_s=30, full_every_s=70, sleep=sleep, clock=lambda: now[0]
            )
        )
        found: list[weakref.ref[Cycle]] = []
        await asyncio.sleep(0)  # step 1 runs
        found.append(weakref.ref(held[0]))
        with pytest.raises(asyncio.CancelledError):
            await task
        assert alive == {1: True, 2: True, 3: True, 4: False}  # freed at 90 s (>= 70 s)
        assert gc.get_freeze_count() == 0  # unfrozen at the end
    finally:
        gc.unfreeze()


def test_frozen_cycles_wait_for_the_full_collection() -> None:
    gc.collect()
    try:
        cycle = make_cycle()
        gc.freeze()
        assert gc.get_freeze_count() > 0
        gc.collect()  # the automatic collections do not see frozen objects
        assert cycle() is not None
        assert full_collection() >= 2
        assert cycle() is None and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
