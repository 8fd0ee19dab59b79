"""Measure a shaped link from both ends: UDP round trips, loss and throughput.

Neither ``ping`` nor ``iperf`` is on the test machines, and both would be one more package
for CI, so this is the small part of them the link shaper's tests need. The echo and the
sink run on this side in a thread; the probe itself runs inside the namespace as
``python -m tests.link_probe <mode> <host> <port> ...`` and prints one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.netns import Netns


@dataclass(frozen=True)
class Echoes:
    """Round trips of the probes that came back (ms), and how many were sent."""

    rtts_ms: list[float]
    sent: int

    @property
    def loss(self) -> float:
        """Fraction of probes without an echo (either way lost)."""
        return 1 - len(self.rtts_ms) / self.sent

    @property
    def median_ms(self) -> float:
        """Median round trip."""
        return statistics.median(self.rtts_ms)


@contextlib.contextmanager
def udp_echo(host_ip: str) -> Iterator[int]:
    """A UDP echo on ``host_ip`` in a thread; yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host_ip, 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            sock.sendto(data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


@contextlib.contextmanager
def udp_sink(host_ip: str) -> Iterator[tuple[int, list[tuple[float, int]]]]:
    """A UDP receiver on ``host_ip`` noting (arrival, size) of every datagram."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host_ip, 0))
    sock.settimeout(0.2)
    arrivals: list[tuple[float, int]] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data = sock.recv(2048)
            except TimeoutError:
                continue
            arrivals.append((time.monotonic(), len(data)))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], arrivals
    finally:
        stop.set()
        thread.join()
        sock.close()


def _in_namespace(netns: Netns, *args: str, timeout: float) -> dict[str, object]:
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        netns.command(sys.executable, "-m", "tests.link_probe", *args),
        capture_output=True, text=True, timeout=timeout, check=True, cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def echoes(netns: Netns, *, count: int = 50, interval_s: float = 0.02) -> Echoes:
    """Send ``count`` UDP probes from the namespace to an echo on this side."""
    with udp_echo(netns.host_ip) as port:
        args = ("echo", netns.host_ip, str(port), str(count), str(interval_s))
        result = _in_namespace(netns, *args, timeout=count * interval_s + 20)
    rtts = result["rtts_ms"]
    assert isinstance(rtts, list)
    return Echoes([float(r) for r in rtts], count)


def throughput_kbit(netns: Netns, *, seconds: float = 3.0, offered_kbit: float = 2000) -> float:
    """Offer ``offered_kbit`` of 1000-byte UDP datagrams from the namespace; kbit/s received.

    Counted over the middle of the run (after the first half second), so the queue filling
    at the start does not flatter the rate."""
    with udp_sink(netns.host_ip) as (port, arrivals):
        args = ("blast", netns.host_ip, str(port), str(seconds), str(offered_kbit))
        _in_namespace(netns, *args, timeout=seconds + 20)
        time.sleep(1.0)  # the queue drains
        got = list(arrivals)
    if len(got) < 3:
        return 0.0
    start = got[0][0] + 0.5
    middle = [(t, n) for t, n in got if t >= start]
    span = middle[-1][0] - middle[0][0] if len(middle) > 1 else 0.0
    return sum(n + 28 for _, n in middle[1:]) * 8 / 1000 / span if span > 0 else 0.0


def _echo_client(host: str, port: int, count: int, interval: float) -> dict[str, object]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sent: dict[int, float] = {}
    rtts: list[float] = []
    deadline = time.monotonic() + count * interval + 3.0
    number = 0
    next_send = time.monotonic()
    while time.monotonic() < deadline and (number < count or len(rtts) < len(sent)):
        now = time.monotonic()
        if number < count and now >= next_send:
            with contextlib.suppress(PermissionError):  # a firewall drop in the namespace
                sock.sendto(struct.pack("!I", number) + b"x" * 60, (host, port))
            sent[number] = now
            number += 1
            next_send += interval
        with contextlib.suppress(BlockingIOError):
            while True:
                data = sock.recv(2048)
                (seq,) = struct.unpack("!I", data[:4])
                rtts.append((time.monotonic() - sent[seq]) * 1000)
        time.sleep(0.001)
    return {"rtts_ms": [round(r, 2) for r in rtts]}


def _blast(host: str, port: int, seconds: float, kbit: float) -> dict[str, object]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * 1000
    gap = 1028 * 8 / (kbit * 1000)
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < seconds:
        sock.sendto(payload, (host, port))
        sent += 1
        time.sleep(max(start + sent * gap - time.monotonic(), 0.0))
    return {"sent": sent}


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "echo":
        out = _echo_client(host, port, int(sys.argv[4]), float(sys.argv[5]))
    else:
        out = _blast(host, port, float(sys.argv[4]), float(sys.argv[5]))
    print(json.dumps(out))
