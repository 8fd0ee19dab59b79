"""The terminal daemon on an event loop in a background thread, for tests and benchmarks.

Tests drive it from the main thread as a person would (gpiozero's MockFactory pins, the
kiosk's HTTP API, Playwright) while the daemon runs its own loop, as it does in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def terminal_in_thread(config: Any, credential: str) -> Iterator[Any]:
    """Build the terminal with a MockFactory, run it until the block ends, then clean up."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from appliance.daemon import build_terminal
    from appliance.media.host_addresses import apply_host_addresses

    factory = MockFactory(pin_class=MockPWMPin)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def build() -> Any:
        return build_terminal(config, credential, pin_factory=factory)

    term = asyncio.run_coroutine_threadsafe(build(), loop).result(15)
    running = asyncio.run_coroutine_threadsafe(term.run(), loop)
    try:
        yield term
    finally:
        asyncio.run_coroutine_threadsafe(term.stop(), loop).result(15)
        running.result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        factory.reset()
        apply_host_addresses([])
