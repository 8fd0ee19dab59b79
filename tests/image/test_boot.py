"""The CI image booted under QEMU: first boot, a power cut, a signed update, a rollback.

One card goes through a terminal's life in order, so the tests of this module depend on
each other and run in file order: a later step is meaningless when an earlier one failed.
Timeouts are generous: everything runs under software emulation of an arm64 CPU.
"""

from __future__ import annotations

import re
import time

import pytest

from image.qemu import Machine
from tests.image.conftest import BROKEN, UPDATE, Built, Bundles, Host, Releases, api

pytestmark = pytest.mark.timeout(3600)

BOOT_S = 900.0
"""From power-on to SSH, under emulation on two cores (measured: see the note)."""


def sh(vm: Machine, command: str) -> str:
    """Run a shell command in the guest; its stdout, or a failure with stderr."""
    done = vm.ssh(command)
    assert done.returncode == 0, f"{command!r} failed ({done.returncode}): {done.stderr}"
    return done.stdout.strip()


def wait_ready(vm: Machine, timeout_s: float = 600) -> float:
    """Wait until bt-terminal is active (READY=1); seconds from kernel start to READY."""
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        state = sh(vm, "systemctl show -p ActiveState,ActiveEnterTimestampMonotonic bt-terminal")
        fields = dict(line.split("=", 1) for line in state.splitlines())
        if fields.get("ActiveState") == "active":
            return int(fields["ActiveEnterTimestampMonotonic"]) / 1e6
        time.sleep(2)
    journal = vm.ssh("journalctl -b -u bt-terminal -u bt-firstboot --no-pager | tail -60").stdout
    raise AssertionError(f"bt-terminal never READY ({state}):\n{journal}")


def system_state(vm: Machine) -> str:
    """``systemctl is-system-running`` once boot has finished; failed units named."""
    state = vm.ssh("systemctl is-system-running --wait", timeout_s=600).stdout.strip()
    if state != "running":
        failed = vm.ssh("systemctl --failed --no-legend --plain").stdout
        return f"{state}: {failed}"
    return state


def online(host: Host) -> bool:
    """Whether the console's fleet view shows the terminal online."""
    fleet = api(host.console, host.token, "GET", "/api/v1/fleet")
    return any(t["online"] for t in fleet["terminals"])


def wait_online(host: Host, timeout_s: float = 120) -> None:
    """Wait until the fleet view shows the terminal online."""
    deadline = time.monotonic() + timeout_s
    while not online(host):
        assert time.monotonic() < deadline, "the terminal never showed online in the fleet view"
        time.sleep(1)


def test_first_boot_imports_enrolls_and_runs_read_only(
    built: Built, host: Host, machine: Machine
) -> None:
    started = time.monotonic()
    choice = machine.boot()
    assert (choice.partition, choice.tryboot) == (2, False)
    machine.wait_ssh(BOOT_S)
    ready_s = wait_ready(machine)
    print(f"\nfirst boot: kernel start to READY {ready_s:.1f} s "
          f"(power-on to SSH {time.monotonic() - started:.0f} s)")  # fmt: skip
    assert system_state(machine) == "running"

    # the boot partition's config was imported once, and the code is gone from the card
    imported = sh(machine, "cat /data/config/imported.json")
    assert '"terminal_id"' in imported
    assert sh(machine, "grep -c 10.0.2.2 /data/config/terminal.toml") == "1"
    boot_file = sh(machine, "cat /boot/config/buergerterminal.toml")
    assert host.code not in boot_file and "enrollment_code" not in boot_file
    assert sh(machine, "readlink -f /etc/localtime").endswith("Europe/Berlin")
    wait_online(host)

    # read-only root under a tmpfs overlay; the data partition is writable
    assert sh(machine, "findmnt -n -o FSTYPE /") == "overlay"
    assert re.match(r"ro\b", sh(machine, "findmnt -n -o OPTIONS /media/root-ro"))
    assert sh(machine, "findmnt -n -o FSTYPE /data") == "ext4"

    # both watchdogs: systemd on the hardware watchdog, and the appliance's own
    assert sh(machine, "cat /sys/class/watchdog/watchdog0/state") == "active"
    assert sh(machine, "systemctl show -p RuntimeWatchdogUSec --value") == "14s"
    assert sh(machine, "systemctl show -p WatchdogUSec --value bt-terminal") == "30s"

    # identity and network policy
    assert sh(machine, "cat /etc/machine-id") != ""
    assert "policy drop" in sh(machine, "nft list chain inet filter input")
    assert sh(machine, "passwd -S root").split()[1] == "L"


