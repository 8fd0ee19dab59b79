"""GET /healthz and the idle timeout of sockets."""

from __future__ import annotations

import asyncio
import dataclasses

import aiohttp
import pytest

from console.config import ConsoleConfig
from console.sockets import CLOSE_IDLE
from protocol.messages import PROTOCOL_VERSION
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import terminal


@pytest.fixture
def config(config: ConsoleConfig) -> ConsoleConfig:
    return dataclasses.replace(config, heartbeat_s=0.2)


async def test_healthz(http: aiohttp.ClientSession, console: RunningConsole, seed: Seed) -> None:
    peer, _ = await terminal(http, console, seed.b1)
    async with http.get(f"{console.base}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {
            "status": "ok",
            "database": "ok",
            "terminals_online": 1,
            "caseworkers_online": 0,
            "protocol": PROTOCOL_VERSION,
        }
    await peer.close()


async def test_silent_socket_is_closed(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    peer, welcome = await terminal(http, console, seed.a1)
    assert welcome.heartbeat_s == 0.2
    frame = await peer.ws.receive(timeout=6)  # three heartbeats, but never under 3 s
    assert frame.type == aiohttp.WSMsgType.CLOSE and peer.ws.close_code == CLOSE_IDLE
    for _ in range(100):  # the handler's cleanup runs just after the close frame
        if console.hub.terminals_online == 0:
            break
        await asyncio.sleep(0.01)
    assert console.hub.terminals_online == 0
