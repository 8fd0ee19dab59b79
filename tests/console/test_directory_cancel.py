"""The directory reload loop ends when cancelled, even as a change arrives in the same tick.

Python 3.11's ``asyncio.wait_for`` returns the result instead of raising when the
cancellation and the awaited event land together; the loop then slept a whole reload
interval and held up the console's shutdown (seen in CI as a 10 s shutdown timeout).
"""

from __future__ import annotations

import asyncio

from console.directory import Directory, run_directory


class _Hub:
    def __init__(self) -> None:
        self.loads = 0

    def set_directory(self, directory: Directory) -> None:
        self.loads += 1


async def test_cancel_arriving_with_a_change_ends_the_loop() -> None:
    changed = asyncio.Event()
    hub = _Hub()

    async def load() -> Directory:
        return Directory()

    task = asyncio.create_task(run_directory(hub, load, changed, reload_s=60))
    await asyncio.sleep(0.01)
    changed.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2)
    assert task in done
    assert task.cancelled()
