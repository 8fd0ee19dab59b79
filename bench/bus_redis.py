"""What sharing Redis costs: forwarding a socket's message, and writing the calls behind.

1. Write-behind (no Redis): a hub with ``--calls`` waiting calls in 100 municipalities
   (2000 by default); the owner turns its calls into records and diffs them against the
   last write after every change (console/bus/redis.py, at most once per 50 ms), so this is
   what one write costs the loop. Reference: the same without the bus's cache of unchanged
   records, and the 50 ms between writes.
2. Forwarding (real redis-server, two ``bt-console serve`` processes): a terminal asks for a
   call and cancels it, ``--rounds`` times (200), once on the instance owning the calls and
   once on the other; each round trip is call.request -> call.queued, and call.cancel ->
   ended. References: the same on one console without Redis (the in-process bus), and the
   owner's own round trip for the forwarded one.

Run: ``.venv/bin/python bench/bus_redis.py [--rounds 200] [--calls 2000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from appliance.credentials import load_credential
from bench.lib.deployment import serving
from bench.lib.figures import emit, median, percentile
from bench.lib.floods import bench_env
from console.bus.shared import Mirror, encode_calls, pack_record
from console.directory import Directory, OfficeSpec, QueueSpec
from console.hub import Hub, TerminalIdentity
from console.hub_state import SavedCall
from protocol.messages import CallCancel, CallRequest, Ended, Message, Queued
from tests.console.cluster import Template, as_running, instances, make_template, wait_owner
from tests.console.helpers import Peer, terminal
from tests.e2e.harness import Console
from tests.redis_server import running_redis

MUNICIPALITIES = 100
WRITES = 50
WRITE_INTERVAL_MS = 50


class Sink:
    """A connection that drops what it is sent."""

    def send(self, message: Message) -> None:
        """Drop it."""

    def close(self, code: int, reason: str = "") -> None:
        """Nothing to close."""


def write_behind(calls: int) -> None:
    """Time one snapshot + diff of ``calls`` waiting calls, with and without the bus's cache."""
    per_municipality = max(1, calls // MUNICIPALITIES)
    offices = [OfficeSpec(m, m, f"M{m}") for m in range(1, MUNICIPALITIES + 1)]
    queues = [QueueSpec(m, m, m, "Q") for m in range(1, MUNICIPALITIES + 1)]
    hub = Hub(directory=Directory.build(offices=offices, queues=queues, caseworkers=[]))
    for m in range(1, MUNICIPALITIES + 1):
        for n in range(per_municipality):
            who = TerminalIdentity(f"t{m}-{n}", "T", m, f"M{m}", office_id=m)
            hub.connect_terminal(who, Sink())
            hub.from_terminal(who.terminal_id, hub._terminals[who.terminal_id][1], CallRequest())
    mirror = Mirror("bt:calls")
    times, cached = [], []
    records: dict[str, tuple[tuple[object, ...], SavedCall]] = {}
    encoded: dict[str, tuple[SavedCall, bytes]] = {}
    for _ in range(WRITES):
        started = time.perf_counter()
        current = {r.call_id: pack_record(r) for r in hub.saved_calls()}
        change = mirror.change(current, full=False)
        times.append((time.perf_counter() - started) * 1000)
        mirror.written = current
        started = time.perf_counter()  # what the bus does: unchanged records are not encoded
        mirror.change(encode_calls(hub.saved_calls(cache=records), encoded), full=False)
        cached.append((time.perf_counter() - started) * 1000)
    size = sum(map(len, current.values()))
    print(f"write-behind: {len(current)} waiting calls ({size / 1024:.0f} KiB encoded), "
          f"{WRITES} writes; the unchanged diff: {change}")  # fmt: skip
    uncached = median(times)
    emit("bus_redis.write_behind_median", median(cached[1:]), "ms",
         f"the same without the bus's cache of unchanged records: {uncached:.1f} ms; "
         f"{len(current)} calls, at most one write per {WRITE_INTERVAL_MS} ms")  # fmt: skip
    emit("bus_redis.write_behind_uncached_median", uncached, "ms",
         "snapshot + encode + diff of every call, what the cache saves")  # fmt: skip


async def round_trips(peer: Peer, rounds: int) -> list[float]:
    """call.request -> call.queued and call.cancel -> ended, ``rounds`` times each, in ms."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await peer.send(CallRequest())
        queued = await peer.expect(Queued)
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await peer.send(CallCancel(call_id=queued.call_id))
        while not isinstance(await peer.recv(), Ended):
            pass
        times.append((time.perf_counter() - started) * 1000)
    return times


async def terminal_round_trips(console: Console, credential: str, rounds: int) -> list[float]:
    """One terminal's round trips through ``console``."""
    async with aiohttp.ClientSession() as http:
        peer, _ = await terminal(http, as_running(console), credential)
        try:
            return await round_trips(peer, rounds)
        finally:
            await peer.close()


def in_process(template: Template, base: Path, rounds: int) -> list[float]:
    """Round trips on one console without Redis: the in-process bus."""
    shutil.copytree(template.console_dir, base / "single")
    console = Console(base / "single", heartbeat_s=5.0, extra_env=bench_env())
    credential = load_credential(template.terminal_dirs[0])
    with serving([console], os.sched_getaffinity(0)):
        return asyncio.run(terminal_round_trips(console, credential, rounds))


def forwarding(template: Template, base: Path, rounds: int) -> tuple[list[float], list[float]]:
    """Round trips on the owner and on the other instance of two sharing Redis."""
    credential = load_credential(template.terminal_dirs[0])
    with (
        running_redis(base / "redis") as redis,
        instances(template, base / "two", redis, env=bench_env()) as consoles,
    ):
        owner = wait_owner(consoles)
        other = next(c for c in consoles if c is not owner)
        on_owner = asyncio.run(terminal_round_trips(owner, credential, rounds))
        on_other = asyncio.run(terminal_round_trips(other, credential, rounds))
    return on_owner, on_other


def emit_round_trips(name: str, times: list[float], reference: str) -> None:
    """A round trip's median and p95 figures."""
    emit(f"bus_redis.{name}_median", median(times), "ms", reference)
    emit(f"bus_redis.{name}_p95", percentile(times, 0.95), "ms", f"{len(times)} round trips")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="request+cancel per terminal")
    parser.add_argument("--calls", type=int, default=2000, help="waiting calls written behind")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.calls < 1:
        parser.error("--rounds and --calls must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Print the write-behind figures, then the round trips beside their references."""
    args = parse_args(argv)
    write_behind(args.calls)
    with tempfile.TemporaryDirectory() as tmp:
        template = make_template(Path(tmp) / "template")
        local = in_process(template, Path(tmp), args.rounds)
        on_owner, on_other = forwarding(template, Path(tmp), args.rounds)
    print(f"round trips: one terminal, {args.rounds} x (request -> queued, cancel -> ended), "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    emit_round_trips("in_process", local, "one console, no Redis: the default deployment")
    emit_round_trips("owner", on_owner,
                     f"the in-process bus in this run: {median(local):.2f} ms")  # fmt: skip
    emit_round_trips("forwarded", on_other,
                     f"the owner's own in this run: {median(on_owner):.2f} ms; "
                     f"in-process {median(local):.2f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
