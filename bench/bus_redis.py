"""What sharing Redis costs: forwarding a socket's message, and writing the calls behind.

1. Write-behind (no Redis): a hub with 2000 waiting calls in 100 municipalities; the owner
   turns its calls into records and diffs them against the last write after every change
   (console/bus/redis.py, at most once per 50 ms), so this is what one write costs the loop.
2. Forwarding (real redis-server, two ``bt-console serve`` processes): a terminal asks for a
   call and cancels it, 200 times, once on the instance owning the calls and once on the
   other; each round trip is call.request -> call.queued, and call.cancel -> ended.

Run: ``.venv/bin/python bench/bus_redis.py``
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from appliance.credentials import load_credential
from bench.lib.floods import bench_env
from console.bus.shared import Mirror, encode_calls, pack_record
from console.directory import Directory, OfficeSpec, QueueSpec
from console.hub import Hub, TerminalIdentity
from console.hub_state import SavedCall
from protocol.messages import CallCancel, CallRequest, Ended, Message, Queued
from tests.console.cluster import as_running, instances, make_template, wait_owner
from tests.console.helpers import Peer, terminal
from tests.redis_server import running_redis

ROUNDS = 200


class Sink:
    """A connection that drops what it is sent."""

    def send(self, message: Message) -> None:
        """Drop it."""

    def close(self, code: int, reason: str = "") -> None:
        """Nothing to close."""


def write_behind() -> None:
    """Time one snapshot + diff of 2000 waiting calls, and of the same with one change."""
    offices = [OfficeSpec(m, m, f"M{m}") for m in range(1, 101)]
    queues = [QueueSpec(m, m, m, "Q") for m in range(1, 101)]
    hub = Hub(directory=Directory.build(offices=offices, queues=queues, caseworkers=[]))
    for m in range(1, 101):
        for n in range(20):
            who = TerminalIdentity(f"t{m}-{n}", "T", m, f"M{m}", office_id=m)
            hub.connect_terminal(who, Sink())
            hub.from_terminal(who.terminal_id, hub._terminals[who.terminal_id][1], CallRequest())
    mirror = Mirror("bt:calls")
    times, cached = [], []
    records: dict[str, tuple[tuple[object, ...], SavedCall]] = {}
    encoded: dict[str, tuple[SavedCall, bytes]] = {}
    for _ in range(50):
        started = time.perf_counter()
        current = {r.call_id: pack_record(r) for r in hub.saved_calls()}
        change = mirror.change(current, full=False)
        times.append(time.perf_counter() - started)
        mirror.written = current
        started = time.perf_counter()  # what the bus does: unchanged records are not encoded
        mirror.change(encode_calls(hub.saved_calls(cache=records), encoded), full=False)
        cached.append(time.perf_counter() - started)
    size = sum(map(len, current.values()))
    print(
        f"write-behind, {len(current)} calls ({size / 1024:.0f} KiB): snapshot + encode + diff"
        f" median {statistics.median(times) * 1000:.1f} ms (unchanged diff: {change}); with the"
        f" bus's cache of unchanged records {statistics.median(cached[1:]) * 1000:.1f} ms"
    )


async def round_trips(peer: Peer) -> list[float]:
    """call.request -> call.queued and call.cancel -> ended, ROUNDS times each."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await peer.send(CallRequest())
        queued = await peer.expect(Queued)
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        await peer.send(CallCancel(call_id=queued.call_id))
        while not isinstance(await peer.recv(), Ended):
            pass
        times.append(time.perf_counter() - started)
    return times


async def forwarding(base: Path) -> None:
    """Round trips on the owner and on the other instance."""
    template = make_template(base / "template")
    with (
        running_redis(base / "redis") as redis,
        instances(template, base, redis, env=bench_env()) as consoles,
    ):
        owner = wait_owner(consoles)
        other = next(c for c in consoles if c is not owner)
        credential = load_credential(template.terminal_dirs[0])
        async with aiohttp.ClientSession() as http:
            for label, console in (("owner", owner), ("other instance", other)):
                peer, _ = await terminal(http, as_running(console), credential)
                times = sorted(await round_trips(peer))
                await peer.close()
                p95 = times[int(len(times) * 0.95)]
                print(
                    f"terminal on the {label}: round trip median "
                    f"{statistics.median(times) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"
                )


def main() -> None:
    """Print both figures."""
    write_behind()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(forwarding(Path(tmp)))


if __name__ == "__main__":
    main()
