"""Several console instances sharing a real Redis (console/bus/redis.py), as processes.

Two ``bt-console serve`` processes on one database and one redis-server: a terminal on one
instance is answered by a caseworker on the other; the owning instance killed with SIGKILL
while two calls wait (the terminal daemons reconnect through a failover proxy and the calls
wait in the same order); redis-server killed and started again while a call waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest

from appliance.credentials import load_credential
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallOffer,
    CallRequest,
    Ended,
    Hangup,
    Message,
    Ping,
    PresenceSet,
    Queued,
    QueueUpdate,
    RtcAnswer,
    RtcOffer,
    TerminalRestart,
)
from tests.console.cluster import (
    FailoverProxy,
    Template,
    as_running,
    bus_of,
    instances,
    make_template,
    wait_owner,
)
from tests.console.helpers import Peer, caseworker, login, terminal
from tests.e2e.harness import PASSWORD, get_json, running_terminal
from tests.e2e.test_call import request_call
from tests.redis_server import RedisServer, running_redis

M = TypeVar("M", bound=Message)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("cluster-template"))


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with running_redis(tmp_path / "redis") as server:
        yield server


async def next_of(peer: Peer, cls: type[M], wait_s: float = 5.0) -> M:
    """The next message of this type; others (queue updates, offers ...) are skipped."""
    deadline = time.monotonic() + wait_s
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {cls.__name__} within {wait_s} s"
        if cls in (CallOffer,):
            found = [m for m in peer.routing if isinstance(m, cls)]
            if found:
                peer.routing.remove(found[0])
                return found[0]
        try:
            msg = await peer.recv(min(left, 0.5))
        except TimeoutError:
            continue
        if isinstance(msg, cls):
            return msg


@pytest.mark.parametrize("terminal_on", ["owner", "other"])
async def test_terminal_on_one_instance_answered_on_the_other(
    template: Template, redis: RedisServer, tmp_path: Path, terminal_on: str
) -> None:
    with instances(template, tmp_path, redis) as consoles:
        owner = wait_owner(consoles)
        other = next(c for c in consoles if c is not owner)
        term_at, page_at = (owner, other) if terminal_on == "owner" else (other, owner)
        credential = load_credential(template.terminal_dirs[0])
        async with aiohttp.ClientSession() as http:
            term, _ = await terminal(http, as_running(term_at), credential)
            page_http, anna, _ = await caseworker(as_running(page_at), "anna", PASSWORD)
            try:
                await call_answered_relayed_and_hung_up(term, anna)
            finally:
                await page_http.close()


async def call_answered_relayed_and_hung_up(term: Peer, anna: Peer) -> None:
    await term.send(CallRequest())
    queued = await next_of(term, Queued)
    assert queued.position == 1
    offer = await next_of(anna, CallOffer)
    assert offer.call_id == queued.call_id
    await anna.send(Answer(call_id=offer.call_id))
    assert (await next_of(anna, Assigned)).call_id == offer.call_id
    assert (await next_of(term, Answered)).call_id == offer.call_id
    await term.send(RtcOffer(call_id=offer.call_id, leg="camera", sdp="v=0 offer"))
    relayed = await next_of(anna, RtcOffer)
    assert (relayed.leg, relayed.sdp) == ("camera", "v=0 offer")
    await anna.send(RtcAnswer(call_id=offer.call_id, leg="camera", sdp="v=0 answer"))
    assert (await next_of(term, RtcAnswer)).sdp == "v=0 answer"
    await anna.send(Hangup(call_id=offer.call_id))
    assert (await next_of(anna, Ended)).reason == "hangup_caseworker"
    assert (await next_of(term, Ended)).reason == "hangup_caseworker"


@contextlib.asynccontextmanager
async def keepalive(*peers: Peer) -> AsyncIterator[None]:
    """Ping as the page and the daemon do, so the console keeps the sockets open."""

    async def ping() -> None:
        for seq in itertools.count():
            for peer in peers:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await peer.send(Ping(seq=seq))
            await asyncio.sleep(0.5)

    task = asyncio.create_task(ping())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(predicate: Callable[[], object], within_s: float, what: str) -> float:
    """Poll without blocking the loop; return the seconds it took."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < within_s, f"timed out after {within_s} s: {what}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def latest_queue(
    peer: Peer, first: QueueUpdate, want: list[str], wait_s: float = 10.0
) -> list[str]:
    """Read queue updates from ``first`` on until one lists exactly ``want`` (else the last)."""
    deadline = time.monotonic() + wait_s
    seen = [e.call_id for e in first.entries]
    while time.monotonic() < deadline and seen != want:
        with contextlib.suppress(AssertionError):
            update = await next_of(peer, QueueUpdate, max(0.1, deadline - time.monotonic()))
            seen = [e.call_id for e in update.entries]
    return seen


