"""The terminal daemon as its own process (``bt-terminal run``), as it runs on a Pi.

Most end-to-end tests run the daemon on a thread of the test process so they can press
its button (tests/terminal_thread.py). A bench that measures the daemon's CPU and memory
needs it alone in a process, and so does a test that puts the terminal in a network
namespace of its own (:mod:`tests.netns`) to cut its network; its button is then the
kiosk's own intents (``POST /api/call``, ``/api/continue``), which do what the arcade
button does. In a namespace the kiosk server (127.0.0.1 there) is asked from inside it.
``terminal_in_namespace`` starts a console and such a terminal in a namespace of their own,
as the tests that cut or throttle the terminal's link need them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browser import CHROMIUM
from tests.e2e.harness import (
    BIN,
    PASSWORD,
    Console,
    chromiums,
    enroll_terminal,
    free_port,
    get_json,
    login,
    seed_console,
    source_path,
    wait_for,
)
from tests.netns import Netns, network_namespace

# Asks the kiosk server inside a namespace: method, url, JSON body or "".
_ASK = """
import sys, urllib.request
method, url, body = sys.argv[1:4]
req = urllib.request.Request(url, data=body.encode() or None, method=method,
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=5) as resp:
    sys.stdout.write(resp.read().decode())
"""


@dataclass
class TerminalProcess:
    """An enrolled terminal (credential in ``data_dir``) run as ``bt-terminal run``."""

    console: Console
    data_dir: Path
    camera_size: str = "640x480"
    camera_fps: int = 25
    kiosk_port: int = field(default_factory=free_port)
    netns: Netns | None = None
    """Run inside this network namespace; the console is then reached at its host side."""
    extra_env: dict[str, str] = field(default_factory=dict)
    """More ``BT_TERMINAL_*`` settings."""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def kiosk_url(self) -> str:
        """The kiosk page's address."""
        return f"http://127.0.0.1:{self.kiosk_port}"

    @property
    def pid(self) -> int:
        """The daemon's process id."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    def env(self) -> dict[str, str]:
        """Simulated parts (synthetic camera and microphone, mock pins), no card reader or
        printer, loopback ICE: what the end-to-end tests run, in the environment."""
        env = dict(os.environ)
        console_url = self.console.url
        ice_address = "127.0.0.1"
        if self.netns is not None:
            console_url = f"http://{self.netns.host_ip}:{self.console.port}"
            ice_address = self.netns.inner_ip
        env.update(
            BT_TERMINAL_CONSOLE_URL=console_url,
            BT_TERMINAL_DATA_DIR=str(self.data_dir),
            BT_TERMINAL_KIOSK_PORT=str(self.kiosk_port),
            BT_TERMINAL_PIN_FACTORY="mock",
            BT_TERMINAL_CAMERA="synthetic",
            BT_TERMINAL_CAMERA_SIZE=self.camera_size,
            BT_TERMINAL_CAMERA_FPS=str(self.camera_fps),
            BT_TERMINAL_AUDIO="synthetic",
            BT_TERMINAL_CARD_READER="none",
            BT_TERMINAL_PRINTER="none",
            BT_TERMINAL_ICE_HOST_ADDRESSES=ice_address,
            BT_TERMINAL_ENDED_LINGER_S="0.5",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=source_path(env),
        )
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        """Start the daemon and wait until its kiosk shows it idle (linked to the console)."""
        log = (self.data_dir / "terminal.log").open("ab")
        argv = [str(BIN / "bt-terminal"), "--log-level", "WARNING", "run"]
        self.proc = subprocess.Popen(
            argv if self.netns is None else self.netns.command(*argv),
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: self._state() == "idle", 30, 0.1, "terminal daemon idle")

    def _state(self) -> str | None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            status = self.proc.returncode
            raise RuntimeError(f"bt-terminal exited with {status}:\n{self.log_tail()}")
        try:
            return str(self.ask("GET", "/api/state")["state"])
        except OSError:
            return None

    def ask(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The kiosk API's JSON answer, asked from wherever the kiosk server listens.

        Raises OSError when it does not answer."""
        if self.netns is None:
            if method == "GET":
                return get_json(self.kiosk_url + path)
            request = urllib.request.Request(
                self.kiosk_url + path,
                data=json.dumps(body or {}).encode(),
                headers={"Content-Type": "application/json"},
                method=method,
            )
            with urllib.request.urlopen(request, timeout=5) as resp:
                text = resp.read().decode()
            return json.loads(text) if text.strip() else None
        payload = "" if body is None and method == "GET" else json.dumps(body or {})
        argv = [sys.executable, "-c", _ASK, method, self.kiosk_url + path, payload]
        done = subprocess.run(self.netns.command(*argv), capture_output=True, text=True,
                              timeout=15, check=False)  # fmt: skip
        if done.returncode != 0:
            raise OSError(f"kiosk API {method} {path}: {done.stderr.strip()[-300:]}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the daemon logged (warnings and errors), for error messages."""
        path = self.data_dir / "terminal.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def state(self) -> str | None:
        """The call state the kiosk reports (idle, queued, in-call, ended, offline)."""
        return self._state()

    def intent(self, path: str, body: dict[str, Any] | None = None) -> None:
        """POST an intent to the kiosk API, as the kiosk page does."""
        self.ask("POST", path, body or {})

    def stop(self) -> None:
        """SIGTERM (the daemon closes media and pins cleanly), SIGKILL after 15 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def terminal_in_namespace(
    base: Path,
    *,
    heartbeat_s: float = 2.0,
    console_env: dict[str, str] | None = None,
    mobile: bool = False,
) -> Iterator[tuple[Netns, Console, TerminalProcess]]:
    """A seeded console (:func:`seed_console`) on the host side of a new namespace's veth
    pair and its enrolled terminal daemon inside, both running; afterwards the namespace's
    link is restored and both are stopped. ``console_env``: more ``BT_CONSOLE_*`` settings.
    ``mobile``: the terminal is Adorf's mobile kit "Koffer Adorf" instead of the seeded
    stationary one (enrolled with ``add-terminal --mobile``, run with ``profile = mobile``)."""
    with network_namespace() as ns:
        settings = {
            "BT_CONSOLE_COOKIE_SECURE": "false",  # plain http on the veth address, not loopback
            **(console_env or {}),
        }
        console = Console(base / "console", heartbeat_s=heartbeat_s, host=ns.host_ip,
                          extra_env=settings)  # fmt: skip
        code = seed_console(console)
        extra_env: dict[str, str] = {}
        if mobile:
            added = console.cli("add-terminal", "--mobile", "--municipality", "Adorf",
                                "Koffer Adorf")  # fmt: skip
            code = added.splitlines()[-1]
            extra_env["BT_TERMINAL_PROFILE"] = "mobile"
        console.start()
        terminal = TerminalProcess(console, base / "terminal", netns=ns, extra_env=extra_env)
        try:
            enroll_terminal(console, code, base / "terminal")
            terminal.start()
            yield ns, console, terminal
        finally:
            ns.restore()
            terminal.stop()
            console.stop()


@contextlib.contextmanager
def kiosk_and_caseworker(
    ns: Netns, base: Path, console: Console, terminal: TerminalProcess
) -> Iterator[tuple[Any, Any]]:
    """The kiosk page in a Chromium inside ``ns`` (on ``idle``) and Anna's console page in
    one outside, signed in: ``(kiosk, anna)``."""
    # The console is on the veth address, not loopback: camera and microphone need a secure
    # context, which Chromium grants such an origin only when told to.
    secure = f"--unsafely-treat-insecure-origin-as-secure={console.url}"
    with chromiums(ns.wrapper(CHROMIUM, base), CHROMIUM, args=[secure]) as (inside, outside):
        kiosk = inside.new_context().new_page()
        kiosk.goto(terminal.kiosk_url + "/")
        kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
        anna = outside.new_context().new_page()
        login(anna, console.url, "anna", PASSWORD)
        yield kiosk, anna
