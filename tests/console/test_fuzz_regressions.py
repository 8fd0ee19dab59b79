"""What fuzzing and flooding the running console found, one regression test each.

The property and fuzz tests (tests/protocol/test_codec_fuzz.py, test_ws_fuzz.py,
test_flood_sockets.py) found these; here each is pinned down by the smallest input.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

import aiohttp
import pytest

from console import sessions
from console.server import WS_MAX_MESSAGE_BYTES
from console.store.fleet import Contact, FleetStore
from protocol.codec import MAX_ECHO_CHARS
from protocol.messages import MAX_MESSAGE_BYTES, PROTOCOL_VERSION, Error, Hello, Ping, Pong, Welcome
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, login, terminal


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING)
    return caplog


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, "\n".join(r.getMessage() for r in errors)


async def test_an_empty_binary_frame_is_malformed_not_a_crash(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    no_errors_logged: pytest.LogCaptureFixture,
) -> None:
    """Quart hands an empty binary frame to the handler as None; decoding it raised
    TypeError, the socket died and "Exception on websocket" was logged."""
    peer, _ = await terminal(http, console, seed.a1)
    cw_http, page, _ = await caseworker(console, "alice")
    try:
        for client in (peer, page):
            await client.send(b"")
            assert (await client.expect(Error)).code == "malformed"
            await client.send(Ping(seq=5))
            assert await client.expect(Pong) == Pong(seq=5)
    finally:
        await cw_http.close()
    assert_no_errors(no_errors_logged)


async def test_an_unknown_type_is_quoted_back_short(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    """The error quoted the whole type: 20,000 astral characters (80 KB escaped by repr)
    came back in an error over the 64 KiB a terminal accepts, which drops its link."""
    peer, _ = await terminal(http, console, seed.a1)
    kind = "\U00018d09" * 16_000  # 64,000 bytes of UTF-8
    await peer.send(json.dumps({"type": kind}, ensure_ascii=False))
    frame = await peer.ws.receive(timeout=3)
    assert len(frame.data.encode()) < 1000
    error = peer.decoder.decode(frame.data)
    assert isinstance(error, Error) and error.code == "unknown_type"
    assert error.message.endswith("...") and error.message.count("\\U00018d09") == MAX_ECHO_CHARS


async def test_an_invalid_enum_value_is_quoted_back_short(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    """msgspec's validation message quotes an invalid enum value whole: a 20,000 character
    ``leg`` came back in an error over the 64 KiB a terminal accepts."""
    peer, _ = await terminal(http, console, seed.a1)
    offer = {"type": "rtc.offer", "call_id": "c", "leg": "\x7f" * 20_000, "sdp": ""}
    await peer.send(json.dumps(offer, ensure_ascii=False))
    frame = await peer.ws.receive(timeout=3)
    assert len(frame.data.encode()) < 1000
    error = peer.decoder.decode(frame.data)
    assert isinstance(error, Error) and error.code == "invalid"
    assert error.message.startswith("invalid 'rtc.offer' message: Invalid enum value")


async def test_a_page_connecting_a_minute_after_its_last_request_logs_no_error(
    console: RunningConsole,
    monkeypatch: pytest.MonkeyPatch,
    no_errors_logged: pytest.LogCaptureFixture,
) -> None:
    """The handshake refreshed the session's "seen" time, which Quart cannot store from a
    WebSocket and logs as an error: every page reconnecting a minute after its last page
    load (after a console restart, a network blip) logged one."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        assert (await login(http, console, "alice")).status == 303
        later = sessions._now(None) + 120
        monkeypatch.setattr(sessions, "_now", lambda now: later if now is None else now)
        # Quart saves the session when a handler returns, i.e. when the console closes.
        ws = await http.ws_connect(
            f"{console.ws_base}/ws/caseworker", origin=f"http://{console.host}"
        )
        page = Peer(ws, caseworker=True)
        await page.send(Ping(seq=1))  # not hello: refused and closed by the console
        assert (await page.expect(Error)).code == "hello_required"
        assert (await ws.receive(timeout=3)).type == aiohttp.WSMsgType.CLOSE
        await asyncio.sleep(0.3)
    finally:
        await http.close()
    assert_no_errors(no_errors_logged)


async def test_a_client_leaving_right_after_hello_gets_its_hello_handled(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    monkeypatch: pytest.MonkeyPatch,
    no_errors_logged: pytest.LogCaptureFixture,
) -> None:
    """A client that left while its hello's database writes ran had them cancelled: the
    fleet view missed the connection and SQLAlchemy's pool logged "Exception during reset".
    The message in hand is now finished first, and the connection record is written by the
    background writer (console/presence.py), which the socket's end does not touch (here
    the database takes 0.3 s)."""
    record_contacts = FleetStore.record

    async def slow(self: FleetStore, contacts: Sequence[Contact]) -> None:
        await asyncio.sleep(0.3)
        await record_contacts(self, contacts)

    monkeypatch.setattr(FleetStore, "record", slow)
    ws = await http.ws_connect(
        f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {seed.a1}"}
    )
    peer = Peer(ws, caseworker=False)
    await peer.send(Hello(protocol=PROTOCOL_VERSION, software="bt-terminal/9.9"))
    await peer.expect(Welcome)  # the connection is queued for writing now
    await ws.close()
    for _ in range(60):  # the writer gathers for a second, then writes
        record = await FleetStore(console.store.db).terminal(seed.a1_id)
        if record is not None and record.software is not None:
            break
        await asyncio.sleep(0.05)
    assert record is not None and record.software == "bt-terminal/9.9"
    assert console.hub.terminals_online == 0, "and the connection is not left registered"
    assert_no_errors(no_errors_logged)


async def test_deep_json_over_the_socket_is_malformed(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    no_errors_logged: pytest.LogCaptureFixture,
) -> None:
    """msgspec's RecursionError escaped the codec and killed the socket."""
    peer, _ = await terminal(http, console, seed.a1)
    deep = '{"zz":' + "[" * 20_000 + "]" * 20_000 + ',"type":"ping","seq":1}'
    assert len(deep) < MAX_MESSAGE_BYTES
    await peer.send(deep)
    assert (await peer.expect(Error)).code == "malformed"
    await peer.send(Ping(seq=2))
    assert await peer.expect(Pong) == Pong(seq=2)
    assert_no_errors(no_errors_logged)


async def test_a_text_frame_after_an_oversized_binary_one_logs_no_error(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    no_errors_logged: pytest.LogCaptureFixture,
) -> None:
    """hypercorn kept the refused 1 MiB binary message in its buffer, and the text frame the
    client sent before reading the close (1009) raised TypeError in hypercorn's connection
    task: "Unhandled exception in client_connected_cb"."""
    peer, _ = await terminal(http, console, seed.a1)
    await peer.ws.send_bytes(b"x" * (WS_MAX_MESSAGE_BYTES + 1))
    await peer.ws.send_str("{}")
    frame = await peer.ws.receive(timeout=3)
    assert frame.type == aiohttp.WSMsgType.CLOSE and peer.ws.close_code == 1009
    await asyncio.sleep(0.3)
    assert_no_errors(no_errors_logged)
