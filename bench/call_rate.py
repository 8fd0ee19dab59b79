"""Call set-ups per second a console handles: request, routing, answer, both legs' SDP.

``--pairs`` municipalities each have one caseworker page and one terminal
(:mod:`bench.lib.call_pairs`) making calls back to back for ``--duration`` seconds:
``call.request``, the offer to the caseworker, ``call.answer``, ``call.assigned`` and
``call.answered``, two ``rtc.offer`` and two ``rtc.answer`` relayed with real aiortc
SDP, hang-up, the end of wrap-up. The console (``bt-console serve``, SQLite, audit and
usage records written as in production) is pinned to one core; the clients run on the
others. A call's set-up time runs from ``call.request`` to the terminal holding both
answers.

Issue 7 compares two console instances behind a load balancer (Redis bus) with one.
That multi-instance console is being built in parallel; until it lands ``--instances``
accepts only 1, and the figure is the single instance's, which is also the reference
the two-instance run will be printed beside.

Usage: ``.venv/bin/python bench/call_rate.py [--pairs 20] [--duration 20]``

Measured on the development machine under load: 267 calls/s with 20 pairs, set-up median
54 ms and p95 171 ms, the console's core 71 % busy, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench.lib import fleet
from bench.lib.call_pairs import Pair, Tally, real_sdp
from bench.lib.figures import emit, median, percentile
from bench.lib.floods import bench_env
from bench.lib.processes import cpu_share, sample
from console.config import load_config
from tests.e2e.harness import Console

SUPPORTED_INSTANCES = (1,)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20, help="caseworker+terminal pairs")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of calling")
    parser.add_argument("--instances", type=int, default=1,
                        help="console instances (only 1 until the multi-instance console "
                             "with its Redis bus lands, issue 7)")  # fmt: skip
    parser.add_argument("--console-cpu", type=int, default=0, help="the console's core")
    args = parser.parse_args(argv)
    if args.instances not in SUPPORTED_INSTANCES:
        parser.error(
            f"--instances {args.instances}: only 1 for now; several instances need the "
            "multi-instance console (Redis bus) of issue 7, which is not merged yet"
        )
    if args.pairs < 1 or args.duration <= 0:
        parser.error("--pairs must be at least 1 and --duration positive")
    return args


async def seed(url: str, pairs: int) -> list[tuple[str, str]]:
    """Municipalities P0.. with caseworker cw0.. and one terminal each: (username, credential)."""
    await fleet.migrate(url)
    names = [f"P{n}" for n in range(pairs)]
    await fleet.add_municipalities(url, names)
    await fleet.add_caseworkers(url, [(name, f"cw{n}") for n, name in enumerate(names)])
    out = []
    for n, name in enumerate(names):
        (credential,) = await fleet.enroll_fleet(url, name, 1, prefix=f"{name}-T")
        out.append((f"cw{n}", credential))
    return out


async def measure(
    console: Console, people: list[tuple[str, str]], args: argparse.Namespace
) -> None:
    """Open every pair, call for the duration, print the figures."""
    assert console.proc is not None
    tally = Tally()
    offer_sdp, answer_sdp = await real_sdp()
    pages = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in people]
    terminals = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    pairs = [Pair(tally, offer_sdp, answer_sdp) for _ in people]
    try:
        for pair, page, (username, credential) in zip(pairs, pages, people, strict=True):
            await pair.open(page, terminals, console.url, username, fleet.PASSWORD, credential)
        before = sample(console.proc.pid)
        await asyncio.gather(*(pair.run(time.monotonic() + args.duration) for pair in pairs))
        after = sample(console.proc.pid)
        for pair in pairs:
            await pair.close()
    finally:
        for session in (*pages, terminals):
            await session.close()
    elapsed = after.wall_s - before.wall_s
    rate = tally.ended / elapsed
    print(f"call rate: {args.pairs} caseworker+terminal pairs for {elapsed:.1f} s, "
          f"{tally.ended} calls, {len(tally.errors)} errors, {args.instances} console "
          f"instance on core {args.console_cpu}")  # fmt: skip
    for error in sorted(set(tally.errors))[:5]:
        print(f"  error: {error}")
    emit("call_rate.instances", args.instances, "instances",
         "issue 7 compares two instances (Redis bus) with one; only one for now")  # fmt: skip
    emit(
        "call_rate.calls_per_s",
        rate,
        "calls/s",
        "the single instance's figure: this run; two instances to be printed beside it",
    )
    emit("call_rate.setup_median", median(tally.setups_ms), "ms",
         "call.request -> both SDP answers at the terminal, console's share only")  # fmt: skip
    emit("call_rate.setup_p95", percentile(tally.setups_ms, 0.95), "ms",
         f"with {args.pairs} calls in set-up at once")  # fmt: skip
    emit("call_rate.console_cpu", 100 * cpu_share(before, after), "%",
         "share of the console's one core while calling; 100 % = saturated")  # fmt: skip
    emit("call_rate.errors", len(tally.errors), "errors", "none expected")


def main(argv: list[str] | None = None) -> int:
    """Set up the console and the pairs, run the measurement."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        console = Console(
            Path(tmp) / "console",
            heartbeat_s=15.0,
            cpus=str(args.console_cpu),
            extra_env=bench_env(),
        )
        people = asyncio.run(seed(load_config(None, console.env).url, args.pairs))
        console.start()
        try:
            others = os.sched_getaffinity(0) - {args.console_cpu}
            os.sched_setaffinity(0, others or os.sched_getaffinity(0))
            asyncio.run(measure(console, people, args))
        finally:
            console.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
