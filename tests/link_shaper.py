"""A shaped network namespace: delay, random loss and a rate limit, without netem.

The kernel this project is tested on (and CI's) has no ``sch_netem``: ``tc qdisc add ...
netem`` answers "Specified qdisc kind is unknown". ``tbf`` could limit a rate and nftables'
``numgen random`` could drop packets, but nothing in the kernel adds a fixed delay. So the
namespace here is joined to this side not by a veth pair but by two TUN devices, and a small
forwarder process in between is the link: it reads each IP packet from one TUN device, drops
it with the loss probability, paces it to the rate (a packet leaves when the previous one has
been "sent" at that rate; one that would wait longer than ``queue_ms`` is dropped, like tbf's
latency limit or a mobile network's buffer), holds it for the delay, and writes it to the
other device. Both directions are shaped alike and independently.

The forwarder runs as its own process (``python -m tests.link_shaper``), so its timing does
not depend on the test's own work; it reads new shapes as JSON lines on stdin and answers
``ok`` once they apply, so a test can worsen or heal the link mid-call. The namespace offers
the same ``cut``/``block_udp``/``restore`` as :mod:`tests.netns` (the nft rules match the TUN
device as they match the veth). tests/test_link_shaper.py measures that the link delivers
what it is told (ping round trips, loss counts, a UDP rate).

Needs root, ``ip``, ``nft`` and ``/dev/net/tun``.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import itertools
import json
import os
import random
import selectors
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.netns import IP, Netns, _run
from tests.netns import available as netns_available

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
_numbers = itertools.count()


@dataclass(frozen=True)
class Shape:
    """The link in each direction: ``delay_ms`` one way, ``loss`` 0..1, ``rate_kbit`` or None."""

    delay_ms: float = 0.0
    loss: float = 0.0
    rate_kbit: float | None = None
    queue_ms: float = 400.0
    """A packet that would wait longer than this for the rate is dropped (a full buffer)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss < 1.0:
            raise ValueError(f"loss {self.loss} outside 0..1")
        if self.delay_ms < 0 or (self.rate_kbit is not None and self.rate_kbit <= 0):
            raise ValueError("delay must be >= 0 and the rate > 0")


CLEAN = Shape()


def available() -> str | None:
    """Why a shaped namespace cannot be made here, or None if it can."""
    why = netns_available()
    if why is None and not Path("/dev/net/tun").exists():
        why = "/dev/net/tun is missing"
    return why


# --- the forwarder (runs in its own process) ----------------------------------------------


def _open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class _Direction:
    """One way of the link: loss, pacing and delay for the packets read from ``source``."""

    def __init__(self, source: int, target: int) -> None:
        self.source, self.target = source, target
        self.busy_until = 0.0

    def schedule(self, now: float, size: int, shape: Shape, rng: random.Random) -> float | None:
        """When a packet of ``size`` bytes read now leaves, or None if it is dropped."""
        if shape.loss and rng.random() < shape.loss:
            return None
        leave = now
        if shape.rate_kbit is not None:
            start = max(now, self.busy_until)
            if start - now > shape.queue_ms / 1000:
                return None  # the buffer is full
            self.busy_until = start + size * 8 / (shape.rate_kbit * 1000)
            leave = self.busy_until
        return leave + shape.delay_ms / 1000


def forward(host_tun: str, inner_tun: str) -> None:
    """Create both TUN devices, say ``ready``, and forward between them until stdin closes."""
    host_fd, inner_fd = _open_tun(host_tun), _open_tun(inner_tun)
    directions = {host_fd: _Direction(host_fd, inner_fd), inner_fd: _Direction(inner_fd, host_fd)}
    shape = CLEAN
    rng = random.Random()
    queue: list[tuple[float, int, int, bytes]] = []
    order = itertools.count()
    selector = selectors.DefaultSelector()
    for fd in directions:
        selector.register(fd, selectors.EVENT_READ)
    os.set_blocking(0, False)
    selector.register(0, selectors.EVENT_READ)
    pending = b""
    print("ready", flush=True)
    while True:
        timeout = None if not queue else max(queue[0][0] - time.monotonic(), 0.0)
        for key, _ in selector.select(timeout):
            fd = int(key.fd)
            if fd == 0:
                chunk = os.read(0, 4096)
                if not chunk:
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    shape = Shape(**json.loads(line))
                    print("ok", flush=True)
                continue
            direction = directions[fd]
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                leave = direction.schedule(time.monotonic(), len(packet), shape, rng)
                if leave is not None:
                    heapq.heappush(queue, (leave, next(order), direction.target, packet))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, target, packet = heapq.heappop(queue)
            with contextlib.suppress(OSError):  # the device went away: the test is over
                os.write(target, packet)


# --- the test side --------------------------------------------------------------------------


class ShapedLink:
    """A running forwarder between this side and the namespace ``netns``."""

    def __init__(self, netns: Netns, process: subprocess.Popen[str]) -> None:
        self.netns = netns
        self._process = process
        self.shape_now = CLEAN

    def shape(self, shape: Shape) -> None:
        """Apply ``shape`` to both directions from now on (waits until the forwarder has it)."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps(asdict(shape)) + "\n")
        stdin.flush()
        answer = stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"link shaper did not take the shape: {answer!r}")
        self.shape_now = shape

    def clear(self) -> None:
        """No delay, no loss, no rate limit."""
        self.shape(CLEAN)


@contextlib.contextmanager
def shaped_namespace(shape: Shape = CLEAN) -> Iterator[ShapedLink]:
    """A namespace whose only link to this side is the shaping forwarder; removed after."""
    why = available()
    if why is not None:
        raise RuntimeError(why)
    number = next(_numbers)
    tag = f"{os.getpid() % 100000}{number}"
    name, outside, inside = f"bts{tag}", f"btso{tag}", f"btsi{tag}"
    subnet = 16 + (os.getpid() + number) % 200
    host_ip, inner_ip = f"10.214.{subnet}.1", f"10.214.{subnet}.2"
    _run(IP, "netns", "add", name)
    process: subprocess.Popen[str] | None = None
    try:
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": root}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.link_shaper", outside, inside],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=root,
        )  # fmt: skip
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the link shaper did not start")
        _run(IP, "link", "set", inside, "netns", name)
        _run(IP, "addr", "add", host_ip, "peer", inner_ip, "dev", outside)
        _run(IP, "link", "set", outside, "up")
        ns = Netns(name, host_ip, inner_ip)
        _run(*ns.command(IP, "addr", "add", inner_ip, "peer", host_ip, "dev", inside))
        _run(*ns.command(IP, "link", "set", inside, "up"))
        _run(*ns.command(IP, "link", "set", "lo", "up"))
        _run(*ns.command(IP, "route", "add", "default", "dev", inside))
        link = ShapedLink(ns, process)
        link.shape(shape)
        yield link
    finally:
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        subprocess.run([IP, "netns", "del", name], capture_output=True, check=False)


if __name__ == "__main__":
    forward(sys.argv[1], sys.argv[2])
