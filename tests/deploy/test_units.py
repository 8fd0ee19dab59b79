"""The systemd units: hardening properties checked by parsing, and `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value (unit files may repeat a key)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    values = unit[section].get(key, [])
    assert len(values) == 1, f"[{section}] {key}: {values}"
    return values[0]


def test_terminal_unit_is_notify_watchdog_and_hardened() -> None:
    unit = parse_unit(UNITS / "bt-terminal.service")
    service = {k: one(unit, "Service", k) for k in unit["Service"] if k != "Environment"}
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "30"
    assert service["User"] == "bt-terminal"
    assert set(service["SupplementaryGroups"].split()) == {
        "gpio", "video", "audio", "render", "input", "plugdev", "lp"
    }  # fmt: skip
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "bt-terminal"
    for key in ("ProtectHome", "PrivateTmp", "NoNewPrivileges"):
        assert service[key] == "yes", key
    assert set(service["RestrictAddressFamilies"].split()) == {
        "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"
    }  # fmt: skip
    assert service["Restart"] == "always"
    assert float(service["RestartSec"]) > 0
    assert int(one(unit, "Unit", "StartLimitBurst")) > 1
    assert int(one(unit, "Unit", "StartLimitIntervalSec")) > 0
    assert "User" not in service or service["User"] != "root"


def test_kiosk_unit_runs_cage_and_chromium_on_the_local_page() -> None:
    unit = parse_unit(UNITS / "bt-kiosk.service")
    exec_start = one(unit, "Service", "ExecStart")
    assert exec_start.startswith("/usr/bin/cage ")
    assert "/usr/bin/chromium --kiosk" in exec_start
    assert exec_start.endswith(" http://127.0.0.1:8081/")
    assert one(unit, "Service", "Restart") == "always"
    assert "PULSE_SINK=echo-cancel-sink" in unit["Service"]["Environment"]
    assert one(unit, "Service", "User") == "bt-kiosk"


def analyze(paths: list[Path]) -> list[str]:
    """Problems `systemd-analyze verify` reports, minus binaries absent on this machine."""
    exe = shutil.which("systemd-analyze")
    assert exe, "systemd-analyze missing: install Debian's systemd package (Makefile)"
    done = subprocess.run(
        [exe, "verify", "--man=no", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if line.strip() and "is not executable" not in line]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # The image installs /opt/buergerterminal and cage; this machine has neither, which is
    # the only complaint verify may have. Everything else (unknown keys, bad values) fails.
    assert analyze(sorted(UNITS.glob("*.service"))) == []


def test_verify_catches_a_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "bad.service"
    bad.write_text("[Service]\nType=notfy\nWatchdogSecs=30\nExecStart=/bin/true\n")
    problems = analyze([bad])
    assert any("WatchdogSecs" in p for p in problems), problems
    assert any("notfy" in p for p in problems), problems


@pytest.mark.parametrize("name", ["bt-terminal.service", "bt-kiosk.service", "bt-console.service"])
def test_every_unit_has_a_description_and_install_target(name: str) -> None:
    unit = parse_unit(UNITS / name)
    assert one(unit, "Unit", "Description")
    assert one(unit, "Install", "WantedBy")
