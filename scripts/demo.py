"""`make demo`: the whole system on one machine, from nothing.

Creates a demo municipality, a caseworker ``demo``, a stationary terminal and a
mobile kit in a fresh ``var/demo/`` (``DEMO_DIR`` names another directory),
starts the console, enrolls both simulated terminals with their one-time codes,
adds tomorrow's outpost hours (the stationary kiosk's welcome screen shows them),
starts both terminals with their kiosks, prints the addresses and stops
everything on Ctrl-C or SIGTERM. The password comes from ``DEMO_PASSWORD`` or is
generated and printed; ports from ``CONSOLE_PORT``, ``KIOSK_PORT`` and
``KIT_PORT`` (8080, 8081 and 8082). ``TERMINAL_CONFIG=path`` runs the stationary
terminal with another TOML config (real camera, card reader, ...) instead of the
simulated parts; the demo still sets the console address, data directory and
kiosk port. The kit always runs on simulated parts.
"""

from __future__ import annotations

import datetime
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MUNICIPALITY = "Musterstadt"
TERMINAL = "Rathaus Musterstadt"
KIT = "Mobiler Koffer"
OUTPOST = {
    "starts": "09:00",
    "ends": "12:00",
    "place": "Gemeindehaus Oberdorf",
    "address": "Dorfstraße 4",
}
SIMULATED = {
    # No GPIO, a synthetic camera and microphone, a fake card reader and printer.
    "BT_TERMINAL_PIN_FACTORY": "mock",
    "BT_TERMINAL_CAMERA": "synthetic",
    "BT_TERMINAL_AUDIO": "synthetic",
    "BT_TERMINAL_PRINTER": "fake",
    "BT_TERMINAL_CARD_READER": "fake",
}


def console(env: dict[str, str], *args: str) -> str:
    """Run one `bt-console` subcommand; return its stdout."""
    done = subprocess.run(
        [str(BIN / "bt-console"), *args], env=env, check=True, text=True, stdout=subprocess.PIPE
    )
    return done.stdout.strip()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    """Wait until `url` answers /healthz, or fail if the process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"demo: {url} exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:  # noqa: S310
                json.load(resp)
                return
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.2)
    raise SystemExit(f"demo: {url} did not become healthy within {seconds:.0f} s")


def start_terminal(
    command: list[str], env: dict[str, str], code: str, data_dir: Path, port: str
) -> subprocess.Popen[bytes]:
    """Enroll one terminal with its code, run it and wait until its kiosk answers."""
    env = {**env, "BT_TERMINAL_DATA_DIR": str(data_dir), "BT_TERMINAL_KIOSK_PORT": port}
    subprocess.run([*command, "enroll", "--code", code], env=env, check=True)
    proc = subprocess.Popen([*command, "run"], env=env)
    wait_healthy(f"http://127.0.0.1:{port}", proc)
    return proc


def add_outpost(console_url: str, password: str) -> str:
    """Add tomorrow's outpost hours through the admin API, signed in as demo; describe them."""
    web = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def csrf(path: str) -> str:
        with web.open(console_url + path, timeout=10) as page:
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        if found is None:
            raise SystemExit(f"demo: no sign-in form at {console_url}{path}")
        return found.group(1)

    def api(path: str, token: str, data: dict[str, object] | None = None) -> dict[str, object]:
        request = urllib.request.Request(  # noqa: S310
            console_url + path,
            data=None if data is None else json.dumps(data).encode(),
            headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        )
        with web.open(request, timeout=10) as resp:
            answer: dict[str, object] = json.load(resp)
            return answer

    form = {"username": "demo", "password": password, "csrf_token": csrf("/login")}
    web.open(console_url + "/login", urllib.parse.urlencode(form).encode(), timeout=10).close()
    token = csrf("/")
    offices = api("/api/v1/offices", token)["offices"]
    if not isinstance(offices, list) or not offices:
        raise SystemExit(f"demo: {MUNICIPALITY} has no office for the outpost hours")
    day = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    api("/api/v1/visits/outposts", token, {"office_id": offices[0]["id"], "day": day, **OUTPOST})
    return f"{day} {OUTPOST['starts']}-{OUTPOST['ends']}, {OUTPOST['place']}"


