"""`make demo` as a user runs it: scripts/demo.py with its console, kiosk and mobile kit.

The script runs as a subprocess on free ports with its data in a temporary ``DEMO_DIR``.
Once it has printed its banner, the console and both kiosks answer /healthz, the console
lists the stationary terminal and the mobile kit, the stationary kiosk's welcome screen
carries the outpost hours the demo added, and the kit waits on its staff sign-in, where a
code from the console signs Demo in (as the banner says). SIGTERM stops it all cleanly.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ROOT, free_port, get_json, source_path, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "demo password 42"
BANNER_END = "Ctrl-C stops everything."
PORTS = ("CONSOLE_PORT", "KIOSK_PORT", "KIT_PORT")


@dataclass
class Demo:
    """The running demo: its process, its output and its three addresses."""

    proc: subprocess.Popen[bytes]
    log: Path
    console: str
    kiosk: str
    kit: str

    def output(self) -> str:
        """Everything the demo and its processes printed so far."""
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """scripts/demo.py running until its banner; killed with its processes if a test fails."""
    base = tmp_path_factory.mktemp("demo")
    ports = {name: str(free_port()) for name in PORTS}
    env = {**os.environ, **ports, "DEMO_PASSWORD": PASSWORD, "DEMO_DIR": str(base / "var")}
    env["PYTHONPATH"] = source_path(env)  # this checkout's code behind the venv's scripts
    env.pop("TERMINAL_CONFIG", None)
    log = base / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "demo.py")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to clean up after a failure
        )
    running = Demo(proc, log, *(f"http://127.0.0.1:{ports[name]}" for name in PORTS))
    try:
        wait_for(lambda: _banner(running), 90, 0.2, "the demo's banner")
        yield running
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _banner(demo: Demo) -> bool:
    if demo.proc.poll() is not None:
        raise AssertionError(f"demo exited with {demo.proc.returncode}:\n{demo.output()[-3000:]}")
    return BANNER_END in demo.output()


class SignedIn:
    """A console session of one person (cookies and the CSRF token), through urllib."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.web = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        form = {"username": username, "password": password, "csrf_token": self._csrf("/login")}
        with self.web.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=10):
            pass
        self.csrf = self._csrf("/")

    def _csrf(self, path: str) -> str:
        with self.web.open(self.base + path, timeout=10) as page:
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        assert found, f"no csrf token at {path} (not signed in?)"
        return found.group(1)

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET (or POST ``body`` to) a JSON API path."""
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json"},
        )
        with self.web.open(request, timeout=10) as resp:
            return json.load(resp)


def kiosk_post(base: str, path: str, body: dict[str, Any]) -> None:
    """Send an intent to a kiosk's local API."""
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5):
        pass


def test_banner_names_every_address(demo: Demo) -> None:
    out = demo.output()
    for url in (demo.console, demo.kiosk, demo.kit):
        assert url in out
    assert "Code für einen mobilen Koffer" in out
    assert f"password: {PASSWORD}" in out
    assert "Gemeindehaus Oberdorf" in out


def test_everything_is_healthy(demo: Demo) -> None:
    for url in (demo.console, demo.kiosk, demo.kit):
        assert get_json(url + "/healthz")["status"] == "ok", url


def test_console_has_a_terminal_and_a_kit_both_online(demo: Demo) -> None:
    admin = SignedIn(demo.console, "demo", PASSWORD)
    terminals = admin.api("/api/v1/admin/terminals")["terminals"]
    assert sorted((t["name"], t["kind"], t["enrolled"]) for t in terminals) == [
        ("Mobiler Koffer", "mobile", True),
        ("Rathaus Musterstadt", "stationary", True),
    ]

    def all_online() -> bool:
        fleet = admin.api("/api/v1/fleet")["terminals"]
        return len(fleet) == 2 and all(entry["online"] for entry in fleet)

    wait_for(all_online, 15, 0.2, "both terminals online in the fleet view")


def test_stationary_kiosk_welcomes_with_the_outpost_hours(demo: Demo) -> None:
    def welcome_with_visit() -> Any:
        state = get_json(demo.kiosk + "/api/state")
        return state["screen"] == "welcome" and state["visits"] and state

    state = wait_for(welcome_with_visit, 15, 0.2, "welcome with the outpost hours")
    assert state["profile"] == "kiosk"
    visit = state["visits"][0]
    assert (visit["place"], visit["address"]) == ("Gemeindehaus Oberdorf", "Dorfstraße 4")
    assert (visit["starts"], visit["ends"]) == ("09:00", "12:00")


def test_kit_waits_for_staff_and_takes_a_code_from_the_console(demo: Demo) -> None:
    def signin_screen() -> Any:
        state = get_json(demo.kit + "/api/state")
        return state["screen"] == "staff-signin" and state

    state = wait_for(signin_screen, 15, 0.2, "the kit's staff sign-in")
    assert state["profile"] == "mobile"
    assert state["staff"]["name"] is None

    code = SignedIn(demo.console, "demo", PASSWORD).api("/api/v1/kit-codes", {})["code"]
    assert re.fullmatch(r"\d{8}", code)
    kiosk_post(demo.kit, "/api/staff/signin", {"code": code})
    home = wait_for(
        lambda: (s := get_json(demo.kit + "/api/state"))["screen"] == "staff-home" and s,
        15, 0.2, "the kit's staff home",
    )  # fmt: skip
    assert home["staff"]["name"] == "Demo"


def test_sigterm_stops_everything(demo: Demo) -> None:
    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(timeout=15) == 0
    assert demo.output().rstrip().endswith("demo: stopped")
    for url in (demo.console, demo.kiosk, demo.kit):
        with pytest.raises(OSError):
            get_json(url + "/healthz")