def test_pulling_the_plug_loses_nothing_confirmed(host: Host, machine: Machine) -> None:
    sh(machine, "echo kept > /data/confirmed && sync")
    sh(machine, "echo gone > /etc/volatile && sync")
    sh(machine, "logger -t bt-test 'before the power cut' && journalctl --sync")
    credential = sh(machine, "sha256sum /data/terminal/credential")
    machine_id = sh(machine, "cat /etc/machine-id")
    machine.pull_plug()

    machine.boot()
    machine.wait_ssh(BOOT_S)
    ready_s = wait_ready(machine)
    print(f"\nafter the power cut: kernel start to READY {ready_s:.1f} s")
    assert system_state(machine) == "running"
    assert sh(machine, "cat /data/confirmed") == "kept"
    assert machine.ssh("test -e /etc/volatile").returncode == 1  # the overlay forgot it
    assert sh(machine, "sha256sum /data/terminal/credential") == credential
    assert sh(machine, "cat /etc/machine-id") == machine_id
    # the journal of the boot before is kept on the data partition
    assert sh(machine, "journalctl -b -1 -t bt-test -o cat --no-pager") == "before the power cut"
    firstboot = sh(machine, "journalctl -b -u bt-firstboot --no-pager -o cat")
    assert "already set up" in firstboot  # the import happened once, at the first boot
    wait_online(host)


def committed_slot(vm: Machine) -> str:
    """The ``[all]`` section of autoboot.txt: the slot the firmware boots without tryboot."""
    return sh(vm, "sed -n '/\\[all\\]/,/\\[/p' /boot/config/autoboot.txt")


def install_from_console(host: Host, machine: Machine, url: str, version: str) -> float:
    """Set the municipality's update location and wait for the terminal's reboot into it.

    The terminal downloads and installs on its own; the reboot into the try boot ends QEMU
    (``-no-reboot``). Returns the seconds from the console's offer to the reboot.
    """
    started = time.monotonic()
    api(host.console, host.token, "PUT", "/api/v1/fleet/update", {"url": url, "version": version})
    code = machine.wait_exit(1800)
    assert code == 0, f"QEMU exited with {code}:\n{machine.log()[-3000:]}"
    return time.monotonic() - started


def test_signed_update_is_tried_and_confirmed(
    host: Host, machine: Machine, bundles: Bundles, releases: Releases
) -> None:
    taken = install_from_console(host, machine, f"{bundles.base}/{releases.update.name}", UPDATE)
    print(f"\nupdate: offer to reboot {taken:.0f} s")
    choice = machine.boot()
    assert (choice.partition, choice.tryboot) == (3, True)  # slot B, once
    machine.wait_ssh(BOOT_S)
    wait_ready(machine)
    assert sh(machine, "cat /etc/buergerterminal/version") == UPDATE
    deadline = time.monotonic() + 300
    while "boot_partition=3" not in committed_slot(machine):
        assert time.monotonic() < deadline, "the new slot was never confirmed"
        time.sleep(2)
    assert "RAUC_BOOT_PRIMARY='rootfs.1'" in sh(machine, "rauc status --output-format=shell")
    assert sh(machine, "cat /data/confirmed") == "kept"  # data survives updates
    wait_online(host)
    fleet = api(host.console, host.token, "GET", "/api/v1/fleet")
    assert [t["software"] for t in fleet["terminals"]] == [f"bt-terminal/{UPDATE}"]


def test_broken_update_rolls_back(
    host: Host, machine: Machine, bundles: Bundles, releases: Releases
) -> None:
    install_from_console(host, machine, f"{bundles.base}/{releases.broken.name}", BROKEN)
    choice = machine.boot()
    assert (choice.partition, choice.tryboot) == (2, True)  # slot A, once
    # slot A's new root has no init: the initramfs gives up, panic=10 reboots, QEMU exits
    machine.wait_exit(900)
    assert "Kernel panic" in machine.log() or "No init found" in machine.log()

    choice = machine.boot()
    assert (choice.partition, choice.tryboot) == (3, False)  # back to the confirmed slot B
    machine.wait_ssh(BOOT_S)
    wait_ready(machine)
    assert sh(machine, "cat /etc/buergerterminal/version") == UPDATE
    assert "boot_partition=3" in committed_slot(machine)
    assert sh(machine, "cat /data/confirmed") == "kept"
    wait_online(host)
