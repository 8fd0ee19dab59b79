"""The SD card image, assembled by genimage from the finished root (as rpi-image-gen does).

Partitions and their fixed UUIDs are described in image/targets.py. Slot B starts empty: the
first update writes it. The boot partitions differ only in ``cmdline.txt`` (their root
partition and ``rauc.slot=``); an update bundle's boot image is fixed up for its slot by the
bundle's hook (image/bundle.py).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from image.chroot import ImageBuildError
from image.targets import DISK_UUID, PARTUUID, Target, cmdline

FAT_TYPE = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
"""GPT "basic data": what the Pi bootloader looks for on a FAT boot partition."""
LINUX_TYPE = "0fc63daf-8483-4772-8e79-3d69d8477de4"
MIB = 1024 * 1024
CONFIG_MIB = 64
BOOT_MIB = 192
DATA_MIB = 1024
"""Room for a downloaded bundle (450-600 MB) beside config and logs; grown on a real card later."""

AUTOBOOT = """\
# Raspberry Pi firmware A/B boot (tryboot). bt-tryboot (appliance/update/) rewrites this file.
[all]
tryboot_a_b=1
boot_partition=2
[tryboot]
boot_partition=3
"""

CONFIG_TXT = """\
# Raspberry Pi 4 and 5
arm_64bit=1
auto_initramfs=1
kernel=kernel8.img
dtoverlay=vc4-kms-v3d
camera_auto_detect=1
display_auto_detect=1
disable_overscan=1
enable_uart=1
[pi5]
kernel=kernel_2712.img
"""


@dataclass(frozen=True)
class DiskParts:
    """What :func:`build_disk` produced."""

    disk: Path
    root_image: Path
    boot_image: Path
    root_mib: int


def slot_cmdline(target: Target, slot: str) -> str:
    """The kernel command line in slot ``A`` or ``B``'s boot partition."""
    line = cmdline(target)
    if slot == "B":
        line = line.replace(PARTUUID["root_a"], PARTUUID["root_b"])
    return f"{line} rauc.slot={slot}"


def stage_boot(root: Path, target: Target, out: Path, slot: str) -> Path:
    """A directory with slot ``slot``'s boot partition files."""
    boot = out / f"boot-{slot}"
    if boot.exists():
        shutil.rmtree(boot)
    boot.mkdir(parents=True)
    if target.name == "qemu":
        kernels = sorted((root / "boot").glob("vmlinuz-*"))
        if not kernels:
            raise ImageBuildError("no kernel in the root's /boot")
        version = kernels[-1].name.removeprefix("vmlinuz-")
        shutil.copy2(kernels[-1], boot / "vmlinuz")
        shutil.copy2(root / f"boot/initrd.img-{version}", boot / "initrd.img")
    else:
        firmware = root / "boot/firmware"
        if not firmware.is_dir():
            raise ImageBuildError("the Raspberry Pi root has no /boot/firmware")
        shutil.copytree(firmware, boot, dirs_exist_ok=True)
        (boot / "config.txt").write_text(CONFIG_TXT)
    (boot / "cmdline.txt").write_text(slot_cmdline(target, slot) + "\n")
    return boot


def _files(directory: Path) -> str:
    """genimage's vfat ``files`` list: paths relative to the output folder, stored at the root."""
    return "\n".join(f'\t\t\t"{directory.name}/{p.name}",' for p in sorted(directory.iterdir()))


