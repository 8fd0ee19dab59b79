"""The namespace helper cuts and restores a terminal's network for real, and blocks UDP alone."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.netns import Netns, network_namespace

PROBE = """
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if kind == "tcp":
        with socket.create_connection((host, port), timeout=1.5) as s:
            print(s.recv(16).decode())
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(1.5)
            s.sendto(b"ping", (host, port))
            print(s.recvfrom(16)[0].decode())
except OSError as err:
    print("fail", type(err).__name__)
"""


@pytest.fixture
def ns() -> Iterator[Netns]:
    with network_namespace() as made:
        yield made


def _servers(host: str) -> tuple[int, int]:
    """A TCP server that says 'tcp' and a UDP echo that says 'udp', on this side."""
    tcp = socket.create_server((host, 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((host, 0))

    def serve_tcp() -> None:
        while True:
            conn, _ = tcp.accept()
            with conn:
                conn.sendall(b"tcp")

    def serve_udp() -> None:
        while True:
            _, peer = udp.recvfrom(16)
            udp.sendto(b"udp", peer)

    threading.Thread(target=serve_tcp, daemon=True).start()
    threading.Thread(target=serve_udp, daemon=True).start()
    return tcp.getsockname()[1], udp.getsockname()[1]


def _probe(ns: Netns, kind: str, port: int) -> str:
    done = subprocess.run(
        ns.command(sys.executable, "-c", PROBE, kind, ns.host_ip, str(port)),
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_cut_restore_and_udp_block(ns: Netns) -> None:
    tcp_port, udp_port = _servers(ns.host_ip)
    assert _probe(ns, "tcp", tcp_port) == "tcp"
    assert _probe(ns, "udp", udp_port) == "udp"
    ns.cut()
    assert _probe(ns, "tcp", tcp_port).startswith("fail")
    assert _probe(ns, "udp", udp_port).startswith("fail")
    ns.restore()
    assert _probe(ns, "tcp", tcp_port) == "tcp"
    ns.block_udp()
    assert _probe(ns, "tcp", tcp_port) == "tcp"
    assert _probe(ns, "udp", udp_port).startswith("fail")
