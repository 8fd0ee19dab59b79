"""How long the hub's routing steps take on a large console, without sockets.

1000 municipalities with one office, two queues (longest-idle and ring-all, 30 s wrap-up),
ten terminals and three caseworkers each: 10,000 terminals and 3000 pages. Two thousand
calls are requested (every caseworker then rings), twenty ticks pass (the twentieth rings
out every offer at once), and a thousand calls are answered and hung up. The hub is
synchronous, so these times are what one routing step holds the event loop.

Run: ``.venv/bin/python bench/hub_routing.py [--municipalities 1000]``
Figures (bench/lib/figures.py): microseconds per step, median and maximum.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lib.figures import emit
from console.directory import CaseworkerSpec, Directory, OfficeSpec, QueueSpec
from console.hub import CaseworkerIdentity, Hub, TerminalIdentity
from protocol.messages import Answer, CallRequest, Hangup, Message

MUNICIPALITIES = 1000
REFERENCE = "every step holds the event loop: far below the heartbeat goal, p99 < 100 ms"


class Sink:
    """A connection that drops what it is sent."""

    def send(self, message: Message) -> None:
        """Drop it."""

    def close(self, code: int, reason: str = "") -> None:
        """Nothing to close."""


def spread(name: str, samples: list[float], reference: str = REFERENCE) -> None:
    """Median and maximum of a step's times, as figures in microseconds."""
    emit(f"hub_routing.{name}.median", statistics.median(samples) * 1e6, "us", reference)
    emit(f"hub_routing.{name}.max", max(samples) * 1e6, "us", reference)


def main() -> None:
    """Build the console's state, time each step, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=MUNICIPALITIES)
    municipalities = parser.parse_args().municipalities
    if municipalities < 1:
        parser.error("--municipalities must be at least 1")
    m_range = range(municipalities)
    directory = Directory.build(
        offices=[OfficeSpec(m, m, f"Office {m}") for m in m_range],
        queues=[
            QueueSpec(
                m * 10 + q, m, m, f"Queue {q}", "ring_all" if q else "longest_idle", wrap_up_s=30
            )
            for m in m_range
            for q in range(2)
        ],
        caseworkers=[CaseworkerSpec(m * 100 + k, m, f"CW {k}") for m in m_range for k in range(3)],
    )
    now = [1000.0]
    hub = Hub(clock=lambda: now[0], directory=directory)
    terminals = []
    started = time.perf_counter()
    for n in range(10 * municipalities):
        m = n % municipalities
        who = TerminalIdentity(f"t{n}", f"T{n}", m, f"M{m}", office_id=m)
        conn = Sink()
        hub.connect_terminal(who, conn)
        terminals.append((who, conn))
    connected = time.perf_counter() - started
    pages = {}
    for spec in directory.caseworkers.values():
        conn = Sink()
        person = CaseworkerIdentity(spec.caseworker_id, spec.name, spec.municipality_id, "M")
        hub.connect_caseworker(person, conn)
        pages[spec.caseworker_id] = conn
    requests = []
    for n, (who, conn) in enumerate(terminals[: 2 * municipalities]):
        queue_id = who.municipality_id * 10 + (n // municipalities) % 2
        began = time.perf_counter()
        hub.from_terminal(who.terminal_id, conn, CallRequest(queue_id=queue_id))
        requests.append(time.perf_counter() - began)
    ticks = []
    for _ in range(20):
        now[0] += 1
        began = time.perf_counter()
        hub.tick(now[0])
        ticks.append(time.perf_counter() - began)
    waiting = len(hub._queues)
    cycles = []
    for call in list(hub._calls.values())[:municipalities]:
        m = call.terminal.municipality_id
        free = [m * 100 + k for k in range(3) if m * 100 + k not in hub._call_of_caseworker]
        began = time.perf_counter()
        hub.from_caseworker(pages[free[0]], Answer(call_id=call.call_id))
        hub.from_caseworker(pages[free[0]], Hangup(call_id=call.call_id))
        cycles.append(time.perf_counter() - began)
    print(f"{municipalities} municipalities, {len(terminals)} terminals, {len(pages)} pages")
    emit("hub_routing.connect_terminal", connected / len(terminals) * 1e6, "us", REFERENCE)
    spread("call_request", requests)
    spread("tick", ticks, f"{waiting} calls waiting; the last tick rings out every offer at once")
    spread("answer_hangup", cycles)


if __name__ == "__main__":
    main()