def _root_mib(root: Path) -> int:
    used = subprocess.run(
        ["du", "-s", "--block-size=1M", "-x", str(root)], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    return int(math.ceil((int(used) * 1.25 + 256) / 64) * 64)


def genimage_config(root_mib: int, boot_a: Path, boot_b: Path, config_dir: Path) -> str:
    """genimage's description of the filesystems and the disk."""
    return f"""
image config.vfat {{
\tvfat {{ label = "BTCONFIG" files = {{
{_files(config_dir)}
\t\t}} }}
\tsize = {CONFIG_MIB}M
}}
image boot-A.vfat {{
\tvfat {{ label = "BTBOOTA" files = {{
{_files(boot_a)}
\t\t}} }}
\tsize = {BOOT_MIB}M
}}
image boot-B.vfat {{
\tvfat {{ label = "BTBOOTB" files = {{
{_files(boot_b)}
\t\t}} }}
\tsize = {BOOT_MIB}M
}}
image root.ext4 {{
\text4 {{ label = "btroot" use-mke2fs = true }}
\tsize = {root_mib}M
\tmountpoint = "/"
}}
image data.ext4 {{
\text4 {{ label = "btdata" use-mke2fs = true }}
\tsize = {DATA_MIB}M
\tmountpoint = "/data"
}}
image disk.img {{
\thdimage {{ partition-table-type = "gpt" disk-uuid = "{DISK_UUID}" }}
\tpartition config {{ image = "config.vfat" partition-type-uuid = "{FAT_TYPE}"
\t\tpartition-uuid = "{PARTUUID["config"]}" offset = 4M }}
\tpartition boota {{ image = "boot-A.vfat" partition-type-uuid = "{FAT_TYPE}"
\t\tpartition-uuid = "{PARTUUID["boot_a"]}" }}
\tpartition bootb {{ image = "boot-B.vfat" partition-type-uuid = "{FAT_TYPE}"
\t\tpartition-uuid = "{PARTUUID["boot_b"]}" }}
\tpartition roota {{ image = "root.ext4" partition-type-uuid = "{LINUX_TYPE}"
\t\tpartition-uuid = "{PARTUUID["root_a"]}" }}
\tpartition rootb {{ size = {root_mib}M partition-type-uuid = "{LINUX_TYPE}"
\t\tpartition-uuid = "{PARTUUID["root_b"]}" }}
\tpartition data {{ image = "data.ext4" partition-type-uuid = "{LINUX_TYPE}"
\t\tpartition-uuid = "{PARTUUID["data"]}" }}
}}
"""


def build_disk(root: Path, target: Target, out: Path) -> DiskParts:
    """Write ``out/disk.img`` (and the slot images the bundle reuses)."""
    boot_a = stage_boot(root, target, out, "A")
    boot_b = stage_boot(root, target, out, "B")
    config_dir = out / "config"
    if config_dir.exists():
        shutil.rmtree(config_dir)
    config_dir.mkdir()
    (config_dir / "autoboot.txt").write_text(AUTOBOOT)
    example = Path(__file__).resolve().parent / "buergerterminal.example.toml"
    if example.exists():
        shutil.copy2(example, config_dir / "buergerterminal.example.toml")
    data = root / "data"  # the data partition's initial folders (tmpfiles.d fixes owners)
    for sub in ("config", "terminal", "update", "rauc", "journal"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    root_mib = _root_mib(root)
    cfg = out / "genimage.cfg"
    cfg.write_text(genimage_config(root_mib, boot_a, boot_b, config_dir))
    images, tmp = out / "images", out / "genimage-tmp"
    for d in (images, tmp):
        if d.exists():
            shutil.rmtree(d)
    images.mkdir()
    _run_genimage(cfg, root, images, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return DiskParts(
        disk=images / "disk.img",
        root_image=images / "root.ext4",
        boot_image=images / "boot-A.vfat",
        root_mib=root_mib,
    )


def _run_genimage(cfg: Path, root: Path, images: Path, tmp: Path) -> None:
    # The vfat file lists are relative to --inputpath: the output folder holding boot-A/,
    # boot-B/ and config/.
    subprocess.run(
        [
            "genimage",
            f"--config={cfg}",
            f"--rootpath={root}",
            f"--outputpath={images}",
            f"--tmppath={tmp}",
            f"--inputpath={cfg.parent}",
        ],
        check=True,
    )
