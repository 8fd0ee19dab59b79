"""The two targets sharing the project layer: Raspberry Pi OS (the product) and Debian (CI).

Raspberry Pi's package archive cannot be reached from the build machines, so CI builds the
same layer onto Debian's arm64 root with Debian's kernel and boots it under
``qemu-system-aarch64 -M virt``. Everything but the kernel, the firmware files on the boot
partitions and the camera stack is the same.

The disk is GPT (the Pi 4 and 5 bootloaders boot GPT; rpi-image-gen's A/B layout is GPT too):

====  ==========  =====  ====================================================
part  label       fs     what
====  ==========  =====  ====================================================
1     BTCONFIG    vfat   autoboot.txt (tryboot A/B), buergerterminal.toml
2     BTBOOTA     vfat   slot A's firmware, kernel, initramfs, cmdline.txt
3     BTBOOTB     vfat   slot B's
4     btroota     ext4   slot A's root, mounted read-only under a tmpfs overlay
5     btrootb     ext4   slot B's root
6     btdata      ext4   /data: config, credential, logs, update downloads
====  ==========  =====  ====================================================

Partition UUIDs are fixed so one ``system.conf`` for RAUC and one ``cmdline.txt`` serve every
card; the initramfs picks the root that belongs to the boot partition the firmware booted
(image/layer/etc/initramfs-tools/scripts/init-premount/bt-slot-root).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

IMAGE_DIR = Path(__file__).resolve().parent

PARTUUID = {
    "config": "b7e1c0de-0001-4b54-8000-000000000001",
    "boot_a": "b7e1c0de-0002-4b54-8000-000000000002",
    "boot_b": "b7e1c0de-0003-4b54-8000-000000000003",
    "root_a": "b7e1c0de-0004-4b54-8000-000000000004",
    "root_b": "b7e1c0de-0005-4b54-8000-000000000005",
    "data": "b7e1c0de-0006-4b54-8000-000000000006",
}
DISK_UUID = "b7e1c0de-0000-4b54-8000-000000000000"
COMPATIBLE = "buergerterminal-arm64"
"""RAUC's compatible string: a bundle installs on any target built from this layer."""


@dataclass(frozen=True)
class Target:
    """What differs between the Raspberry Pi build and the CI build."""

    name: str
    mirrors: tuple[str, ...]
    packages: tuple[Path, ...]
    console: str
    """Kernel console arguments for cmdline.txt."""
    keyrings: tuple[str, ...] = ()
    quiet: bool = True
    """``quiet`` on the kernel command line (the CI target keeps boot messages for its logs)."""

    def package_list(self) -> list[str]:
        """The packages of every list file, comments and blanks dropped."""
        names: list[str] = []
        for path in self.packages:
            for line in path.read_text().splitlines():
                word = line.split("#", 1)[0].strip()
                if word:
                    names.append(word)
        return names


DEBIAN = "deb http://deb.debian.org/debian bookworm main"
DEBIAN_SECURITY = "deb http://deb.debian.org/debian-security bookworm-security main"

TARGETS = {
    "qemu": Target(
        name="qemu",
        mirrors=(DEBIAN, DEBIAN_SECURITY),
        packages=(IMAGE_DIR / "packages/base.txt", IMAGE_DIR / "packages/qemu.txt"),
        console="console=tty1 console=ttyAMA0",  # the last one is /dev/console: the serial log
        quiet=False,
    ),
    "rpi": Target(
        name="rpi",
        mirrors=(
            DEBIAN,
            DEBIAN_SECURITY,
            "deb http://archive.raspberrypi.com/debian bookworm main",
        ),
        packages=(IMAGE_DIR / "packages/base.txt", IMAGE_DIR / "packages/rpi.txt"),
        console="console=serial0,115200 console=tty1",
        keyrings=("/usr/share/keyrings/raspberrypi-archive-keyring.gpg",),
    ),
}


def cmdline(target: Target) -> str:
    """The kernel command line of both slots (the initramfs swaps the root for slot B)."""
    return (
        f"{target.console} root=PARTUUID={PARTUUID['root_a']} rootfstype=ext4 rootwait ro"
        " overlayroot=tmpfs:recurse=0 panic=10" + (" quiet" if target.quiet else "")
    )
