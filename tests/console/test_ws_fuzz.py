"""Fuzzing the running console's signaling sockets with every message type (issue 7).

Hypothesis generates steps: a terminal or caseworker message of Aldorf's fuzzing sockets,
valid (naming real calls, queues, colleagues and callbacks of both municipalities, in any
order; tests/protocol/strategies.py) or malformed (tests/protocol/mutations.py), sometimes
as the first message of a fresh socket, bytes sometimes as a text frame. Each is sent over
a real WebSocket of a real console (hypercorn, SQLite) and its answer is checked
(tests/console/fuzz_world.py).
Meanwhile a second terminal and caseworker of Aldorf ping every 50 ms and must keep
getting quick answers; Bestadt's caseworker and terminal watch for anything of Aldorf.
Afterwards Bestadt's call is still waiting and is answered, Aldorf's well-behaved pair
still completes a call, and the console logged no error.

The console keeps its state across examples (that is the point: out-of-order messages),
so a shrunk failure may need the steps before it; the seed hypothesis prints reproduces
the run. ``--hypothesis-profile=fuzz`` runs 50x the examples (tests/conftest.py).
Hypothesis runs in a worker thread and hands each step to the test's event loop, where
the console and all clients live.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import statistics
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.config import ConsoleConfig
from console.floods import FloodLimits
from console.store import Store
from console.store.admin_queues import QueueStore
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallbackRequest,
    Callbacks,
    CallOffer,
    CallRequest,
    Message,
    Queued,
    QueueUpdate,
    Welcome,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.fuzz_world import (
    CASEWORKER,
    TERMINAL,
    Client,
    Watcher,
    as_data,
    check,
    connect,
    expect_first,
    expect_reply,
    greet,
)
from tests.console.helpers import login
from tests.protocol.mutations import Case, malformed
from tests.protocol.strategies import DIRECTIONS, any_message

UNLIMITED = FloodLimits(
    connections_per_min=1e6,
    connection_burst=10**6,
    messages_per_s=1e6,
    message_burst=10**6,
    address_messages_per_s=1e6,
    address_message_burst=10**6,
)
"""Floods are tested in test_flood_sockets.py; here every message must reach the hub."""


@pytest.fixture
def config(config: ConsoleConfig) -> ConsoleConfig:
    return dataclasses.replace(config, flood=UNLIMITED)


@dataclass(frozen=True)
class Step:
    side: str
    sent: Case | Message
    fresh: bool
    """Sent as the first message of a new socket."""
    text_frame: bool
    """Bytes go out as a text frame (not UTF-8: the transport drops the connection, 1006)."""

    def __repr__(self) -> str:  # hypothesis prints failing steps; keep huge ones readable
        sent = repr(self.sent)
        sent = sent if len(sent) < 300 else f"{sent[:300]}... ({len(sent)} characters)"
        return f"Step({self.side}, {sent}, fresh={self.fresh}, text_frame={self.text_frame})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' own printer
        printer.text(repr(self))


class World:
    """Aldorf's fuzzing sockets and everyone watching them (see the module docstring)."""

    def __init__(self, console: RunningConsole, seed: Seed) -> None:
        self.console = console
        self.seed = seed
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self.fuzzers: dict[str, Client] = {}
        self.watchers: dict[str, Watcher] = {}
        self.calls: list[str] = []
        """Aldorf's call ids the fuzzers have seen: the strategies name them."""
        self.ids: dict[str, Any] = {}
        self.steps = 0

    async def session(self, name: str, username: str | None = None) -> aiohttp.ClientSession:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        if username is not None:
            assert (await login(http, self.console, username)).status == 303
        self.sessions[name] = http
        return http

    async def start(self, store: Store) -> None:
        """Connect everyone; Bestadt's terminal waits in a call and leaves a callback."""
        seed, console = self.seed, self.console
        for name, credential in (("b1", seed.b1), ("a2", seed.a2)):
            client = await connect(await self.session(name), console, TERMINAL, credential)
            await greet(client)
            self.watchers[name] = Watcher(client)
        for name in ("bert", "anton"):
            client = await connect(await self.session(name, name), console, CASEWORKER)
            await greet(client)
            self.watchers[name] = Watcher(client)
        b1 = self.watchers["b1"].client
        await b1.send(CallRequest())
        await b1.send(CallbackRequest(request_id="cb-b", name="Frau B", phone="+49 30 123456"))
        await self.watchers["b1"].ping()
        b_call = next(m for m in self.watchers["b1"].reply.messages if isinstance(m, Queued))
        await self.watchers["bert"].ping()
        lists = [m for m in self.watchers["bert"].reply.messages if isinstance(m, Callbacks)]
        bert = await store.caseworker_by_username("bert")
        alice = await store.caseworker_by_username("alice")
        anton = await store.caseworker_by_username("anton")
        assert bert and alice and anton
        self.ids = {
            "b_call": b_call.call_id,
            "b_callback": lists[-1].entries[0].callback_id,
            "caseworkers": [alice.id, anton.id, bert.id],
            "queues": [
                (await QueueStore(store.db).of(m))[0].id
                for m in (alice.municipality_id, bert.municipality_id)
            ],
        }
        await self.session(TERMINAL)
        await self.session(CASEWORKER, "alice")
        for side in (TERMINAL, CASEWORKER):
            await self.reconnect(side)

    def secrets(self) -> tuple[set[str], set[str]]:
        """What Aldorf's sockets must never see of Bestadt, and Bestadt's of Aldorf."""
        seed = self.seed
        of_b = {self.ids["b_call"], self.ids["b_callback"], seed.b1_id, "Bestadt", "Bert Beh",
                "Frau B", "123456"}  # fmt: skip
        of_a = {seed.a1_id, seed.a2_id, "Aldorf", "Alice Amt", "Anton Amt", *self.calls}
        return of_b, of_a

    def names(self) -> dict[str, st.SearchStrategy[Any]]:
        """Real ids for the fields that name objects (see tests/protocol/strategies.py)."""
        own_call = st.integers(0, 7).map(self.recent_call)
        return {
            "call_id": st.one_of(own_call, own_call, st.just(self.ids["b_call"])),
            "to_caseworker_id": st.sampled_from(self.ids["caseworkers"]),
            "to_queue_id": st.sampled_from(self.ids["queues"]),
            "queue_id": st.sampled_from(self.ids["queues"]),
            "callback_id": st.just(self.ids["b_callback"]),
            "request_id": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        }

    def recent_call(self, n: int) -> str:
        """One of Aldorf's last eight calls (drawn when the step is generated)."""
        return self.calls[-1 - n % len(self.calls)] if self.calls else "no-call-yet"

    async def reconnect(self, side: str, *, greeted: bool = True) -> Client:
        """A new fuzzing socket for ``side`` (the old one is closed)."""
        old = self.fuzzers.pop(side, None)
        if old is not None:
            await old.ws.close()
        credential = self.seed.a1 if side == TERMINAL else ""
        client = await connect(self.sessions[side], self.console, side, credential)
        if greeted:
            self.learn(await greet(client))
        self.fuzzers[side] = client
        return client

    def learn(self, reply: Any) -> None:
        """Remember Aldorf's call ids from what the fuzzers were told."""
        for m in reply.messages:
            if isinstance(m, Queued | Answered | Assigned | CallOffer):
                found = [m.call_id]
            elif isinstance(m, QueueUpdate):
                found = [e.call_id for e in m.entries]
            else:
                continue
            self.calls += [c for c in found if c not in self.calls]

    async def play(self, step: Step) -> None:
        """Send one step and check its answer."""
        self.steps += 1
        what = f"step {self.steps}, {step.side}: {step.sent!r}"[:400]
        if step.fresh:
            client = await self.reconnect(step.side, greeted=False)
        else:
            client = self.fuzzers[step.side]
        reply = await client.exchange(as_data(step.sent), text_frame=step.text_frame)
        check(reply, as_data(step.sent), self.secrets()[0], what)
        if step.fresh:
            expect_first(reply, step.sent, what)
        else:
            expect_reply(reply, step.sent, what)
        self.learn(reply)
        welcomed = not step.fresh or any(isinstance(m, Welcome) for m in reply.messages)
        if reply.closed is not None or client.ws.closed or not welcomed:
            await self.reconnect(step.side)

    async def stop(self) -> None:
        for watcher in self.watchers.values():
            await watcher.close()
        for client in self.fuzzers.values():
            await client.ws.close()
        for http in self.sessions.values():
            await http.close()


