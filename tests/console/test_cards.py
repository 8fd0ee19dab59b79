"""Card status relayed to the caseworker of the call, and GET /api/v1/terminals per tenant."""

from __future__ import annotations

import aiohttp

from protocol.messages import (
    PROTOCOL_VERSION,
    Answer,
    Assigned,
    CallRequest,
    CardStatus,
    Hello,
    PartsReport,
    Queued,
    QueueUpdate,
    Welcome,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import M, Peer, caseworker, login, terminal
from tests.console.test_hub import ALICE, T1, World


async def hello_with_parts(
    http: aiohttp.ClientSession, console: RunningConsole, credential: str, parts: dict[str, str]
) -> Peer:
    ws = await http.ws_connect(
        f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {credential}"}
    )
    peer = Peer(ws, caseworker=False)
    await peer.send(Hello(protocol=PROTOCOL_VERSION, software="bt-terminal 9.9", parts=parts))
    await peer.expect(Welcome)
    return peer


async def next_of(peer: Peer, cls: type[M]) -> M:
    """The next message of type ``cls``, skipping queue updates."""
    while True:
        msg = await peer.recv()
        if not isinstance(msg, QueueUpdate):
            assert isinstance(msg, cls), f"expected {cls.__name__}, got {msg!r}"
            return msg


async def test_card_follows_the_call_to_its_caseworker(
    console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    # A card was inserted before the terminal (re)connected: its hello's parts carry it.
    term = await hello_with_parts(http, console, seed.a1, {"card_reader": "eid", "camera": "ok"})
    await term.send(CallRequest())
    queued = await term.expect(Queued)
    cw_http, alice, _ = await caseworker(console, "alice")
    try:
        await alice.send(Answer(call_id=queued.call_id))
        await next_of(alice, Assigned)
        assert await next_of(alice, CardStatus) == CardStatus(card="eid", call_id=queued.call_id)

        # The terminal's own call id is not trusted: the hub names the call.
        await term.send(CardStatus(card=None, call_id="forged"))
        assert await next_of(alice, CardStatus) == CardStatus(card=None, call_id=queued.call_id)
        await term.send(CardStatus(card="girocard"))
        assert await next_of(alice, CardStatus) == CardStatus(
            card="girocard", call_id=queued.call_id
        )
        assert console.hub.card(seed.a1_id) == "girocard"
    finally:
        await alice.close()
        await cw_http.close()
        await term.close()


async def test_card_outside_a_call_is_remembered_not_sent(
    console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    term, _ = await terminal(http, console, seed.a1)
    cw_http, alice, _ = await caseworker(console, "alice")
    try:
        await term.send(CardStatus(card="egk"))
        for _ in range(100):
            if console.hub.card(seed.a1_id) == "egk":
                break
            await alice.silent(0.02)
        assert console.hub.card(seed.a1_id) == "egk"
        await alice.silent(0.2)
    finally:
        await alice.close()
        await cw_http.close()
        await term.close()


async def test_terminals_api_shows_only_own_municipality(
    console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    parts = {"card_reader": "ok", "camera": "ok", "printer": "missing"}
    term = await hello_with_parts(http, console, seed.a1, parts)
    other = await hello_with_parts(http, console, seed.b1, {"card_reader": "eid"})
    await term.send(PartsReport(parts={**parts, "card_reader": "egk"}))
    await term.send(CallRequest())
    queued = await term.expect(Queued)

    async with http.get(f"{console.base}/api/v1/terminals") as resp:
        assert resp.status == 401  # not signed in

    alice_http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    bert_http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        assert (await login(alice_http, console, "alice")).status == 303
        assert (await login(bert_http, console, "bert")).status == 303
        async with alice_http.get(f"{console.base}/api/v1/terminals") as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            seen = {t["terminal_id"]: t for t in (await resp.json())["terminals"]}
        assert set(seen) == {seed.a1_id, seed.a2_id}  # never Bestadt's terminal
        a1 = seen[seed.a1_id]
        assert a1["name"] == "Rathaus Aldorf" and a1["online"] is True
        assert a1["software"] == "bt-terminal 9.9"
        assert a1["parts"] == {**parts, "card_reader": "egk"}
        assert a1["call_id"] == queued.call_id
        assert isinstance(a1["last_seen"], float)
        a2 = seen[seed.a2_id]
        assert a2["online"] is False and a2["parts"] == {} and a2["call_id"] is None

        async with bert_http.get(f"{console.base}/api/v1/terminals") as resp:
            theirs = (await resp.json())["terminals"]
        assert [t["terminal_id"] for t in theirs] == [seed.b1_id]
        assert theirs[0]["parts"] == {"card_reader": "eid"}
    finally:
        await alice_http.close()
        await bert_http.close()
        await term.close()
        await other.close()


def test_hub_sends_no_card_message_on_answer_without_a_card() -> None:
    w = World()
    w.terminal(T1)
    alice = w.caseworker(ALICE)
    call_id = w.request(T1)
    alice.take()
    w.hub.from_caseworker(alice, Answer(call_id=call_id))
    sent = alice.take()
    assert [type(m) for m in sent] == [QueueUpdate, Assigned]
