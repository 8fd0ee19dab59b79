"""bt-kiosk.service: cage and Chromium flags of a locked-down kiosk, and its restart rules."""

from __future__ import annotations

import mmap
import shlex
import socket
import subprocess
import threading
import time

from tests.deploy.kiosk_chromium import CHROMIUM_BINARY
from tests.deploy.test_units import UNITS, one, parse_unit

UNIT = UNITS / "bt-kiosk.service"

LOCKDOWN_FLAGS = {
    "--kiosk",
    "--noerrdialogs",
    "--disable-infobars",
    "--no-first-run",
    "--disable-translate",
    "--disable-features=Translate,TouchpadOverscrollHistoryNavigation",
    "--overscroll-history-navigation=0",
    "--disable-pinch",
    "--autoplay-policy=no-user-gesture-required",
    "--hide-crash-restore-bubble",
    "--check-for-update-interval=31536000",
    "--disable-background-networking",
    "--password-store=basic",
    "--ozone-platform=wayland",
    "--user-data-dir=/run/bt-kiosk/profile",
}
# Flags that would open the kiosk up: auto-granted or faked capture (the daemon owns the
# camera), remote debugging, no sandbox, no web security, incognito (disabled by policy).
FORBIDDEN = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--auto-accept-camera-and-microphone-capture",
    "--remote-debugging",
    "--no-sandbox",
    "--disable-web-security",
    "--incognito",
    "--disable-popup-blocking",
)


def command() -> tuple[list[str], list[str]]:
    """ExecStart split into cage's part and chromium's part."""
    argv = shlex.split(one(parse_unit(UNIT), "Service", "ExecStart"))
    split = argv.index("--")
    return argv[:split], argv[split + 1 :]


def test_cage_runs_chromium_without_vt_switching() -> None:
    cage, chromium = command()
    assert cage == ["/usr/bin/cage", "-d"]  # no -s: cage refuses Ctrl+Alt+F<n>
    assert chromium[0] == "/usr/bin/chromium"
    assert chromium[-1] == "http://127.0.0.1:8081/"


def test_chromium_flags_lock_the_kiosk_down() -> None:
    _, chromium = command()
    flags = set(chromium[1:-1])
    assert flags >= LOCKDOWN_FLAGS, sorted(LOCKDOWN_FLAGS - flags)
    assert not [f for f in flags if f.startswith(FORBIDDEN)]


def test_every_flag_is_known_to_debian_chromium() -> None:
    """Chromium ignores unknown flags silently; their names must be in its binary."""
    _, chromium = command()
    names: list[str] = []
    for flag in chromium[1:-1]:
        name, _, value = flag[2:].partition("=")
        names.append(name)
        if name == "disable-features":
            names += value.split(",")
    with (
        CHROMIUM_BINARY.open("rb") as file,
        mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as binary,
    ):
        missing = [name for name in names if binary.find(name.encode()) < 0]
        # The check can fail: the flag older kiosk guides name is gone from Chromium 156.
        assert binary.find(b"disable-session-crashed-bubble") < 0
    assert missing == []


def test_restarts_forever_after_the_daemon() -> None:
    unit = parse_unit(UNIT)
    assert one(unit, "Service", "Restart") == "always"
    assert 0 < float(one(unit, "Service", "RestartSec")) <= 5
    assert one(unit, "Unit", "StartLimitIntervalSec") == "0"
    assert "bt-terminal.service" in " ".join(unit["Unit"]["Wants"]).split()
    assert "bt-terminal.service" in " ".join(unit["Unit"]["After"]).split()


def test_profile_is_fresh_on_tmpfs_at_every_start() -> None:
    unit = parse_unit(UNIT)
    assert one(unit, "Service", "RuntimeDirectory") == "bt-kiosk"
    assert "RuntimeDirectoryPreserve" not in unit["Service"]  # default: removed at stop
    env = " ".join(unit["Service"]["Environment"]).split()
    assert "PULSE_SINK=echo-cancel-sink" in env
    assert "HOME=/run/bt-kiosk" in env


def wait_command(port: int, tries: int) -> list[str]:
    """ExecStartPre as systemd would run it ($$ is a literal $), on `port`, `tries` times."""
    line = one(parse_unit(UNIT), "Service", "ExecStartPre").replace("$$", "$")
    assert "/127.0.0.1/8081)" in line and "seq 120" in line
    line = line.replace("/127.0.0.1/8081)", f"/127.0.0.1/{port})")
    return shlex.split(line.replace("seq 120", f"seq {tries}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_start_waits_for_the_kiosk_server() -> None:
    port = free_port()
    assert subprocess.run(wait_command(port, 2), timeout=30).returncode == 1
    server = socket.socket()

    def listen_later() -> None:
        time.sleep(1.0)
        server.bind(("127.0.0.1", port))
        server.listen()

    threading.Thread(target=listen_later, daemon=True).start()
    started = time.monotonic()
    try:
        assert subprocess.run(wait_command(port, 60), timeout=60).returncode == 0
        assert time.monotonic() - started >= 0.9
    finally:
        server.close()
