"""The Raspberry Pi firmware's A/B choice, simulated for QEMU (which has no such firmware).

The Pi 4/5 bootloader reads ``autoboot.txt`` on the first FAT partition: ``[all]
boot_partition`` normally, ``[tryboot] boot_partition`` once after ``reboot "0 tryboot"``.
Under QEMU the one-shot flag is the file ``tryboot.flag`` that bt-tryboot writes beside
autoboot.txt; it is consumed here exactly as the firmware clears its flag. The kernel learns
what was chosen from ``bt.boot_partition=`` and ``bt.tryboot=`` on its command line, as on a
Pi it reads /proc/device-tree/chosen/bootloader/.

Files are read and written in the disk image with mtools (no loop devices, no mounts).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

SECTOR = 512


@dataclass(frozen=True)
class BootChoice:
    """What the firmware boots this time."""

    partition: int
    tryboot: bool
    kernel: Path
    initrd: Path
    cmdline: str


def partition_offsets(disk: Path) -> dict[int, int]:
    """Partition number -> byte offset, from the GPT (sfdisk)."""
    out = subprocess.run(
        ["sfdisk", "--json", str(disk)], capture_output=True, text=True, check=True
    ).stdout
    table = json.loads(out)["partitiontable"]
    offsets: dict[int, int] = {}
    for part in table["partitions"]:
        number = int(part["node"].rsplit(str(disk.name), 1)[-1])
        offsets[number] = int(part["start"]) * SECTOR
    return offsets


def _fat(disk: Path, offset: int) -> str:
    return f"{disk}@@{offset}"


def read_fat(disk: Path, partition: int, name: str) -> bytes | None:
    """A file from a FAT partition of the image; None when absent."""
    fat = _fat(disk, partition_offsets(disk)[partition])
    proc = subprocess.run(["mtype", "-i", fat, f"::{name}"], capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def write_fat(disk: Path, partition: int, name: str, data: bytes, scratch: Path) -> None:
    """Put a file onto a FAT partition of the image (replacing it)."""
    fat = _fat(disk, partition_offsets(disk)[partition])
    local = scratch / f"fat-{name}"
    local.write_bytes(data)
    subprocess.run(["mcopy", "-o", "-i", fat, str(local), f"::{name}"], check=True)


def delete_fat(disk: Path, partition: int, name: str) -> None:
    """Remove a file from a FAT partition of the image, if there."""
    fat = _fat(disk, partition_offsets(disk)[partition])
    subprocess.run(["mdel", "-i", fat, f"::{name}"], capture_output=True, check=False)


def autoboot_partitions(text: str) -> tuple[int, int]:
    """(``[all]`` boot_partition, ``[tryboot]`` boot_partition) of an autoboot.txt."""
    section, found = "all", {"all": 2, "tryboot": 2}
    tryboot_set = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif line.startswith("boot_partition=") and section in found:
            found[section] = int(line.split("=", 1)[1])
            tryboot_set = tryboot_set or section == "tryboot"
    if not tryboot_set:
        found["tryboot"] = found["all"]
    return found["all"], found["tryboot"]


def choose(disk: Path, scratch: Path) -> BootChoice:
    """Decide and extract what to boot, consuming a pending try boot."""
    autoboot = read_fat(disk, 1, "autoboot.txt")
    normal, trial = autoboot_partitions(autoboot.decode() if autoboot else "")
    tryboot = read_fat(disk, 1, "tryboot.flag") is not None
    if tryboot:
        delete_fat(disk, 1, "tryboot.flag")  # one shot, like the firmware's flag
    partition = trial if tryboot else normal
    files = {}
    for name in ("vmlinuz", "initrd.img", "cmdline.txt"):
        data = read_fat(disk, partition, name)
        if data is None:
            raise FileNotFoundError(f"boot partition {partition} has no {name}")
        files[name] = data
    kernel, initrd = scratch / f"vmlinuz-{partition}", scratch / f"initrd-{partition}"
    kernel.write_bytes(files["vmlinuz"])
    initrd.write_bytes(files["initrd.img"])
    cmdline = files["cmdline.txt"].decode().strip()
    cmdline += f" bt.boot_partition={partition} bt.tryboot={int(tryboot)}"
    return BootChoice(partition, tryboot, kernel, initrd, cmdline)
