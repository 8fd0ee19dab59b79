"""TURN REST credentials (console/turn.py) and how they reach terminals and caseworkers.

The expected credentials were computed independently of the code under test, with
OpenSSL: ``printf '%s' "1700003600:t:term-1" | openssl dgst -sha1 -hmac north-sea-4711
-binary | base64``. coturn itself accepting them is tested in tests/e2e/test_turn_relay.py.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from console.app import create_app
from console.config import ConsoleConfig, load_config
from console.errors import ConfigError
from console.hub import Hub
from console.server import serve
from console.store import Store
from console.turn import TurnCredentials, load_turn, rest_credential
from protocol.messages import (
    PROTOCOL_VERSION,
    Answer,
    Answered,
    Assigned,
    Hello,
    IceServer,
    Welcome,
)
from tests.console.conftest import RunningConsole, Seed, cheap_passwords
from tests.console.helpers import M, Peer, login, terminal
from tests.console.test_fleet import request_call

SECRET = "north-sea-4711"
NOW = 1_700_000_000.0


def test_credential_matches_an_independently_computed_vector() -> None:
    assert rest_credential(SECRET, "1700003600:t:term-1") == "jADygWAH+qylpImMTnMrr8AmdoA="
    assert rest_credential(SECRET, "1700003600:cw:7") == "dCa7fPEia4MMNW0udeA8Qyj69l4="
    # The example of coturn's own REST API test data (secret "secret").
    assert rest_credential("secret", "1433895918506:my_user_name") == (
        "dQ/FbLbtXRlrnY7voAIwV8DavSE="
    )


def test_server_for_a_user_expires_after_the_ttl() -> None:
    turn = TurnCredentials(["turn:turn.example:3478"], SECRET, 3600, clock=lambda: NOW)
    server = turn.server_for("t:term-1")
    assert server == IceServer(
        urls=["turn:turn.example:3478"],
        username="1700003600:t:term-1",
        credential="jADygWAH+qylpImMTnMrr8AmdoA=",
    )
    assert turn.server_for("cw:7").credential == "dCa7fPEia4MMNW0udeA8Qyj69l4="


def test_the_secret_never_shows_in_a_repr() -> None:
    turn = TurnCredentials(["turn:a:1"], SECRET, 60)
    assert SECRET not in repr(turn)
    config = ConsoleConfig(turn_urls=("turn:a:1",), turn_secret=SECRET)
    assert SECRET not in repr(config)


def test_load_turn_from_config_env_and_file(tmp_path: Path) -> None:
    assert load_turn(ConsoleConfig()) is None  # no TURN: nothing handed out
    env = {
        "BT_CONSOLE_TURN_URLS": "turn:a:3478?transport=udp, turns:a:5349",
        "BT_CONSOLE_TURN_SECRET": SECRET,
        "BT_CONSOLE_TURN_TTL_S": "600",
        "BT_CONSOLE_ICE_TRANSPORT_POLICY": "relay",
    }
    config = load_config(env=env)
    assert config.turn_urls == ("turn:a:3478?transport=udp", "turns:a:5349")
    assert config.ice_transport_policy == "relay"
    turn = load_turn(config)
    assert turn is not None and turn.ttl_s == 600 and turn.urls == list(config.turn_urls)
    json_urls = load_config(env={"BT_CONSOLE_TURN_URLS": '["turn:b:1"]'})
    assert json_urls.turn_urls == ("turn:b:1",)

    secret_file = tmp_path / "turn_secret"
    secret_file.write_text(SECRET + "\n")
    from_file = ConsoleConfig(turn_urls=("turn:a:1",), turn_secret_file=secret_file)
    turn = load_turn(from_file)
    assert turn is not None
    server = turn.server_for("x")
    assert server.username is not None
    expected = hmac.new(SECRET.encode(), server.username.encode(), hashlib.sha1).digest()
    assert server.credential == base64.b64encode(expected).decode()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (ConsoleConfig(turn_urls=("turn:a:1",)), "no secret"),
        (ConsoleConfig(turn_urls=("stun:a:1",), turn_secret="x"), "not a turn"),
        (ConsoleConfig(turn_urls=("turn:a:1",), turn_secret_file=Path("/nonexistent")), "read"),
    ],
)
def test_load_turn_refuses_incomplete_settings(config: ConsoleConfig, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_turn(config)


@pytest.mark.parametrize(
    "env",
    [
        {"BT_CONSOLE_ICE_TRANSPORT_POLICY": "direct"},
        {"BT_CONSOLE_TURN_TTL_S": "0"},
        {"BT_CONSOLE_TURN_URLS": "[not json"},
    ],
)
def test_bad_turn_settings_are_config_errors(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_config(env=env)


def test_hub_adds_a_turn_server_only_when_configured() -> None:
    stun = IceServer(urls=["stun:stun.example:3478"])
    assert Hub(ice_servers=[stun]).ice_servers_for("t:x") == [stun]
    turn = TurnCredentials(["turn:t:1"], SECRET, 3600, clock=lambda: NOW)
    servers = Hub(ice_servers=[stun], turn=turn).ice_servers_for("t:term-1")
    assert servers == [stun, turn.server_for("t:term-1")]
    assert servers[1].credential == "jADygWAH+qylpImMTnMrr8AmdoA="


# --- the credentials in welcome, call.answered and call.assigned ------------------------------


@pytest.fixture
async def turn_console(
    config: ConsoleConfig, store: Store, seed: Seed
) -> AsyncIterator[RunningConsole]:
    """A console with TURN configured and relay forced, its hub minting credentials."""
    config = dataclasses.replace(
        config,
        ice_servers=(IceServer(urls=["stun:stun.example:3478"]),),
        turn_urls=("turn:127.0.0.1:3478?transport=udp",),
        turn_secret=SECRET,
        ice_transport_policy="relay",
    )
    hub = Hub(ice_servers=config.ice_servers, turn=load_turn(config))
    app = create_app(config, store, secret_key="t" * 48, hub=hub, passwords=cheap_passwords())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    host = f"127.0.0.1:{sock.getsockname()[1]}"
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, [f"fd://{sock.detach()}"], stop))
    yield RunningConsole(f"http://{host}", f"ws://{host}", hub, store, host)
    stop.set()
    await asyncio.wait_for(task, 10)


async def until(peer: Peer, cls: type[M]) -> M:
    """The next message of type ``cls``, skipping queue, desk and presence updates."""
    for _ in range(20):
        msg = await peer.recv()
        if isinstance(msg, cls):
            return msg
    raise AssertionError(f"no {cls.__name__}")


def check(server: IceServer, user: str) -> None:
    """A TURN entry for ``user`` that coturn would accept for about the default four hours."""
    assert server.urls == ["turn:127.0.0.1:3478?transport=udp"]
    assert server.username is not None and server.credential is not None
    expiry, _, who = server.username.partition(":")
    assert who == user
    assert 4 * 3600 - 60 < int(expiry) - time.time() <= 4 * 3600
    assert server.credential == rest_credential(SECRET, server.username)


async def test_each_recipient_gets_its_own_credential(
    turn_console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    term, welcome = await terminal(http, turn_console, seed.a1)
    assert welcome.ice_transport_policy == "relay"
    assert welcome.ice_servers[0] == IceServer(urls=["stun:stun.example:3478"])
    check(welcome.ice_servers[1], f"t:{seed.a1_id}")

    alice_http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        assert (await login(alice_http, turn_console, "alice")).status == 303
        ws = await alice_http.ws_connect(
            f"{turn_console.ws_base}/ws/caseworker", origin=f"http://{turn_console.host}"
        )
        alice = Peer(ws, caseworker=True)
        await alice.send(Hello(protocol=PROTOCOL_VERSION, software="test-page"))
        alice_welcome = await alice.expect(Welcome)
        record = await turn_console.store.caseworker_by_username("alice")
        assert record is not None
        assert alice_welcome.ice_transport_policy == "relay"
        check(alice_welcome.ice_servers[1], f"cw:{record.id}")

        queued = await request_call(term)
        await alice.send(Answer(call_id=queued.call_id))
        assigned = await until(alice, Assigned)
        answered = await until(term, Answered)
        assert len(assigned.ice_servers) == 2 and len(answered.ice_servers) == 2
        check(assigned.ice_servers[1], f"cw:{record.id}")
        check(answered.ice_servers[1], f"t:{seed.a1_id}")
        await alice.close()
    finally:
        await alice_http.close()
        await term.close()