def steps(world: World) -> st.SearchStrategy[Step]:
    """Steps of either fuzzing socket: valid messages with real ids, or malformed input."""
    names = world.names()
    per_side = {
        TERMINAL: DIRECTIONS[0],  # terminal->console
        CASEWORKER: DIRECTIONS[1],  # caseworker->console
    }
    rare = st.integers(0, 9).map(lambda n: n == 0)
    return st.one_of(
        [
            st.builds(
                Step,
                side=st.just(side),
                sent=st.one_of(
                    any_message(direction.types, names),
                    any_message(direction.types, names),
                    malformed(direction),
                ),
                fresh=rare,
                text_frame=rare,
            )
            for side, direction in per_side.items()
        ]
    )


LONG_RUN = settings.default.max_examples > 200  # --hypothesis-profile=fuzz (tests/conftest.py)


@pytest.mark.timeout(1800 if LONG_RUN else 120)
async def test_fuzzed_messages_get_their_effect_or_a_documented_refusal(
    console: RunningConsole, seed: Seed, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    world = World(console, seed)
    await world.start(store)
    loop = asyncio.get_running_loop()
    strategy = steps(world)

    @settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(strategy, min_size=1, max_size=4))
    def fuzz(batch: list[Step]) -> None:
        for step in batch:
            asyncio.run_coroutine_threadsafe(world.play(step), loop).result(timeout=60)

    stop = asyncio.Event()
    # Bestadt's pair pings too: a socket silent for three heartbeats is closed (4408).
    probes = [asyncio.create_task(watcher.probe(stop)) for watcher in world.watchers.values()]
    try:
        await asyncio.to_thread(fuzz)
    finally:
        stop.set()
        await asyncio.gather(*probes)
    try:
        await after_the_fuzz(world, console)
    finally:
        await world.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, "\n".join(r.getMessage() for r in errors)


