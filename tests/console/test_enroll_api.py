"""POST /api/v1/enroll against the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from console.enroll import Enroller
from tests.console.conftest import RunningConsole
from tests.console.helpers import terminal

pytestmark = pytest.mark.both_backends


async def post(
    http: aiohttp.ClientSession, console: RunningConsole, body: object
) -> tuple[int, Any]:
    async with http.post(f"{console.base}/api/v1/enroll", json=body) as resp:
        return resp.status, await resp.json()


async def test_good_code_then_replay(http: aiohttp.ClientSession, console: RunningConsole) -> None:
    terminal_rec, code = await Enroller(console.store).add_terminal("Aldorf", "Bücherei", 72)
    status, body = await post(http, console, {"code": code.lower(), "software": "bt-terminal"})
    assert status == 200, body
    assert body["terminal_id"] == terminal_rec.id
    assert body["name"] == "Bücherei" and body["municipality"] == "Aldorf"
    assert body["credential"].startswith(terminal_rec.id + ".")
    # the credential works on the terminal socket
    peer, welcome = await terminal(http, console, body["credential"])
    assert welcome.name == "Bücherei"
    await peer.close()
    status, body = await post(http, console, {"code": code, "software": "bt-terminal"})
    assert (status, body["error"]["code"]) == (409, "code_used")


async def test_wrong_expired_and_malformed(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    status, body = await post(http, console, {"code": "AAAA-BBBB-CCCC", "software": "x"})
    assert (status, body["error"]["code"]) == (404, "code_invalid")
    past = Enroller(console.store, clock=lambda: datetime.now(UTC) - timedelta(hours=2))
    _, code = await past.add_terminal("Aldorf", "Alt", 1)
    status, body = await post(http, console, {"code": code, "software": "x"})
    assert (status, body["error"]["code"]) == (410, "code_expired")
    for bad in [{"software": "x"}, {"code": 5}, [1], {"code": ""}]:
        status, body = await post(http, console, bad)
        assert (status, body["error"]["code"]) == (400, "bad_request"), bad
    async with http.post(f"{console.base}/api/v1/enroll", data=b"{not json") as resp:
        assert resp.status == 400
    async with http.post(f"{console.base}/api/v1/enroll", data=b"x" * (70 * 1024)) as resp:
        assert resp.status == 413


async def test_wrong_codes_are_throttled(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    for _ in range(5):
        status, _ = await post(http, console, {"code": "AAAA-BBBB-CCCC"})
        assert status == 404
    async with http.post(f"{console.base}/api/v1/enroll", json={"code": "X"}) as resp:
        assert resp.status == 429
        assert int(resp.headers["Retry-After"]) > 0
        assert (await resp.json())["error"]["code"] == "too_many_attempts"