def main() -> int:
    """Set up and run the demo until interrupted."""
    console_port = os.environ.get("CONSOLE_PORT", "8080")
    kiosk_port = os.environ.get("KIOSK_PORT", "8081")
    kit_port = os.environ.get("KIT_PORT", "8082")
    password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
    var = Path(os.environ.get("DEMO_DIR") or ROOT / "var" / "demo")
    shutil.rmtree(var, ignore_errors=True)
    console_url = f"http://127.0.0.1:{console_port}"
    env = dict(os.environ)
    env.update(
        BT_CONSOLE_DATA_DIR=str(var / "console"),
        BT_TERMINAL_CONSOLE_URL=console_url,
        BT_PASSWORD=password,
        BT_CONSOLE_REQUIRE_SECOND_FACTOR="false",  # a demo account without an authenticator app
        PYTHONUNBUFFERED="1",
    )
    terminal_config = os.environ.get("TERMINAL_CONFIG", "")
    terminal = [str(BIN / "bt-terminal")]
    terminal_env = env
    if terminal_config:
        if not Path(terminal_config).is_file():
            raise SystemExit(f"demo: TERMINAL_CONFIG {terminal_config!r} is not a file")
        terminal += ["--config", terminal_config]
    else:
        terminal_env = {**env, **SIMULATED}
    kit_env = {**env, **SIMULATED, "BT_TERMINAL_PROFILE": "mobile"}
    console(env, "migrate")
    console(env, "add-municipality", MUNICIPALITY)
    # "demo" is the municipality's admin (sees the fleet, usage figures and administration);
    # "kollegin" answers calls too, so routing and transfer can be tried with two browsers.
    for user, name, role in (("demo", "Demo", "admin"), ("kollegin", "Kollegin", "caseworker")):
        console(
            env, "add-caseworker", "--municipality", MUNICIPALITY, "--display-name", name,
            "--role", role, user,
        )  # fmt: skip
    code = console(env, "add-terminal", "--municipality", MUNICIPALITY, TERMINAL).splitlines()[-1]
    kit_code = console(
        env, "add-terminal", "--mobile", "--municipality", MUNICIPALITY, KIT
    ).splitlines()[-1]

    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        procs["console"] = subprocess.Popen(
            [str(BIN / "bt-console"), "serve", "--host", "127.0.0.1", "--port", console_port],
            env=env,
        )
        wait_healthy(console_url, procs["console"])
        outpost = add_outpost(console_url, password)
        procs["terminal"] = start_terminal(
            terminal, terminal_env, code, var / "terminal", kiosk_port
        )
        kit = [str(BIN / "bt-terminal")]  # always the simulated parts, never TERMINAL_CONFIG's
        procs["kit"] = start_terminal(kit, kit_env, kit_code, var / "kit", kit_port)
        print(
            "\n"
            f"  Console (caseworker):  {console_url}   user: demo (admin) or kollegin"
            f"   password: {password}\n"
            f"  Kiosk (citizen):       http://127.0.0.1:{kiosk_port}"
            f"   welcome shows the mobile office: {outpost}\n"
            f"  Mobile kit (staff):    http://127.0.0.1:{kit_port}"
            "   sign in with the 8-digit code from the console's\n"
            '                         "Code für einen mobilen Koffer", or as demo with the'
            " password\n"
            "  Sign in to the console, press the big button on the kiosk, answer.\n"
            "  The console runs WITHOUT a second factor (demo only; production requires TOTP).\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"demo: {name} exited with code {proc.returncode}", flush=True)
                    return 1
            time.sleep(0.3)
        return 0
    finally:
        for proc in reversed(procs.values()):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs.values()):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        print("demo: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
