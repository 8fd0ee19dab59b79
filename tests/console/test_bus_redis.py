"""Several console instances sharing a real Redis (console/bus/redis.py), as processes.

Two ``bt-console serve`` processes on one database and one redis-server: a terminal on one
instance is answered by a caseworker on the other; the owning instance killed with SIGKILL
while two calls wait (the terminal daemons reconnect through a failover proxy and the calls
wait in the same order); redis-server killed and started again while a call waits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

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
    Queued,
    QueueUpdate,
    RtcAnswer,
    RtcOffer,
)
from tests.console.cluster import Template, as_running, bus_of, instances, make_template, wait_owner
from tests.console.helpers import Peer, caseworker, terminal
from tests.e2e.harness import PASSWORD
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


def queue_of(update: Any) -> list[str]:
    assert isinstance(update, QueueUpdate)
    return [e.call_id for e in update.entries]


_ = bus_of
