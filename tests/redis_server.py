"""A real Redis for the tests: Debian's ``redis-server`` in the foreground on 127.0.0.1.

The ``redis-server`` package (Makefile APT_PACKAGES) provides the binary; the fixture starts
it with every setting on the command line and no configuration file, so nothing from
/etc/redis applies: its own free port, its own temporary directory as working directory,
no snapshots, no append-only file (a restart starts empty, as a crashed cache would), its log
beside it. :meth:`RedisServer.restart` kills it and starts a new one on the same port, for
the tests of the console surviving a Redis restart.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.harness import stop_process

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """One redis-server process; stopped and started again on the same port."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL the console's ``redis_url`` takes."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        """redis-server's log file."""
        return self.workdir / "redis.log"

    def start(self) -> None:
        """Start and wait until it answers PING."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.workdir), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", str(self.log), "--databases", "1",
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not answer PING within 10 s")
            time.sleep(0.02)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it (SIGKILL: as if it crashed, nothing saved)."""
        if self.proc is not None:
            stop_process(self.proc, sig)
        self.proc = None

    def restart(self, down_s: float = 0.0) -> None:
        """Kill it, stay away ``down_s``, start a fresh empty one on the same port."""
        self.stop(signal.SIGKILL)
        time.sleep(down_s)
        self.start()

    def answers(self) -> bool:
        """Whether it answers PING right now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextlib.contextmanager
def running_redis(workdir: Path) -> Iterator[RedisServer]:
    """A started redis-server, stopped at the end."""
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
