"""The authorization matrix over WebSockets: handshakes and every caseworker message type.

A caseworker of municipality A sends each message type the console accepts from caseworkers,
aimed at municipality B's call, queue, colleague and callback request; every one is refused
and B's state is unchanged. The message table must name every type of
``CaseworkerToConsole``, so a new message type cannot escape the matrix.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from console.config import ConsoleConfig
from console.store import Store
from console.store.admin_queues import QueueStore
from tests.console.admin_setup import tenants
from tests.console.authz_table import WEBSOCKETS
from tests.console.conftest import RunningConsole, Seed
from tests.console.test_authz_matrix import routes_of

WsCase = Callable[["WsTargets"], list[Any]]


@dataclass(frozen=True)
class WsTargets:
    """B's objects that A's caseworker aims at, and A's own call."""

    b_call: str
    a_call: str
    b_queue: int
    b_caseworker: int
    a_queue: int
    b_callback: str


def _ws_cases() -> dict[type[Any], WsCase]:
    from protocol import messages as m

    return {
        m.Hello: lambda t: [],  # no target: the socket's own greeting
        m.Ping: lambda t: [],  # no target
        m.PresenceSet: lambda t: [],  # the sender's own presence only
        m.Answer: lambda t: [m.Answer(call_id=t.b_call)],
        m.Hangup: lambda t: [m.Hangup(call_id=t.b_call)],
        m.RtcAnswer: lambda t: [m.RtcAnswer(call_id=t.b_call, leg="camera", sdp="v=0")],
        m.PhotoRequest: lambda t: [m.PhotoRequest(call_id=t.b_call, request_id="r1")],
        m.Chat: lambda t: [m.Chat(call_id=t.b_call, text="Hallo B")],
        m.Decline: lambda t: [m.Decline(call_id=t.b_call)],
        m.Transfer: lambda t: [
            m.Transfer(call_id=t.b_call, to_queue_id=t.a_queue),
            m.Transfer(call_id=t.a_call, to_caseworker_id=t.b_caseworker),
            m.Transfer(call_id=t.a_call, to_queue_id=t.b_queue),
        ],
        m.CallbackDone: lambda t: [m.CallbackDone(callback_id=t.b_callback, status="done")],
    }


async def test_websocket_messages_cannot_reach_another_municipality(
    console: RunningConsole, store: Store, seed: Seed, http: aiohttp.ClientSession
) -> None:
    """Every caseworker message type, sent by A's caseworker at B's calls, queues,
    colleagues and callbacks, changes nothing in B; B's caseworker can still answer."""
    from typing import get_args

    from protocol.messages import (
        Answer,
        Assigned,
        CallbackRequest,
        CallRequest,
        CaseworkerToConsole,
        Error,
        Queued,
    )
    from tests.console.helpers import caseworker, terminal

    cases = _ws_cases()
    types_ = set(get_args(CaseworkerToConsole))
    assert types_ == set(cases), f"message types missing from the WS table: {types_ - set(cases)}"
    people = await tenants(store)
    b1, _ = await terminal(http, console, seed.b1)
    a1, _ = await terminal(http, console, seed.a1)
    await b1.send(CallRequest())
    b_call = (await b1.expect(Queued)).call_id
    await b1.send(CallbackRequest(request_id="cb1", name="Frau B", phone="+49 30 123456"))
    await b1.recv()  # callback.accepted
    await a1.send(CallRequest())
    a_call = (await a1.expect(Queued)).call_id
    bert_http, bert, _ = await caseworker(console, "bert")
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        await alice.send(Answer(call_id=a_call))
        for _ in range(10):
            if isinstance(await alice.recv(), Assigned):
                break
        b_callbacks = [e for cb in bert.callbacks for e in cb.entries]
        assert b_callbacks, "B's callback list did not arrive"
        targets = WsTargets(
            b_call=b_call,
            a_call=a_call,
            b_queue=(await QueueStore(store.db).of(people.b["admin"].municipality_id))[0].id,
            b_caseworker=people.b["caseworker"].id,
            a_queue=(await QueueStore(store.db).of(people.a["admin"].municipality_id))[0].id,
            b_callback=b_callbacks[0].callback_id,
        )
        sent = [msg for case in cases.values() for msg in case(targets)]
        for msg in sent:
            await alice.send(msg)
        await asyncio.sleep(0.5)
        answers = []
        with contextlib.suppress(TimeoutError, AssertionError):
            while True:
                answers.append(await alice.recv(0.2))
        refused = [a for a in answers if isinstance(a, Error)]
        assert len(refused) == len(sent), f"each message is refused: {answers}"
        hub = console.hub
        b_state = hub.call(b_call)
        assert b_state is not None and b_state.caseworker is None, "B's call was touched"
        a_state = hub.call(a_call)
        assert a_state is not None and a_state.caseworker is not None
        assert a_state.caseworker.caseworker_id == people.a["caseworker"].id, "A's call left A"
        await b1.silent(0.3)  # B's terminal heard nothing of it
        async with store.db.session() as s:
            from sqlalchemy import select

            from console.store.models import Callback

            status = await s.scalar(
                select(Callback.status).where(Callback.id == targets.b_callback)
            )
        assert status == "open", "B's callback was marked by A"
        # the call was live all along: B's own caseworker answers it
        await bert.send(Answer(call_id=b_call))
        for _ in range(20):
            if isinstance(await bert.recv(), Assigned):
                break
        else:
            raise AssertionError("B's caseworker could not answer B's call")
    finally:
        for peer in (alice, bert, a1, b1):
            await peer.close()
        await alice_http.close()
        await bert_http.close()


