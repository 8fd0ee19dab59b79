"""Which boot partition this boot came from, and whether it is the firmware's try boot.

On a Pi the firmware says so in the device tree: ``chosen/bootloader/partition`` and
``chosen/bootloader/tryboot``, each a big-endian u32. Under QEMU there is no Pi
firmware; the test harness plays it and puts ``bt.boot_partition=N bt.tryboot=0|1`` on
the kernel command line, which therefore wins when present.

Slots: bootname ``A`` is boot partition 2 (root p4), ``B`` is partition 3 (root p5).
The paths come from the environment so tests (and the backend run by RAUC in them) can
point at temp files: ``BT_BOOT_CONFIG_DIR``, ``BT_CMDLINE``, ``BT_DEVICE_TREE_DIR`` (the
device tree's root, ``/proc/device-tree``) and ``BT_BOOT_ID_FILE``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from appliance.update.errors import BootConfigError

SLOTS: dict[str, int] = {"A": 2, "B": 3}
"""RAUC bootname -> boot partition number."""


def slot_of(partition: int) -> str:
    """The bootname whose boot partition is ``partition``."""
    for name, number in SLOTS.items():
        if number == partition:
            return name
    raise BootConfigError(f"boot partition {partition} is neither slot A (2) nor slot B (3)")


def partition_of(slot: str) -> int:
    """The boot partition of bootname ``slot``."""
    try:
        return SLOTS[slot]
    except KeyError:
        raise BootConfigError(f"unknown slot {slot!r}: expected A or B") from None


@dataclass(frozen=True)
class BootPaths:
    """Where the boot facts live; all injectable through the environment."""

    boot_config: Path = Path("/boot/config")
    cmdline: Path = Path("/proc/cmdline")
    device_tree: Path = Path("/proc/device-tree")
    boot_id: Path = Path("/proc/sys/kernel/random/boot_id")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BootPaths:
        """The defaults, overridden by the ``BT_*`` variables named in the module docstring."""
        env = os.environ if environ is None else environ
        base = cls()
        return cls(
            boot_config=Path(env.get("BT_BOOT_CONFIG_DIR", base.boot_config)),
            cmdline=Path(env.get("BT_CMDLINE", base.cmdline)),
            device_tree=Path(env.get("BT_DEVICE_TREE_DIR", base.device_tree)),
            boot_id=Path(env.get("BT_BOOT_ID_FILE", base.boot_id)),
        )

    @property
    def autoboot(self) -> Path:
        """autoboot.txt on the config partition."""
        return self.boot_config / "autoboot.txt"

    @property
    def flag(self) -> Path:
        """The file that asks the QEMU harness for a try boot (harmless on a Pi)."""
        return self.boot_config / "tryboot.flag"

    @property
    def states(self) -> Path:
        """The backend's slot states (bad marks, the pending try)."""
        return self.boot_config / "bt-slots.json"


@dataclass(frozen=True)
class BootInfo:
    """The partition this boot came from and whether it was the one-shot try boot."""

    partition: int
    tryboot: bool

    @property
    def slot(self) -> str:
        """The booted slot's bootname."""
        return slot_of(self.partition)


def _from_cmdline(text: str) -> BootInfo | None:
    values = dict(
        word.split("=", 1) for word in text.split() if word.startswith("bt.") and "=" in word
    )
    raw = values.get("bt.boot_partition")
    if raw is None:
        return None
    try:
        partition = int(raw)
    except ValueError:
        raise BootConfigError(
            f"kernel command line: bt.boot_partition={raw!r} is not a number"
        ) from None
    return BootInfo(partition, values.get("bt.tryboot", "0") == "1")


def _read_u32(path: Path) -> int:
    data = path.read_bytes()
    if len(data) != 4:
        raise BootConfigError(f"{path}: expected a 4-byte big-endian number, got {len(data)} bytes")
    return int.from_bytes(data, "big")


def read_boot_info(paths: BootPaths) -> BootInfo:
    """This boot's partition and try-boot flag: ``bt.*`` on the command line, else the DT."""
    try:
        found = _from_cmdline(paths.cmdline.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        found = None
    if found is not None:
        return found
    node = paths.device_tree / "chosen" / "bootloader"
    try:
        partition = _read_u32(node / "partition")
    except OSError:
        raise BootConfigError(
            f"cannot tell which partition booted: no bt.boot_partition= in {paths.cmdline} "
            f"and no {node / 'partition'}"
        ) from None
    try:
        tryboot = _read_u32(node / "tryboot") == 1
    except OSError:
        tryboot = False  # older firmware writes no tryboot node: it cannot have try-booted
    return BootInfo(partition, tryboot)


def read_boot_id(paths: BootPaths) -> str:
    """The kernel's random id of this boot (changes at every boot)."""
    try:
        return paths.boot_id.read_text(encoding="ascii").strip()
    except OSError as err:
        raise BootConfigError(f"cannot read the boot id from {paths.boot_id}: {err}") from err


BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
"""The kernel's id of this boot: a new one at every power-on."""


def current_boot_id(path: Path = BOOT_ID) -> str:
    """This boot's id, or "" where there is none to read (tests, containers)."""
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ""
