"""The RAUC backend run as RAUC runs it (a subprocess per call), with the firmware simulated.

``Machine`` plays the Pi firmware the way the QEMU harness does: at each boot it consumes
``tryboot.flag`` and boots ``[tryboot]`` once, otherwise ``[all]``, and tells the system
through ``bt.boot_partition=N bt.tryboot=0|1`` and a fresh boot id.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from appliance.update import autoboot

BACKEND = Path(sys.executable).parent / "bt-tryboot"
AUTOBOOT = (
    "# A/B\n[all]\ntryboot_a_b=1\nboot_partition=2\nmax_usb_current=1\n"
    "[tryboot]\nboot_partition=3\n"
)


class Machine:
    """A config partition, a kernel command line and a boot id in a temp dir."""

    def __init__(self, root: Path) -> None:
        self.config = root / "config"
        self.config.mkdir()
        (self.config / "autoboot.txt").write_text(AUTOBOOT)
        self.cmdline = root / "cmdline"
        self.boot_id = root / "boot_id"
        self.device_tree = root / "device-tree"
        self.power_on()

    @property
    def flag(self) -> Path:
        return self.config / "tryboot.flag"

    def autoboot(self) -> autoboot.Autoboot:
        return autoboot.load(self.config / "autoboot.txt")

    def power_on(self) -> tuple[int, bool]:
        """Boot like the firmware (and harness): the flag means [tryboot] once."""
        tryboot = self.flag.exists()
        if tryboot:
            self.flag.unlink()
        config = self.autoboot()
        partition = config.partition("tryboot" if tryboot else "all")
        assert partition is not None
        self.cmdline.write_text(
            f"console=ttyAMA0 root=/dev/vda4 bt.boot_partition={partition} "
            f"bt.tryboot={int(tryboot)} quiet\n"
        )
        self.boot_id.write_text(f"{uuid.uuid4()}\n")
        return partition, tryboot

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(
            os.environ,
            BT_BOOT_CONFIG_DIR=str(self.config),
            BT_CMDLINE=str(self.cmdline),
            BT_DEVICE_TREE_DIR=str(self.device_tree),
            BT_BOOT_ID_FILE=str(self.boot_id),
        )
        return subprocess.run(
            [str(BACKEND), *args], env=env, capture_output=True, text=True, timeout=30, check=False
        )

    def ask(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        assert "\n" not in done.stdout.strip()
        return done.stdout.strip()

    def do(self, *args: str) -> None:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def rauc_install_into_b(machine: Machine) -> None:
    """What ``rauc install`` asks of the backend: target bad, write it, make it primary."""
    machine.do("set-state", "B", "bad")
    assert machine.ask("get-state", "B") == "bad"
    machine.do("set-primary", "B")


def test_update_confirmed_becomes_the_default(machine: Machine) -> None:
    assert machine.ask("get-current") == "A"
    assert machine.ask("get-primary") == "A"
    assert machine.ask("get-state", "A") == "good"
    assert machine.ask("get-state", "B") == "good"

    rauc_install_into_b(machine)
    assert machine.flag.exists()
    config = machine.autoboot()
    assert (config.partition("all"), config.partition("tryboot")) == (2, 3)
    assert machine.ask("get-primary") == "B"
    assert machine.ask("get-state", "B") == "good"

    assert machine.power_on() == (3, True)
    assert not machine.flag.exists()  # the harness consumed it
    assert machine.ask("get-current") == "B"
    assert machine.ask("get-primary") == "A"  # not committed: the next boot would be A

    machine.do("set-state", "B", "good")  # rauc status mark-good
    config = machine.autoboot()
    assert config.partition("all") == 3
    assert machine.ask("get-primary") == "B"
    assert not machine.flag.exists()
    # every line the backend does not own is still there
    assert "# A/B" in (machine.config / "autoboot.txt").read_text()
    assert config.get("all", "max_usb_current") == "1"

    assert machine.power_on() == (3, False)
    assert machine.ask("get-current") == "B"
    assert machine.ask("get-primary") == "B"


def test_unconfirmed_try_boot_falls_back_to_the_old_slot(machine: Machine) -> None:
    rauc_install_into_b(machine)
    assert machine.power_on() == (3, True)  # B tried; it never confirms (hangs, power cut)
    assert machine.power_on() == (2, False)  # the firmware's next boot is [all]: A
    assert machine.ask("get-current") == "A"
    assert machine.ask("get-primary") == "A"  # the try armed in an earlier boot is spent

    machine.do("set-state", "B", "bad")
    assert machine.ask("get-state", "B") == "bad"
    assert machine.autoboot().partition("tryboot") == 2
    assert machine.power_on() == (2, False)


def test_mark_bad_in_the_try_boot_disarms_it(machine: Machine) -> None:
    rauc_install_into_b(machine)
    machine.power_on()
    machine.do("set-state", "B", "bad")  # bt-update confirm: unhealthy
    assert machine.ask("get-state", "B") == "bad"
    assert machine.ask("get-primary") == "A"
    assert not machine.flag.exists()
    assert machine.power_on() == (2, False)


def test_rollback_before_the_reboot_disarms(machine: Machine) -> None:
    machine.do("set-primary", "B")
    machine.do("set-primary", "A")  # rauc status mark-active booted
    assert not machine.flag.exists()
    assert machine.ask("get-primary") == "A"
    assert machine.autoboot().partition("tryboot") == 2
    assert machine.power_on() == (2, False)


def test_good_outside_its_try_boot_commits_nothing(machine: Machine) -> None:
    rauc_install_into_b(machine)
    machine.do("set-state", "B", "good")  # still in A's boot: B has not booted yet
    assert machine.autoboot().partition("all") == 2
    assert machine.power_on() == (3, True)


def test_the_default_slot_cannot_be_marked_bad(machine: Machine) -> None:
    done = machine.run("set-state", "A", "bad")
    assert done.returncode == 1
    assert "refusing to mark slot A bad" in done.stderr
    assert "Traceback" not in done.stderr
    assert machine.ask("get-state", "A") == "good"


def test_a_second_update_goes_the_other_way(machine: Machine) -> None:
    rauc_install_into_b(machine)
    machine.power_on()
    machine.do("set-state", "B", "good")
    machine.power_on()
    machine.do("set-state", "A", "bad")
    machine.do("set-primary", "A")
    assert machine.power_on() == (2, True)
    machine.do("set-state", "A", "good")
    assert machine.autoboot().partition("all") == 2
    assert machine.power_on() == (2, False)


def test_pi_device_tree_tells_the_booted_partition(machine: Machine) -> None:
    machine.cmdline.write_text("console=serial0,115200 root=PARTUUID=1234-05 quiet\n")
    node = machine.device_tree / "chosen" / "bootloader"
    node.mkdir(parents=True)
    (node / "partition").write_bytes((3).to_bytes(4, "big"))
    (node / "tryboot").write_bytes((1).to_bytes(4, "big"))
    assert machine.ask("get-current") == "B"
    machine.do("set-state", "B", "good")
    assert machine.autoboot().partition("all") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("get-state", "C"), "unknown slot 'C'"),
        (("set-primary", "root"), "unknown slot 'root'"),
    ],
)
def test_bad_input_is_one_clear_line(machine: Machine, args: tuple[str, ...], message: str) -> None:
    done = machine.run(*args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_broken_config_partition_is_reported(machine: Machine) -> None:
    (machine.config / "autoboot.txt").unlink()
    done = machine.run("get-primary")
    assert done.returncode == 1
    assert "autoboot.txt is missing" in done.stderr
    (machine.config / "autoboot.txt").write_text(AUTOBOOT)
    machine.cmdline.write_text("quiet\n")
    done = machine.run("get-current")
    assert done.returncode == 1
    assert "cannot tell which partition booted" in done.stderr


def test_damaged_state_file_counts_as_empty(machine: Machine) -> None:
    (machine.config / "bt-slots.json").write_text("{not json")
    assert machine.ask("get-state", "B") == "good"
    machine.do("set-state", "B", "bad")
    assert machine.ask("get-state", "B") == "bad"
