"""The signaling client against a small fake console: hello, reconnect, heartbeat, 401."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest

from appliance.events import Event, LinkDown, LinkMessage, LinkUp
from appliance.link import Link, websocket_url
from protocol.messages import CallRequest, Hello, Ping, Queued
from tests.appliance.fakes import FakeConsole, wait_for


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
async def console() -> AsyncIterator[FakeConsole]:
    fake = FakeConsole(heartbeat_s=0.1)
    await fake.start()
    yield fake
    await fake.stop()


def make_link(console: FakeConsole, rec: Recorder, credential: str = "secret") -> Link:
    return Link(
        console_url=console.url,
        credential=credential,
        software="test/1",
        parts=lambda: {"camera": "ok"},
        on_event=rec,
        backoff_base_s=0.05,
        backoff_max_s=0.3,
        rng=random.Random(1),
    )


@contextlib.asynccontextmanager
async def running(link: Link) -> AsyncIterator[None]:
    task = asyncio.create_task(link.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_websocket_url() -> None:
    assert websocket_url("http://h:8080") == "ws://h:8080/ws/terminal"
    assert websocket_url("https://c.example/base/") == "wss://c.example/base/ws/terminal"


async def test_hello_welcome_and_messages(console: FakeConsole) -> None:
    rec = Recorder()
    link = make_link(console, rec)
    async with running(link):
        await wait_for(lambda: rec.of(LinkUp))
        assert link.status == "ok"
        hello = console.received[0]
        assert type(hello).__name__ == "Hello"
        assert hello.parts == {"camera": "ok"}  # type: ignore[attr-defined]
        assert await link.send(CallRequest())
        await wait_for(lambda: "CallRequest" in console.types())
        await console.send(Queued(call_id="c1", position=2))
        await wait_for(lambda: rec.of(LinkMessage))
        assert rec.of(LinkMessage)[0].message == Queued(call_id="c1", position=2)  # type: ignore[union-attr]
        await wait_for(lambda: console.types().count("Ping") >= 2)  # heartbeat runs


async def test_malformed_messages_are_ignored(console: FakeConsole) -> None:
    rec = Recorder()
    link = make_link(console, rec)
    async with running(link):
        await wait_for(lambda: rec.of(LinkUp))
        await console.send_raw("{not json")
        await console.send_raw('{"type":"call.queued","call_id":5}')
        await console.send_raw('{"type":"nonsense"}')
        await console.send(Queued(call_id="c1", position=1))
        await wait_for(lambda: rec.of(LinkMessage))
        assert link.status == "ok"
        assert len(rec.of(LinkUp)) == 1
        assert not rec.of(LinkDown)


async def test_reconnects_after_console_restart(console: FakeConsole) -> None:
    rec = Recorder()
    link = make_link(console, rec)
    async with running(link):
        await wait_for(lambda: rec.of(LinkUp))
        await console.stop()
        await wait_for(lambda: rec.of(LinkDown))
        assert link.status == "down"
        assert not await link.send(CallRequest())
        await asyncio.sleep(0.3)  # a few failed attempts while it is away
        await console.start()
        await wait_for(lambda: len(rec.of(LinkUp)) == 2, within=3)
        assert link.status == "ok"
        assert link.connects == 2


async def test_heartbeat_timeout_drops_and_reconnects(console: FakeConsole) -> None:
    rec = Recorder()
    link = make_link(console, rec)
    async with running(link):
        await wait_for(lambda: rec.of(LinkUp))
        console.answer_pings = False
        await wait_for(lambda: rec.of(LinkDown), within=2)  # 2 x 0.1 s without pong
        console.answer_pings = True
        await wait_for(lambda: len(rec.of(LinkUp)) == 2, within=3)


async def test_refused_credential(console: FakeConsole) -> None:
    rec = Recorder()
    link = make_link(console, rec, credential="wrong")
    async with running(link):
        await wait_for(lambda: rec.of(LinkDown))
        assert link.status == "refused"
        assert rec.of(LinkDown)[0].reason == "credential refused"  # type: ignore[union-attr]
        assert not rec.of(LinkUp)
        # retries, but only at the maximum delay (0.3 s here)
        await asyncio.sleep(0.45)
        assert 1 <= len(rec.of(LinkDown)) <= 3


async def test_in_a_call_pings_faster_and_hello_names_the_call() -> None:
    """During a call the link pings at the console's call rate, gives up after two silent
    intervals, and its next hello asks to resume the call (issue 7)."""
    fake = FakeConsole(heartbeat_s=5.0, call_heartbeat_s=0.1)
    await fake.start()
    try:
        rec = Recorder()
        in_call: list[str] = []
        link = Link(
            console_url=fake.url, credential="secret", software="test/1", parts=dict,
            on_event=rec, backoff_base_s=0.05, backoff_max_s=0.3, rng=random.Random(1),
            call=lambda: in_call[0] if in_call else None,
        )  # fmt: skip
        async with running(link):
            await wait_for(lambda: rec.of(LinkUp))
            await asyncio.sleep(0.3)
            assert "Ping" not in fake.types()  # idle: every 5 s
            in_call.append("call-7")
            await wait_for(lambda: fake.types().count("Ping") >= 3, within=1.5)
            pings = [m for m in fake.received if isinstance(m, Ping)]
            assert {p.interval_s for p in pings} == {0.1}
            fake.answer_pings = False
            loop = asyncio.get_running_loop()
            cut = loop.time()
            await wait_for(lambda: rec.of(LinkDown), within=2)
            noticed = loop.time() - cut
            assert noticed < 1.0  # 2 x 0.1 s plus the loop's tick, not 2 x 5 s
            fake.answer_pings = True
            await wait_for(lambda: len(rec.of(LinkUp)) == 2, within=3)
            hellos = [m for m in fake.received if isinstance(m, Hello)]
            assert [h.resume for h in hellos] == [None, "call-7"]
    finally:
        await fake.stop()