async def after_the_fuzz(world: World, console: RunningConsole) -> None:
    """The well-behaved clients were answered quickly, and Bestadt is as it was."""
    for name in ("a2", "anton"):
        rtts = sorted(world.watchers[name].rtts)
        print(f"\n{name}: {len(rtts)} pings during {world.steps} fuzz steps, median "
              f"{statistics.median(rtts) * 1000:.1f} ms, max {rtts[-1] * 1000:.1f} ms")  # fmt: skip
        assert rtts and statistics.median(rtts) < 0.1 and rtts[-1] < 2.0
    _, of_a = world.secrets()
    for name in ("bert", "b1"):
        for raw in world.watchers[name].reply.raw:
            for secret in of_a:
                assert secret not in raw, f"{name} was told {secret!r}: {raw[:300]}"
    b_call = world.ids["b_call"]
    call = console.hub.call(b_call)
    assert call is not None and call.caseworker is None, "Bestadt's call is untouched"
    bert, b1 = world.watchers["bert"], world.watchers["b1"]
    await bert.client.send(Answer(call_id=b_call))
    await bert.ping()
    await b1.ping()
    assert any(isinstance(m, Assigned) and m.call_id == b_call for m in bert.reply.messages)
    assert any(isinstance(m, Answered) and m.call_id == b_call for m in b1.reply.messages)
    a2, anton = world.watchers["a2"], world.watchers["anton"]
    await a2.client.send(CallRequest())
    await a2.ping()
    queued = [m for m in a2.reply.messages if isinstance(m, Queued)]
    assert queued, "Aldorf's second terminal can still call"
    await anton.client.send(Answer(call_id=queued[-1].call_id))
    await anton.ping()
    assert any(
        isinstance(m, Assigned) and m.call_id == queued[-1].call_id for m in anton.reply.messages
    )
