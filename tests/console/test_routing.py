"""Whole calls through the real console: queue, offers, answer, SDP relay, transfer, hangup,
tenants apart."""

from __future__ import annotations

import asyncio
from typing import TypeVar

import aiohttp
import pytest

from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallOffer,
    CallRequest,
    Decline,
    Ended,
    Error,
    Hangup,
    Message,
    OfferEnded,
    Ping,
    Pong,
    PresenceSet,
    PresenceStatus,
    Queued,
    QueueUpdate,
    RtcAnswer,
    RtcOffer,
    Transfer,
    Transferred,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, terminal

QUEUE = "Bürgerservice"  # every new municipality's first queue (console/store/repository.py)
M = TypeVar("M", bound=Message)


async def until(peer: Peer, cls: type[M]) -> M:
    """The next message of type ``cls``, skipping others (queue updates, presence, desk)."""
    while True:
        msg = await peer.recv(want=cls)
        if isinstance(msg, cls):
            return msg


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
        assert await t2.expect(Queued) == Queued(call_id=q2.call_id, position=1, queue=QUEUE)
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


async def test_offer_decline_transfer_and_wrap_up_over_the_sockets(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    anton_http, anton, _ = await caseworker(console, "anton")
    bert_http, bert, _ = await caseworker(console, "bert")
    try:
        t1, _ = await terminal(http, console, seed.a1)
        await t1.send(CallRequest())
        call_id = (await t1.expect(Queued)).call_id
        first = await until(alice, CallOffer)  # signed in first: idle longest
        assert (first.call_id, first.queue_name, first.ring_s) == (call_id, QUEUE, 20.0)
        await alice.send(Decline(call_id=call_id))
        assert (await until(alice, OfferEnded)).call_id == call_id
        assert (await until(anton, CallOffer)).call_id == call_id  # the next one
        for msg in (
            Decline(call_id=call_id),
            Transfer(call_id=call_id, to_queue_id=1),
            Answer(call_id=call_id),
        ):
            await bert.send(msg)  # another municipality: as if the call did not exist
            assert (await bert.expect(Error)).code == "not_found"
        await alice.send(Answer(call_id=call_id))  # from the list, although Anton rings
        assert (await until(alice, Assigned)).call_id == call_id
        assert (await until(anton, OfferEnded)).call_id == call_id
        assert (await t1.expect(Answered)).caseworker == "Alice Amt"

        anton_id = (await console.store.caseworker_by_username("anton")).id  # type: ignore[union-attr]
        await alice.send(Transfer(call_id=call_id, to_caseworker_id=anton_id))
        assert await until(alice, Ended) == Ended(call_id=call_id, reason="transferred")
        wrap = await until(alice, PresenceStatus)
        while wrap.state != "wrap_up":
            wrap = await until(alice, PresenceStatus)
        assert wrap.wrap_up_until == pytest.approx(wrap.since + 60.0)  # the queue's default
        assert await t1.expect(Transferred) == Transferred(
            call_id=call_id, to="Anton Amt", kind="caseworker"
        )
        offer = await until(anton, CallOffer)
        assert (offer.call_id, offer.transferred_by) == (call_id, "Alice Amt")
        await anton.send(Answer(call_id=call_id))
        assigned = await until(anton, Assigned)
        assert (assigned.call_id, assigned.transferred_by) == (call_id, "Alice Amt")
        assert (await t1.expect(Answered)).caseworker == "Anton Amt"  # same call, new caseworker
        await alice.send(PresenceSet(state="available"))  # ready before the wrap-up is over
        ready = await until(alice, PresenceStatus)
        while ready.state != "available":
            ready = await until(alice, PresenceStatus)
        await t1.send(Hangup(call_id=call_id))
        assert await until(anton, Ended) == Ended(call_id=call_id, reason="hangup_terminal")
    finally:
        for session in (alice_http, anton_http, bert_http):
            await session.close()
