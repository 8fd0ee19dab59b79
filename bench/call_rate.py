"""Call set-ups per second across two console instances, beside one instance in the same run.

``--pairs`` municipalities each have one caseworker page and one terminal
(:mod:`bench.lib.call_pairs`) making calls back to back for ``--duration`` seconds:
``call.request``, the offer to the caseworker, ``call.answer``, ``call.assigned`` and
``call.answered``, two ``rtc.offer`` and two ``rtc.answer`` relayed with real aiortc
SDP, hang-up, the end of wrap-up. A call's set-up time runs from ``call.request`` to
the terminal holding both answers. Audit and usage records are written as in production.

Issue 7 compares several console instances behind a load balancer with one. Each run
measures, one after the other on fresh databases (:mod:`bench.lib.deployment`):

- ``one_instance``: one ``bt-console serve`` (in-process bus), the reference;
- ``two_instances``: two sharing Redis, every terminal on the instance owning the calls,
  every caseworker on the other, so each call's caseworker half crosses Redis both ways;
- ``two_instances_mixed``: as a load balancer spreads sockets, pair ``n``'s terminal on
  instance ``n % 2`` and its caseworker on ``n // 2 % 2``: the four placements equally.

All on PostgreSQL (``--database``), what several instances need in production, so the
only difference between the figures is the second instance and its bus. Instance ``n``
runs pinned to core ``--console-cpus[n]``; the clients run on the cores left, or on all
when none is (a 2-core machine: the clients share the second instance's core).

Usage: ``.venv/bin/python bench/call_rate.py [--pairs 20] [--duration 20] [--instances 1,2]
[--layouts split,mixed] [--database postgresql]``

Measured on the development machine (2 cores shared with an ARM emulator and other work,
load average 3-7), four runs of 20 pairs for 20 s on PostgreSQL: one instance 77-162
calls/s (set-up median 105-202 ms, its core 49-84 % busy: it waits on the database);
two instances split 65-119 calls/s, mixed 111-147 calls/s (0.7-1.9 times one instance's),
the owner's core 34-82 % busy, the other's 16-53 %, redis-server 1-2 % of a core. With
only two cores the clients and PostgreSQL share the instances' cores, so the spread is
the machine's load as much as the console's. In one run the split phase stalled (37
errors: closed terminal sockets, "not_answered", "no such call of yours").
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench.lib import fleet
from bench.lib.call_pairs import Pair, Tally, real_sdp
from bench.lib.deployment import DATABASES, Deployment, databases, deployed
from bench.lib.figures import emit, median, percentile
from bench.lib.processes import Sample, cpu_share, sample
from bench.lib.report import console_warnings, emit_core_share, show_failures
from tests.e2e.harness import Console

LAYOUTS = ("split", "mixed")


@dataclass(frozen=True)
class Phase:
    """One measured deployment: how many instances, where the sockets go."""

    name: str
    instances: int
    layout: str  # "single", "split" or "mixed"

    def placements(self, deployment: Deployment, pairs: int) -> list[tuple[Console, Console]]:
        """For each pair: the instance its caseworker page uses, the one its terminal uses."""
        owner, consoles = deployment.owner, deployment.consoles
        if self.layout == "single":
            return [(owner, owner)] * pairs
        if self.layout == "split":
            other = deployment.others[0]
            return [(other, owner)] * pairs
        return [(consoles[n // 2 % 2], consoles[n % 2]) for n in range(pairs)]


def phases(instances: list[int], layouts: list[str]) -> list[Phase]:
    """The phases the command line asks for, the reference (one instance) first."""
    found = [Phase("one_instance", 1, "single")] if 1 in instances else []
    if 2 in instances:
        found += [Phase("two_instances" + ("" if layout == "split" else f"_{layout}"), 2, layout)
                  for layout in LAYOUTS if layout in layouts]  # fmt: skip
    return found


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20, help="caseworker+terminal pairs")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of calling")
    parser.add_argument("--instances", default="1,2", help="instance counts: 1 and/or 2")
    parser.add_argument("--layouts", default=",".join(LAYOUTS),
                        help="with 2 instances: split (terminals on one, caseworkers on the "
                             "other) and/or mixed (spread as by a load balancer)")  # fmt: skip
    parser.add_argument("--database", choices=DATABASES, default="postgresql")
    parser.add_argument("--console-cpus", default="0,1", help="instance n's core: the n-th")
    args = parser.parse_args(argv)
    try:
        args.instances = _numbers(args.instances)
        args.console_cpus = _numbers(args.console_cpus)
    except ValueError:
        parser.error("--instances and --console-cpus take comma-separated whole numbers")
    args.layouts = [part.strip() for part in args.layouts.split(",") if part.strip()]
    if not args.instances or not set(args.instances) <= {1, 2}:
        parser.error(f"--instances {args.instances}: 1 and/or 2")
    if not args.layouts or not set(args.layouts) <= set(LAYOUTS):
        parser.error(f"--layouts: one or both of {', '.join(LAYOUTS)}")
    if not args.console_cpus or not set(args.console_cpus) <= os.sched_getaffinity(0):
        parser.error(f"--console-cpus: cores of {sorted(os.sched_getaffinity(0))}")
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


@dataclass
class Result:
    """What one phase measured."""

    tally: Tally
    elapsed_s: float
    cpu: list[tuple[Sample, Sample]] = field(default_factory=list)
    """Per instance (owner first), its CPU before and after the calling."""
    redis_cpu: tuple[Sample, Sample] | None = None
    warnings: list[Counter[str]] = field(default_factory=list)
    """Per instance (owner first), the warnings and errors in its log."""

    @property
    def rate(self) -> float:
        """Calls ended per second."""
        return self.tally.ended / self.elapsed_s if self.elapsed_s > 0 else math.nan


def _pids(deployment: Deployment) -> list[int]:
    consoles = [deployment.owner, *deployment.others]
    pids = [c.proc.pid for c in consoles if c.proc is not None]
    assert len(pids) == len(consoles), "every instance is running"
    return pids


async def measure(deployment: Deployment, phase: Phase, people: list[tuple[str, str]],
                  duration: float) -> Result:  # fmt: skip
    """Open every pair where the phase places it, call for the duration."""
    tally = Tally()
    offer_sdp, answer_sdp = await real_sdp()
    pages = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in people]
    terminals = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    pairs = [Pair(tally, offer_sdp, answer_sdp) for _ in people]
    places = phase.placements(deployment, len(people))
    pids = _pids(deployment)
    redis = deployment.redis.proc.pid if deployment.redis and deployment.redis.proc else None
    try:
        for pair, page, (username, credential), (at_page, at_terminal) in zip(
            pairs, pages, people, places, strict=True
        ):
            await pair.open(page, terminals, at_page.url, username, fleet.PASSWORD, credential,
                            terminal_url=at_terminal.url)  # fmt: skip
        before = [sample(pid) for pid in pids]
        redis_before = sample(redis) if redis else None
        await asyncio.gather(*(pair.run(time.monotonic() + duration) for pair in pairs))
        after = [sample(pid) for pid in pids]
        redis_after = sample(redis) if redis else None
        for pair in pairs:
            await pair.close()
    finally:
        for session in (*pages, terminals):
            await session.close()
    redis_cpu = (redis_before, redis_after) if redis_before and redis_after else None
    elapsed = after[0].wall_s - before[0].wall_s
    return Result(tally, elapsed, list(zip(before, after, strict=True)), redis_cpu)


def report(
    phase: Phase, result: Result, reference: Result | None, args: argparse.Namespace
) -> None:
    """Print one phase's figures, the two-instance ones beside the single instance's."""
    tally, name = result.tally, f"call_rate.{phase.name}"
    print(f"{phase.name}: {args.pairs} caseworker+terminal pairs ({phase.layout}) for "
          f"{result.elapsed_s:.1f} s, {tally.ended} calls, {len(tally.errors)} errors, "
          f"{args.database}, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    show_failures("error", tally.errors)
    if reference is None:
        against = (
            "the single instance: this figure"
            if phase.instances == 1
            else "one instance's figure, not measured in this run (--instances 1,2)"
        )
    else:
        against = f"one instance in this run: {reference.rate:.0f} calls/s"
    emit(f"{name}.calls_per_s", result.rate, "calls/s", against)
    if reference is not None and reference.rate > 0:
        emit(f"{name}.vs_one_instance", result.rate / reference.rate, "ratio",
             "calls/s over one instance's in this run; 2 = scaling linearly")  # fmt: skip
    setups = (f"; one instance's median {median(reference.tally.setups_ms):.0f} ms"
              if reference is not None else "")  # fmt: skip
    emit(
        f"{name}.setup_median",
        median(tally.setups_ms),
        "ms",
        f"call.request -> both SDP answers at the terminal, console's share only{setups}",
    )
    emit(f"{name}.setup_p95", percentile(tally.setups_ms, 0.95), "ms",
         f"with {args.pairs} calls in set-up at once")  # fmt: skip
    roles = ["console"] if phase.instances == 1 else ["owner", "other"]
    for role, (before, after) in zip(roles, result.cpu, strict=True):
        who = "calling" if role == "console" else f"calling ({role} instance)"
        emit_core_share(f"{name}.{role}_cpu", before, after, who)
    if result.redis_cpu is not None:
        emit(f"{name}.redis_cpu", 100 * cpu_share(*result.redis_cpu), "%",
             "share of one core redis-server used while calling (not pinned)")  # fmt: skip
    emit(f"{name}.errors", len(tally.errors), "errors", "none expected")
    for role, warnings in zip(roles, result.warnings, strict=True):
        for message, count in warnings.most_common(3):
            print(f"  {role} logged {count} x: {message}")
    emit(f"{name}.console_warnings", sum(sum(w.values()) for w in result.warnings), "lines",
         "warnings and errors in the instances' logs; none expected")  # fmt: skip


def run_phase(phase: Phase, args: argparse.Namespace, new_database: Callable[[str], str],
              workdir: Path) -> Result:  # fmt: skip
    """A fresh database, the phase's instances, the calls."""
    url = new_database(f"calls_{phase.name}")
    people = asyncio.run(seed(url, args.pairs))
    with deployed(workdir / phase.name, url, phase.instances, args.console_cpus) as deployment:
        result = asyncio.run(measure(deployment, phase, people, args.duration))
        result.warnings = [console_warnings(c) for c in (deployment.owner, *deployment.others)]
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure each phase, print its figures as soon as it is done."""
    args = parse_args(argv)
    reference: Result | None = None
    with tempfile.TemporaryDirectory() as tmp, databases(args.database, Path(tmp)) as new_db:
        for phase in phases(args.instances, args.layouts):
            result = run_phase(phase, args, new_db, Path(tmp))
            report(phase, result, reference, args)
            if phase.instances == 1:
                reference = result
    return 0


if __name__ == "__main__":
    sys.exit(main())
