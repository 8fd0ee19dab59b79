"""bt-update confirm: commit a healthy try boot, roll back an unhealthy one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.update.boot import BootInfo
from appliance.update.confirm import Health, confirm, parse_show
from appliance.update.errors import InstallError
from tests.appliance.update.fakes import FakeSystem, show

TRY_B = BootInfo(partition=3, tryboot=True)


def run(system: FakeSystem, boot: BootInfo = TRY_B, record: Path | None = None) -> str:
    return confirm(
        boot,
        system,
        timeout_s=180,
        settle_s=10,
        poll_s=2,
        clock=system.clock,
        sleep=system.sleep,
        record=record,
        boot_id="boot-7",
    )


def test_a_normal_boot_returns_at_once() -> None:
    system = FakeSystem(lambda now: show("failed", "failed", ""))
    assert run(system, BootInfo(partition=2, tryboot=False)) == "normal"
    assert system.commands == []


def test_healthy_terminal_is_marked_good(tmp_path: Path) -> None:
    def health(now: float) -> str:
        if now < 20:
            return show("activating", "start", "")
        if now < 30:
            return show("active", "running", "offline: connecting to the console")
        return show("active", "running", "idle", restarts=1)

    system = FakeSystem(health)
    record = tmp_path / "confirm.json"
    assert run(system, record=record) == "good"
    assert system.actions() == [["rauc", "status", "mark-good"]]
    assert 40 <= system.now < 45  # healthy from 30 s, then 10 s of settling
    entry = json.loads(record.read_text())
    assert entry["slot"] == "B" and entry["outcome"] == "good"
    assert entry["boot_id"] == "boot-7"  # the installer compares it with the running boot


def test_never_healthy_is_marked_bad_and_rebooted(tmp_path: Path) -> None:
    system = FakeSystem(lambda now: show("active", "running", "offline: console unreachable"))
    record = tmp_path / "confirm.json"
    assert run(system, record=record) == "bad"
    assert system.actions() == [["rauc", "status", "mark-bad"], ["systemctl", "reboot"]]
    assert system.now == pytest.approx(180)
    assert json.loads(record.read_text())["outcome"] == "bad"


def test_a_crash_loop_never_settles() -> None:
    # READY, then a crash and restart every 8 s: healthy moments, never 10 s in a row.
    system = FakeSystem(lambda now: show("active", "running", "idle", restarts=int(now // 8)))
    assert run(system) == "bad"
    assert system.actions()[-1] == ["systemctl", "reboot"]


def test_failing_mark_bad_still_reboots() -> None:
    system = FakeSystem(lambda now: show("failed", "failed", ""), fail=["rauc status mark-bad"])
    assert run(system) == "bad"
    assert system.actions()[-1] == ["systemctl", "reboot"]


def test_failing_mark_good_is_reported_without_reboot() -> None:
    system = FakeSystem(
        lambda now: show("active", "running", "idle"), fail=["rauc status mark-good"]
    )
    with pytest.raises(InstallError, match="mark-good failed"):
        run(system)
    assert ["systemctl", "reboot"] not in system.actions()


def test_systemctl_show_is_parsed() -> None:
    health = parse_show(show("active", "running", "in call with Frau Beispiel", 2))
    assert health == Health("active", "running", "in call with Frau Beispiel", "2")
    assert health.healthy
    assert not parse_show("").healthy
    assert not parse_show(show("active", "running", "")).healthy


def test_boot_id_is_the_kernels_or_empty(tmp_path: Path) -> None:
    from appliance.update.boot import current_boot_id

    (tmp_path / "boot_id").write_text("5d1c\n")
    assert current_boot_id(tmp_path / "boot_id") == "5d1c"
    assert current_boot_id(tmp_path / "missing") == ""
    assert len(current_boot_id()) == 36  # this machine's /proc