@pytest.mark.parametrize("killed_one", ["owner", "other"])
async def test_instance_killed_while_two_calls_wait_terminals_back_in_the_same_order(
    template: Template, redis: RedisServer, tmp_path: Path, killed_one: str
) -> None:
    """The terminals are on the instance that is SIGKILLed: the owner of the calls, or the
    other one (then the owner keeps the calls and the terminals come back to it)."""
    with instances(template, tmp_path, redis) as consoles:
        owner = wait_owner(consoles)
        other = next(c for c in consoles if c is not owner)
        victim, survivor = (owner, other) if killed_one == "owner" else (other, owner)
        with contextlib.ExitStack() as stack:
            proxy = stack.enter_context(FailoverProxy([victim.port, survivor.port]))
            t1, t2 = (
                stack.enter_context(running_terminal(owner, d, console_url=proxy.url))
                for d in template.terminal_dirs
            )
            for n, t in enumerate((t1, t2), 1):
                await until(lambda t=t: t.coordinator.state == "idle", 15, "terminal online")
                await asyncio.to_thread(request_call, t)
                await until(lambda t=t, n=n: t.coordinator.view.position == n, 10, f"queued {n}")
            ids = [t.coordinator.call_id for t in (t1, t2)]
            connects = [t.link.connects for t in (t1, t2)]

            killed = time.monotonic()
            victim.stop(signal.SIGKILL)

            def back() -> bool:
                """Reconnected, same call, same place."""
                pairs = ((t1, connects[0]), (t2, connects[1]))
                places = [(t.link.connects > c, t.coordinator.state, t.coordinator.call_id,
                           t.coordinator.view.position) for t, c in pairs]  # fmt: skip
                return places == [(True, "queued", ids[0], 1), (True, "queued", ids[1], 2)]

            await until(back, 10, "both terminals queued again at their places")
            took = time.monotonic() - killed
            print(f"\n{killed_one} SIGKILLed -> both terminals back at their places: "
                  f"{took * 1000:.0f} ms")  # fmt: skip
            assert took < 10
            assert bus_of(survivor)["owns_calls"] is True

            page_http, anna, first = await caseworker(as_running(survivor), "anna", PASSWORD)
            try:
                async with keepalive(anna):
                    assert await latest_queue(anna, first, ids) == ids
                    await anna.send(Answer(call_id=ids[0]))
                    assert (await next_of(anna, Assigned)).call_id == ids[0]
                    await until(lambda: t1.coordinator.state == "in-call", 10, "first answered")
                    assert t2.coordinator.view.position == 1
                    await anna.send(Hangup(call_id=ids[0]))
                    await next_of(anna, Ended)
            finally:
                await page_http.close()


async def test_redis_restarted_while_a_call_waits_it_is_answered_afterwards(
    template: Template, redis: RedisServer, tmp_path: Path
) -> None:
    with instances(template, tmp_path, redis) as consoles:
        a, b = consoles
        wait_owner(consoles)
        credential = load_credential(template.terminal_dirs[0])
        async with aiohttp.ClientSession() as http:
            term, _ = await terminal(http, as_running(a), credential)
            page_http, anna, _ = await caseworker(as_running(b), "anna", PASSWORD)
            try:
                async with keepalive(term, anna):
                    await anna.send(PresenceSet(state="break"))  # no offer: it just waits
                    await term.send(CallRequest())
                    call_id = (await next_of(term, Queued)).call_id
                    await until(lambda: stored_calls(redis) == [call_id], 5, "call in Redis")

                    redis.stop(signal.SIGKILL)
                    await until(lambda: not bus_of(a)["ok"] and not bus_of(b)["ok"], 10,
                                "both instances say Redis is down")  # fmt: skip
                    assert get_json(a.url + "/healthz")["status"] == "degraded"
                    await asyncio.sleep(1.0)
                    redis.start()  # empty: no persistence
                    owner = await asyncio.to_thread(wait_owner, consoles, 15)
                    await until(lambda: stored_calls(redis) == [call_id], 10, "call re-published")
                    print(f"\nafter the Redis restart the calls are owned by {owner.log_name}")

                    await anna.send(PresenceSet(state="available"))
                    offer = await next_of(anna, CallOffer, 10)
                    assert offer.call_id == call_id
                    await anna.send(Answer(call_id=call_id))
                    assert (await next_of(anna, Assigned)).call_id == call_id
                    assert (await next_of(term, Answered)).call_id == call_id
                    await term.send(Hangup(call_id=call_id))
                    assert (await next_of(anna, Ended)).reason == "hangup_terminal"
            finally:
                await page_http.close()


def stored_calls(redis: RedisServer) -> list[str]:
    """The waiting calls the owner has written to Redis."""
    import redis as redis_client

    with contextlib.suppress(redis_client.RedisError):
        client = redis_client.Redis.from_url(redis.url, socket_timeout=1)
        try:
            return sorted(k.decode() for k in client.hkeys("bt:calls"))
        finally:
            client.close()
    return []


async def test_a_restart_asked_on_the_other_instance_reaches_the_terminal(
    template: Template, redis: RedisServer, tmp_path: Path
) -> None:
    """HTTP that needs the hub is passed to the owner (console/bus/http.py)."""
    with instances(template, tmp_path, redis) as consoles:
        owner = wait_owner(consoles)
        other = next(c for c in consoles if c is not owner)
        credential = load_credential(template.terminal_dirs[0])
        terminal_id = credential.split(".")[0]
        async with aiohttp.ClientSession() as http:
            term, _ = await terminal(http, as_running(owner), credential)
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as admin:
                assert (await login(admin, as_running(other), "ada", PASSWORD)).status == 303
                async with admin.get(other.url + "/fleet") as page:
                    found = re.search(r'data-csrf="([^"]*)"', await page.text())
                assert found is not None
                restart = f"{other.url}/api/v1/terminals/{terminal_id}/restart"
                async with admin.post(restart, headers={"X-CSRF-Token": found.group(1)}) as resp:
                    assert resp.status == 202, await resp.text()
                    assert (await resp.json())["terminal_id"] == terminal_id
                assert (await next_of(term, TerminalRestart)).reason
                stranger = f"{other.url}/api/v1/terminals/{terminal_id}/restart"
                async with aiohttp.ClientSession() as nobody, nobody.post(stranger) as resp:
                    assert resp.status == 401  # the owner checks who asks, as always
