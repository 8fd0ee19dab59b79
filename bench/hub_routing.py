"""How long the hub's routing steps take on a large console, without sockets.

1000 municipalities with one office, two queues (longest-idle and ring-all, 30 s wrap-up),
ten terminals and three caseworkers each: 10,000 terminals and 3000 pages. Two thousand
calls are requested (every caseworker then rings), twenty ticks pass (the twentieth rings
out every offer at once), and a thousand calls are answered and hung up. The hub is
synchronous, so these times are what one routing step holds the event loop.

Run: ``.venv/bin/python bench/hub_routing.py``
"""

from __future__ import annotations

import statistics
import time

from console.directory import CaseworkerSpec, Directory, OfficeSpec, QueueSpec
from console.hub import CaseworkerIdentity, Hub, TerminalIdentity
from protocol.messages import Answer, CallRequest, Hangup, Message

MUNICIPALITIES = 1000


class Sink:
    """A connection that drops what it is sent."""

    def send(self, message: Message) -> None:
        """Drop it."""

    def close(self, code: int, reason: str = "") -> None:
        """Nothing to close."""


def spread(samples: list[float]) -> str:
    """Median and maximum in microseconds."""
    return f"median {statistics.median(samples) * 1e6:.0f} us, max {max(samples) * 1e6:.0f} us"


def main() -> None:
    """Build the console's state, time each step, print the figures."""
    m_range = range(MUNICIPALITIES)
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
    for n in range(10 * MUNICIPALITIES):
        m = n % MUNICIPALITIES
        who = TerminalIdentity(f"t{n}", f"T{n}", m, f"M{m}", office_id=m)
        conn = Sink()
        hub.connect_terminal(who, conn)
        terminals.append((who, conn))
    connected = time.perf_counter() - started
    pages = {}
    for spec in directory.caseworkers.values():
        conn = Sink()
        who = CaseworkerIdentity(spec.caseworker_id, spec.name, spec.municipality_id, "M")
        hub.connect_caseworker(who, conn)
        pages[spec.caseworker_id] = conn
    requests = []
    for n, (who, conn) in enumerate(terminals[: 2 * MUNICIPALITIES]):
        queue_id = who.municipality_id * 10 + (n // MUNICIPALITIES) % 2
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
    for call in list(hub._calls.values())[:MUNICIPALITIES]:
        m = call.terminal.municipality_id
        free = [m * 100 + k for k in range(3) if m * 100 + k not in hub._call_of_caseworker]
        began = time.perf_counter()
        hub.from_caseworker(pages[free[0]], Answer(call_id=call.call_id))
        hub.from_caseworker(pages[free[0]], Hangup(call_id=call.call_id))
        cycles.append(time.perf_counter() - began)
    print(f"{MUNICIPALITIES} municipalities, {len(terminals)} terminals, {len(pages)} pages")
    print(f"connect a terminal: {connected / len(terminals) * 1e6:.0f} us each")
    print(f"call.request (queue, route, offers): {spread(requests)}")
    print(f"tick with {waiting} waiting calls: {spread(ticks)}")
    print(f"answer + hang up: {spread(cycles)}")
    print(
        "reference: every step holds the event loop, so it must stay far below the brief's\n"
        "heartbeat goal (p99 < 100 ms at 10,000 terminals per core); a tick that rings out\n"
        "thousands of offers at once exceeds it (see max)."
    )


if __name__ == "__main__":
    main()
