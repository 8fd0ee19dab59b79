"""The cached base root: mmdebstrap's arm64 root with the layer's packages, as a tarball.

Installing ~600 arm64 packages under qemu-user emulation takes most of an image build
(minutes, not seconds), and the result depends only on the package lists, the mirrors and
the hooks below. So it is built once into a cache outside the repository, named by the hash
of those inputs; a changed package list builds a new one. ``BT_IMAGE_CACHE`` moves the cache
(default ``~/.cache/buergerterminal/image``).

The initramfs is not generated here: the kernel package's hook that would make one is left
out (a path-exclude), because the project layer adds its own initramfs scripts and modules
list and makes it once (image/rootfs.py); under emulation one generation with all modules
took 15 minutes. ``BT_IMAGE_BASE`` names a base tarball to use instead of the cache
(developing the layer without rebuilding the base).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

from image.targets import Target

log = logging.getLogger(__name__)

_DPKG_OPTIONS = (
    "force-confold",  # the essential hook's update-initramfs.conf stays; no conffile prompt
    "force-confdef",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/de/*",
    "path-include=/usr/share/locale/en*",
    "path-exclude=/etc/kernel/postinst.d/initramfs-tools",
)
_ESSENTIAL_HOOK = (
    'mkdir -p "$1/etc/initramfs-tools" && '
    'printf "update_initramfs=no\\nbackup_initramfs=no\\n"'
    ' > "$1/etc/initramfs-tools/update-initramfs.conf"'
)


def cache_dir() -> Path:
    """Where base roots are kept between builds."""
    default = Path.home() / ".cache/buergerterminal/image"
    return Path(os.environ.get("BT_IMAGE_CACHE", default))


def cache_key(target: Target) -> str:
    """Hash of everything the base root is made from."""
    h = hashlib.sha256()
    for part in (
        target.name,
        *target.mirrors,
        *target.keyrings,
        *target.package_list(),
        *_DPKG_OPTIONS,
        _ESSENTIAL_HOOK,
        _mmdebstrap_version(),
    ):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


def base_root(target: Target, cache: Path | None = None) -> Path:
    """The base root tarball for ``target``, built if the cache has none for its inputs."""
    forced = os.environ.get("BT_IMAGE_BASE")
    if forced:
        log.info("base root from BT_IMAGE_BASE: %s", forced)
        return Path(forced)
    where = cache or cache_dir()
    where.mkdir(parents=True, exist_ok=True)
    tar = where / f"base-{target.name}-{cache_key(target)}.tar"
    if tar.exists():
        log.info("base root from the cache: %s", tar)
        return tar
    partial = tar.with_suffix(".partial.tar")  # mmdebstrap picks its output format by suffix
    cmd = [
        "mmdebstrap",
        "--arch=arm64",
        "--variant=apt",
        "--mode=root",
        '--aptopt=Acquire::Languages "none"',
        f"--include={','.join(target.package_list())}",
        f"--essential-hook={_ESSENTIAL_HOOK}",
        *(f"--dpkgopt={opt}" for opt in _DPKG_OPTIONS),
        *(f"--keyring={k}" for k in target.keyrings),
        "bookworm",
        str(partial),
        *target.mirrors,
    ]
    log.info("building the base root (minutes under emulation): %s", tar.name)
    subprocess.run(cmd, check=True)
    partial.rename(tar)
    for old in where.glob(f"base-{target.name}-*.tar"):
        if old != tar:
            old.unlink()  # one per target: an old package list is not coming back
    return tar


def _mmdebstrap_version() -> str:
    exe = shutil.which("mmdebstrap")
    if exe is None:
        return "missing"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()