async def test_websocket_handshakes_need_credentials(
    console: RunningConsole, store: Store, seed: Seed, config: ConsoleConfig
) -> None:
    """Every socket is in the table; none opens without the right credential."""
    _, sockets = routes_of(config, store)
    assert sockets == set(WEBSOCKETS), (
        f"sockets missing from WEBSOCKETS: {sockets ^ set(WEBSOCKETS)}"
    )
    people = await tenants(store)
    origin = f"http://{console.host}"
    async with aiohttp.ClientSession() as http:
        attempts = [
            ("/ws/caseworker", {}),  # no session
            ("/ws/caseworker", people.a["admin"].headers),  # API tokens do not open the desk
            ("/ws/terminal", {}),
            ("/ws/terminal", {"Authorization": "Bearer nope.nope"}),
            ("/ws/terminal", people.a["admin"].headers),  # a person is no terminal
        ]
        for path, headers in attempts:
            try:
                ws = await http.ws_connect(console.ws_base + path, headers=headers, origin=origin)
            except aiohttp.WSServerHandshakeError as err:
                assert err.status in (401, 403), (path, err.status)
            else:
                await ws.close()
                raise AssertionError(f"{path} opened with {headers}")


async def test_a_terminal_cannot_resume_another_terminals_call(
    console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    """A held call (its terminal's socket lost mid-call) is resumed only by its own terminal:
    another terminal of the same or another municipality naming it in ``hello.resume`` is
    told it ended, exactly as for a made-up id, and the call stays held (issue 7)."""
    from protocol.messages import (
        Answer,
        Answered,
        Assigned,
        CallHeld,
        CallRequest,
        CallResumed,
        Ended,
        Message,
        Queued,
    )
    from tests.console.helpers import Peer, caseworker, terminal

    async def until(peer: Peer, cls: type[Message]) -> Message:
        for _ in range(20):
            msg = await peer.recv()
            if isinstance(msg, cls):
                return msg
        raise AssertionError(f"no {cls.__name__}")

    console.hub.hold_answered_s = 60.0
    a1, welcome = await terminal(http, console, seed.a1)
    assert welcome.call_heartbeat_s == 2.0 and welcome.call_hold_s is not None
    alice_http, alice, _ = await caseworker(console, "alice")
    others: list[Peer] = []
    try:
        await a1.send(CallRequest())
        call_id = (await a1.expect(Queued)).call_id
        await alice.send(Answer(call_id=call_id))
        await until(alice, Assigned)
        await a1.close()
        held = await until(alice, CallHeld)
        assert isinstance(held, CallHeld) and held.call_id == call_id
        for credential in (seed.a2, seed.b1):
            other, _ = await terminal(http, console, credential, resume=call_id)
            others.append(other)
            assert await other.expect(Ended) == Ended(call_id=call_id, reason="terminal_lost")
        await alice.silent(0.3)  # no call.resumed: nobody took the call over
        call = console.hub.call(call_id)
        assert call is not None and call.away_since is not None
        back, _ = await terminal(http, console, seed.a1, resume=call_id)
        others.append(back)
        answered = await back.expect(Answered)
        assert answered.call_id == call_id
        assert await until(alice, CallResumed) == CallResumed(call_id=call_id)
    finally:
        for peer in (alice, *others):
            await peer.close()
        await alice_http.close()
