"""The whole system on one machine, for end-to-end tests and benchmarks.

The console runs as its own process (`bt-console serve`), exactly as deployed, so
it can be killed and restarted. The terminal daemon runs in this process on a
background event loop, so tests can press its button through gpiozero's
MockFactory. Caseworker and kiosk pages run in Debian's Chromium with fake
camera and microphone, driven by Playwright.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.terminal_thread import terminal_in_thread

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def source_path(env: dict[str, str]) -> str:
    """``PYTHONPATH`` with this checkout first: the venv's console scripts would otherwise
    import the packages of whichever checkout the venv was installed from (a shared venv
    used from another git worktree)."""
    return os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to a running server process; SIGKILL it if it is not gone in 10 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    predicate: Callable[[], Any], timeout: float, interval: float = 0.02, what: str = ""
) -> Any:
    """Poll until `predicate` returns something truthy; return it or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


def get_json(url: str) -> Any:
    """GET a JSON document."""
    with urllib.request.urlopen(url, timeout=2) as resp:
        return json.load(resp)


@dataclass
class Console:
    """A `bt-console` with its own data directory, started and stopped as a process."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    heartbeat_s: float = 2.0
    cpus: str | None = None
    """Pin the server to these CPUs (``taskset -c``), e.g. ``"0"`` for one core (benches)."""
    proc: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    """More ``BT_CONSOLE_*`` settings (several instances: ``BT_CONSOLE_REDIS_URL``)."""
    log_name: str = "console.log"
    """Its log in ``data_dir`` (instances sharing a data directory each have their own)."""
    host: str = "127.0.0.1"
    """The address it listens on (a namespace's host side for terminals in a namespace)."""

    @property
    def url(self) -> str:
        """The console's base URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for the console's CLI and server."""
        env = dict(os.environ)
        env.update(
            BT_CONSOLE_DATA_DIR=str(self.data_dir),
            BT_CONSOLE_HEARTBEAT_S=str(self.heartbeat_s),
            BT_CONSOLE_REQUIRE_SECOND_FACTOR="false",  # the flows sign in with a password only
            PYTHONUNBUFFERED="1",
            PYTHONPATH=source_path(env),
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, password: str | None = None) -> str:
        """Run a `bt-console` subcommand and return its stdout."""
        env = self.env
        if password is not None:
            env["BT_PASSWORD"] = password
        done = subprocess.run(
            [str(BIN / "bt-console"), *args],
            env=env,
            check=True,
            text=True,
            capture_output=True,
        )
        return done.stdout.strip()

    def start(self) -> None:
        """Start serving and wait until /healthz answers."""
        log = (self.data_dir / self.log_name).open("ab")
        pinned = ["taskset", "-c", self.cpus] if self.cpus is not None else []
        serve = ["serve", "--host", self.host, "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*pinned, str(BIN / "bt-console"), *serve],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, 30, 0.05, "console /healthz")

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"console exited with {self.proc.returncode}")
        try:
            return bool(get_json(self.url + "/healthz")["status"] == "ok")
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server process (SIGKILL to simulate a crash)."""
        if self.proc is not None:
            stop_process(self.proc, sig)
        self.proc = None


PASSWORD = "correct horse battery"


def seed_console(console: Console) -> str:
    """Municipalities Adorf and Bedorf with caseworkers anna and bert, and a terminal in
    Adorf; returns the terminal's one-time enrollment code."""
    console.data_dir.mkdir(parents=True, exist_ok=True)
    console.cli("migrate")
    for municipality, username, display in (
        ("Adorf", "anna", "Frau A"),
        ("Bedorf", "bert", "Herr B"),
    ):
        console.cli("add-municipality", municipality)
        console.cli("add-caseworker", "--municipality", municipality, "--display-name", display,
                    username, password=PASSWORD)  # fmt: skip
    return console.cli("add-terminal", "--municipality", "Adorf", "Rathaus Adorf").splitlines()[-1]


def enroll_terminal(console: Console, code: str, data_dir: Path) -> None:
    """Trade the code for a credential with the real `bt-terminal enroll`."""
    env = dict(os.environ, BT_TERMINAL_DATA_DIR=str(data_dir), BT_TERMINAL_CONSOLE_URL=console.url)
    env["PYTHONPATH"] = source_path(env)
    subprocess.run([str(BIN / "bt-terminal"), "enroll", "--code", code], env=env, check=True,
                   capture_output=True)  # fmt: skip


@contextlib.contextmanager
def running_terminal(console: Console, data_dir: Path, **overrides: Any) -> Iterator[Any]:
    """The enrolled terminal daemon on a background loop, its button on MockFactory."""
    from appliance.config import Config
    from appliance.credentials import load_credential

    settings: dict[str, Any] = {
        "console_url": console.url,
        "data_dir": data_dir,
        "kiosk_port": 0,
        "pin_factory": "mock",
        "camera": "synthetic",
        "ice_host_addresses": ("127.0.0.1",),
        "ended_linger_s": 0.5,
        "hold_to_cancel_s": 1.0,
    }
    settings.update(overrides)
    config = Config(**settings)
    with terminal_in_thread(config, load_credential(config.data_dir)) as terminal:
        yield terminal


@contextlib.contextmanager
def chromium(executable: str | Path = CHROMIUM) -> Iterator[Any]:
    """A headless Debian Chromium with fake camera and microphone, via Playwright.

    ``executable`` may be a wrapper that starts it elsewhere (:meth:`tests.netns.Netns.wrapper`).
    """
    with chromiums(executable) as (browser,):
        yield browser


@contextlib.contextmanager
def chromiums(*executables: str | Path, args: Sequence[str] = ()) -> Iterator[list[Any]]:
    """One headless Chromium per executable, from one Playwright (its sync API cannot be
    started twice in a thread): e.g. a kiosk inside a namespace and a caseworker outside.
    ``args`` are added to CHROMIUM_ARGS."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browsers: list[Any] = []
        try:
            for executable in executables:
                browsers.append(pw.chromium.launch(executable_path=str(executable), headless=True,
                                                   args=[*CHROMIUM_ARGS, *args]))  # fmt: skip
            yield browsers
        finally:
            for browser in browsers:
                browser.close()


def login(page: Any, console_url: str, username: str, password: str, language: str = "de") -> None:
    """Sign a caseworker in through the console's login form; then switch the console to
    ``language`` with its own switch if the browser's language (Playwright: en-US) won."""
    page.goto(console_url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-test=login]")
    page.wait_for_selector("[data-test=call-state]")
    if page.get_attribute("html", "lang") != language:
        page.click(f"[data-test=lang-{language}]")
        page.wait_for_selector(f"html[lang={language}] [data-test=call-state]")


FRAMES_DECODED_JS = """async (pc) => {
  if (!pc) return 0;
  const stats = await pc.getStats();
  let frames = 0;
  stats.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0;
  });
  return frames;
}"""


def frames_decoded(page: Any, pc_expr: str) -> int:
    """Video frames decoded so far by the RTCPeerConnection at `pc_expr` in `page`."""
    return int(page.evaluate(f"async () => ({FRAMES_DECODED_JS})({pc_expr})"))
