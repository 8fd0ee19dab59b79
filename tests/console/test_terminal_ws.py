"""WS /ws/terminal: handshake auth, hello, heartbeat and refusal of bad messages."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from console.hub import CLOSE_REPLACED
from protocol.messages import PROTOCOL_VERSION, Error, Hello, Ping, Pong
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, terminal


@pytest.mark.parametrize(
    "header",
    [None, "Bearer nope", "Bearer {id}.wrongsecret", "Basic {cred}", "Bearer {cred}x"],
)
async def test_bad_credential_is_refused_with_401(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, header: str | None
) -> None:
    headers = {}
    if header is not None:
        headers["Authorization"] = header.format(id=seed.a1_id, cred=seed.a1)
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(f"{console.ws_base}/ws/terminal", headers=headers)
    assert err.value.status == 401


async def test_welcome_and_pong(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    peer, welcome = await terminal(http, console, seed.a1)
    assert (welcome.name, welcome.municipality) == ("Rathaus Aldorf", "Aldorf")
    assert welcome.protocol == PROTOCOL_VERSION and welcome.heartbeat_s == 15
    assert welcome.ice_servers == []
    await peer.send(Ping(seq=7))
    assert await peer.expect(Pong) == Pong(seq=7)
    assert console.hub.terminals_online == 1
    await peer.close()


async def test_wrong_version_closes_4400(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    ws = await http.ws_connect(
        f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {seed.a1}"}
    )
    peer = Peer(ws, caseworker=False)
    await peer.send(Hello(protocol=PROTOCOL_VERSION + 1, software="future"))
    assert (await peer.expect(Error)).code == "unsupported_version"
    frame = await ws.receive(timeout=3)
    assert frame.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4400


async def test_bad_messages_get_errors_and_others_keep_working(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    bad, _ = await terminal(http, console, seed.a1)
    good, _ = await terminal(http, console, seed.a2)
    cases: list[tuple[str | bytes, str]] = [
        ("{not json", "malformed"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "ping", "seq": "x"}', "invalid"),
        ('{"type": "call.answer", "call_id": "x"}', "unknown_type"),  # not a terminal's message
        ('{"type": "ping", "seq": 1, "pad": "' + "x" * (70 * 1024) + '"}', "too_large"),
        (b"\xff\xfe", "malformed"),
    ]
    for n, (data, code) in enumerate(cases):
        await bad.send(data)
        assert (await bad.expect(Error)).code == code
        await good.send(Ping(seq=n))
        assert await good.expect(Pong) == Pong(seq=n)
    await bad.send(Ping(seq=99))  # the offender's socket still works too
    assert await bad.expect(Pong) == Pong(seq=99)
    await bad.send(b"x" * (2 * 1024 * 1024))  # beyond the transport limit: dropped with 1009
    frame = await bad.ws.receive(timeout=3)
    assert frame.type == aiohttp.WSMsgType.CLOSE and bad.ws.close_code == 1009
    await good.send(Ping(seq=100))
    assert await good.expect(Pong) == Pong(seq=100)


async def test_second_connection_replaces_first(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    first, _ = await terminal(http, console, seed.a1)
    second, _ = await terminal(http, console, seed.a1)
    frame = await first.ws.receive(timeout=3)
    assert frame.type == aiohttp.WSMsgType.CLOSE and first.ws.close_code == CLOSE_REPLACED
    await second.send(Ping(seq=1))
    assert await second.expect(Pong) == Pong(seq=1)
    assert console.hub.terminals_online == 1


async def test_refused_handshakes_on_a_kept_alive_connection_log_no_error(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: aiohttp reused the connection of a 401 for its next handshake, and
    hypercorn logged "Unhandled exception in client_connected_cb" for each (found by the
    connection flood test). A refused handshake now says ``Connection: close``."""
    caplog.set_level(logging.WARNING)
    for _ in range(4):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{console.ws_base}/ws/terminal")
        assert err.value.status == 401
        assert err.value.headers is not None
        assert err.value.headers.get("Connection") == "close"
    peer, _ = await terminal(http, console, seed.a1)  # the same client still gets in
    await peer.close()
    await asyncio.sleep(0.1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_terminal_pinging_faster_in_a_call_is_given_up_sooner(
    console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    """A terminal that announces a 0.5 s ping interval (in a call) and then goes silent is
    closed after 3 s (three intervals, at least 3 s), not after three 15 s heartbeats."""
    peer, _ = await terminal(http, console, seed.a1)
    await peer.send(Ping(seq=1, interval_s=0.5))
    assert await peer.expect(Pong) == Pong(seq=1)
    loop = asyncio.get_running_loop()
    silent_since = loop.time()
    frame = await peer.ws.receive(timeout=10)
    closed_after = loop.time() - silent_since
    assert frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), frame
    assert peer.ws.close_code == 4408 or frame.data == 4408, frame
    assert 2.5 <= closed_after <= 5.0, closed_after
