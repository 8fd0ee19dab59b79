"""Chat relayed within a call through a real console: both ways, sender set, nothing logged."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from protocol.messages import (
    MAX_CHAT_CHARS,
    Answer,
    Answered,
    Assigned,
    CallRequest,
    Chat,
    Error,
    Queued,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, terminal
from tests.console.test_hub import ALICE, T1, T2, World

SECRET = "Meine Steuer-ID ist 12 345 678 901"


async def drain_without_chat(peer: Peer) -> None:
    """Read what a peer got (queue updates) and check that no chat line was among it."""
    while True:
        try:
            msg = await peer.recv(wait_s=0.3)
        except TimeoutError:
            return
        assert not isinstance(msg, Chat), msg


async def test_chat_both_ways_only_within_the_call(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    seed: Seed,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    a_http, alice, _ = await caseworker(console, "alice")
    a2_http, anton, _ = await caseworker(console, "anton")
    t1, _ = await terminal(http, console, seed.a1)
    t2, _ = await terminal(http, console, seed.a2)
    await t1.send(CallRequest(language="tr"))
    call_id = (await t1.expect(Queued)).call_id
    await t1.send(Chat(call_id=call_id, text="hallo?"))  # not answered yet
    assert (await t1.expect(Error)).code == "not_found"
    await alice.send(Answer(call_id=call_id))
    while not isinstance(await alice.recv(), Assigned):
        pass
    await t1.expect(Answered)

    await t1.send(Chat(call_id=call_id, text=SECRET, sender="caseworker"))  # tries to pose
    assert await alice.expect(Chat) == Chat(call_id=call_id, text=SECRET, sender="citizen")
    await alice.send(Chat(call_id=call_id, text="Danke, ich sehe nach.", sender="citizen"))
    relayed = await t1.expect(Chat)
    assert relayed == Chat(call_id=call_id, text="Danke, ich sehe nach.", sender="caseworker")
    await drain_without_chat(anton)

    await anton.send(Chat(call_id=call_id, text="mithören?"))  # a colleague, not in the call
    assert (await anton.expect(Error)).code == "not_found"
    await t2.send(Chat(call_id=call_id, text="fremd"))  # another terminal
    assert (await t2.expect(Error)).code == "not_found"
    await t1.send(Chat(call_id=call_id, text="x" * (MAX_CHAT_CHARS + 1)))
    too_long = await t1.expect(Error)
    assert too_long.code == "invalid" and "x" * 20 not in too_long.message
    await t1.send('{"type":"chat","call_id":"' + call_id + '","text":""}')
    assert (await t1.expect(Error)).code == "invalid"
    await alice.silent()
    await t2.silent()

    assert SECRET not in caplog.text and "ich sehe nach" not in caplog.text
    for session in (a_http, a2_http):
        await session.close()


def test_chat_to_a_terminal_that_is_gone() -> None:
    w = World()
    w.terminal(T1)
    w.terminal(T2)
    alice = w.caseworker(ALICE)
    call = w.request(T1)
    w.hub.from_caseworker(alice, Answer(call_id=call))
    alice.take()
    del w.hub._terminals["t1"]  # the moment between socket loss and the hub noticing
    w.hub.from_caseworker(alice, Chat(call_id=call, text="hallo"))
    [refused] = alice.take()
    assert isinstance(refused, Error) and refused.code == "not_found"
