"""call.quality: only the terminal of the call can say its video was lowered (issue 8)."""

from __future__ import annotations

import aiohttp

from protocol.messages import CallQuality, Error
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import terminal
from tests.console.test_print_api import start_call


async def test_the_calls_terminal_reaches_its_caseworker_and_no_other_terminal_does(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    call = await start_call(http, console, seed.a1)
    try:
        lowered = CallQuality(call_id=call.call_id, level="low", width=160, height=120, fps=8,
                              rtt_ms=230, loss_pct=4.2)  # fmt: skip
        await call.term.send(lowered)
        assert await call.alice.expect(CallQuality) == lowered

        other, _ = await terminal(http, console, seed.a2)  # same municipality, not in the call
        await other.send(CallQuality(call_id=call.call_id, level="audio_only"))
        refused = await other.expect(Error)
        assert refused.code == "not_found"
        await call.alice.silent()

        stranger, _ = await terminal(http, console, seed.b1)  # another municipality
        await stranger.send(CallQuality(call_id=call.call_id, level="audio_only"))
        assert (await stranger.expect(Error)).code == "not_found"
        await call.alice.silent()
    finally:
        await call.alice_http.close()
