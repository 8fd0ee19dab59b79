"""A whole call through the real console: queue, answer, SDP relay, hangup, tenants apart."""

from __future__ import annotations

import asyncio

import aiohttp

from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallRequest,
    Ended,
    Error,
    Hangup,
    Ping,
    Pong,
    Queued,
    QueueUpdate,
    RtcAnswer,
    RtcOffer,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import caseworker, terminal


async def test_full_call(http: aiohttp.ClientSession, console: RunningConsole, seed: Seed) -> None:
    alice_http, alice, first = await caseworker(console, "alice")
    bert_http, bert, _ = await caseworker(console, "bert")
    try:
        assert first.entries == []
        t1, _ = await terminal(http, console, seed.a1)
        await t1.send(CallRequest())
        queued = await t1.expect(Queued)
        assert queued.position == 1
        update = await alice.expect(QueueUpdate)
        assert [(e.call_id, e.terminal_name) for e in update.entries] == [
            (queued.call_id, "Rathaus Aldorf")
        ]
        assert update.entries[0].terminal_id == seed.a1_id
        await bert.silent()  # another municipality sees nothing

        await bert.send(Answer(call_id=queued.call_id))
        assert (await bert.expect(Error)).code == "not_found"

        await alice.send(Answer(call_id=queued.call_id))
        got = [await alice.recv(), await alice.recv()]
        assigned = next(m for m in got if isinstance(m, Assigned))
        assert assigned.terminal_name == "Rathaus Aldorf"
        assert any(isinstance(m, QueueUpdate) and m.entries == [] for m in got)
        answered = await t1.expect(Answered)
        assert (answered.call_id, answered.caseworker) == (queued.call_id, "Alice Amt")

        for leg in ("camera", "screen"):
            offer = RtcOffer(call_id=queued.call_id, leg=leg, sdp=f"v=0 offer {leg}")
            await t1.send(offer)
            assert await alice.expect(RtcOffer) == offer
            answer = RtcAnswer(call_id=queued.call_id, leg=leg, sdp=f"v=0 answer {leg}")
            await alice.send(answer)
            assert await t1.expect(RtcAnswer) == answer

        await bert.send(RtcAnswer(call_id=queued.call_id, leg="camera", sdp="x"))
        assert (await bert.expect(Error)).code == "not_found"

        await alice.send(Hangup(call_id=queued.call_id))
        ended = Ended(call_id=queued.call_id, reason="hangup_caseworker")
        assert await t1.expect(Ended) == ended
        assert await alice.expect(Ended) == ended

        # and once more, hung up by the terminal
        await t1.send(CallRequest())
        second = await t1.expect(Queued)
        await alice.expect(QueueUpdate)
        await alice.send(Answer(call_id=second.call_id))
        await alice.recv(), await alice.recv()
        await t1.expect(Answered)
        await t1.send(Hangup(call_id=second.call_id))
        assert await alice.expect(Ended) == Ended(call_id=second.call_id, reason="hangup_terminal")
        assert await t1.expect(Ended) == Ended(call_id=second.call_id, reason="hangup_terminal")
        await alice.send(Ping(seq=5))
        assert await alice.expect(Pong) == Pong(seq=5)
        await bert.silent()
    finally:
        for session in (alice_http, bert_http):
            await session.close()


async def test_terminal_disconnect_removes_queue_entry_and_ends_call(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        t1, _ = await terminal(http, console, seed.a1)
        t2, _ = await terminal(http, console, seed.a2)
        await t1.send(CallRequest())
        c1 = (await t1.expect(Queued)).call_id
        await alice.expect(QueueUpdate)
        await t2.send(CallRequest())
        q2 = await t2.expect(Queued)
        assert q2.position == 2
        await alice.expect(QueueUpdate)
        await t1.close()
        update = await alice.expect(QueueUpdate)
        assert [e.call_id for e in update.entries] == [q2.call_id]
        assert await t2.expect(Queued) == Queued(call_id=q2.call_id, position=1)
        assert c1 != q2.call_id

        await alice.send(Answer(call_id=q2.call_id))
        await alice.recv(), await alice.recv()
        await t2.expect(Answered)
        await t2.close()
        assert await alice.expect(Ended) == Ended(call_id=q2.call_id, reason="terminal_lost")
    finally:
        await alice_http.close()


async def test_caseworker_disconnect_ends_call_for_terminal(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest())
    call_id = (await t1.expect(Queued)).call_id
    await alice.expect(QueueUpdate)
    await alice.send(Answer(call_id=call_id))
    await t1.expect(Answered)
    await alice_http.close()
    assert await t1.expect(Ended) == Ended(call_id=call_id, reason="caseworker_lost")
    for _ in range(100):
        if console.hub.caseworkers_online == 0:
            break
        await asyncio.sleep(0.01)
    assert console.hub.caseworkers_online == 0
