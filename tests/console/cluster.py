"""Several console processes sharing one Redis and one database (tests/console/test_bus_redis.py).

The consoles run as ``bt-console serve`` processes exactly as deployed (tests/e2e/harness.py),
all on one data directory (one SQLite database in WAL mode, one session secret, so a session
cookie of one instance is valid at the other, as behind a load balancer) and one
redis-server started by the test (tests/redis_server.py). The database is seeded and two
terminals are enrolled once per module into a template that each test copies.
:class:`FailoverProxy` is the load balancer: it forwards each TCP connection to the first
backend that accepts it, so a terminal reconnecting after its instance died lands on another.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.console.conftest import RunningConsole
from tests.e2e.harness import (
    PASSWORD,
    Console,
    enroll_terminal,
    free_port,
    get_json,
    seed_console,
    wait_for,
)
from tests.redis_server import RedisServer


@dataclass
class Template:
    """A seeded console data directory and two enrolled terminals' data directories."""

    console_dir: Path
    terminal_dirs: list[Path]


def make_template(base: Path) -> Template:
    """Adorf (anna, admin ada) and Bedorf (bert), two terminals in Adorf, enrolled."""
    console = Console(base / "console")
    codes = [seed_console(console)]
    console.cli("add-caseworker", "--municipality", "Adorf", "--role", "admin",
                "--display-name", "Frau Admin", "ada", password=PASSWORD)  # fmt: skip
    codes.append(console.cli("add-terminal", "--municipality", "Adorf", "Laden Adorf").split()[-1])
    console.start()
    try:
        dirs = [base / f"terminal{n}" for n in range(len(codes))]
        for code, data_dir in zip(codes, dirs, strict=True):
            enroll_terminal(console, code, data_dir)
    finally:
        console.stop()
    return Template(base / "console", dirs)


def as_running(console: Console) -> Any:
    """The shape tests/console/helpers.py's clients connect to (no in-process hub here)."""
    host = f"127.0.0.1:{console.port}"
    return RunningConsole(f"http://{host}", f"ws://{host}", None, None, host)  # type: ignore[arg-type]


def bus_of(console: Console) -> dict[str, Any]:
    """What the instance's /healthz says about the bus."""
    found: dict[str, Any] = get_json(console.url + "/healthz").get("bus", {})
    return found


def wait_owner(consoles: list[Console], timeout: float = 10) -> Console:
    """Wait until every running instance names the same owner; return the owning console."""

    def agreed() -> Console | None:
        views = [bus_of(c) for c in consoles]
        owners = {v.get("owner") for v in views}
        if len(owners) != 1 or None in owners or not all(v.get("ok") for v in views):
            return None
        return next((c for c, v in zip(consoles, views, strict=True) if v["owns_calls"]), None)

    found: Console = wait_for(agreed, timeout, 0.1, "one owner named by every instance")
    return found


@contextlib.contextmanager
def instances(
    template: Template,
    workdir: Path,
    redis: RedisServer,
    n: int = 2,
    env: dict[str, str] | None = None,
) -> Iterator[list[Console]]:
    """``n`` console processes on a copy of the template, sharing ``redis``; ``env``: more
    ``BT_CONSOLE_*`` settings."""
    data = workdir / "console"
    shutil.copytree(template.console_dir, data)
    consoles = [
        Console(data, heartbeat_s=5.0,
                extra_env={"BT_CONSOLE_REDIS_URL": redis.url, **(env or {})},
                log_name=f"console-{name}.log")
        for name in "ab"[:n]
    ]  # fmt: skip
    try:
        for console in consoles:
            console.start()
        yield consoles
    finally:
        for console in consoles:
            console.stop()


class FailoverProxy:
    """A TCP load balancer on 127.0.0.1: each connection goes to the first backend that
    accepts it, in the order given (a dead instance refuses, the next one gets it)."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._open: list[socket.socket] = []

    @property
    def url(self) -> str:
        """The console URL terminals are given."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FailoverProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = self._connect()
            if upstream is None:
                client.close()
                continue
            self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _connect(self) -> socket.socket | None:
        for port in self.backends:
            with contextlib.suppress(OSError):
                return socket.create_connection(("127.0.0.1", port), timeout=1.0)
        return None

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(None)
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
