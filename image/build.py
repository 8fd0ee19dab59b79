"""``python -m image.build``: base root (cached), project layer, disk image, update bundles.

    python -m image.build --target qemu --out var/image/qemu            # disk image
    python -m image.build --target qemu --out var/image/qemu --bundle   # and a signed bundle

``make image`` builds the Raspberry Pi OS target, ``make bundle`` its update bundle; CI builds
the ``qemu`` target (image/targets.py says why). Needs root (chroot, mounts) and Debian's
mmdebstrap, genimage, qemu-user-static, rauc, dosfstools, mtools, e2fsprogs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from image.base import base_root, cache_dir
from image.bundle import make_bundle, signing_key
from image.chroot import ImageBuildError, ensure_binfmt
from image.disk import build_disk
from image.rootfs import REPO, apply_layer, extract
from image.targets import TARGETS, Target

log = logging.getLogger("image")


@dataclass
class BuildResult:
    """Where the build put things, and what it measured."""

    target: str
    version: str
    disk: str
    root_image: str
    boot_image: str
    root_mib: int
    keyring: str
    seconds: dict[str, float]
    disk_bytes: int
    disk_allocated_bytes: int
    bundle: str = ""

    def save(self, out: Path) -> None:
        """Write build.json next to the images."""
        (out / "build.json").write_text(json.dumps(asdict(self), indent=2))


def default_version() -> str:
    """``<package version>+g<commit>`` of the checkout."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"0.1.0+g{sha or 'unknown'}"


def build(target: Target, out: Path, version: str) -> BuildResult:
    """Build the disk image for ``target`` into ``out``."""
    seconds: dict[str, float] = {}
    started = time.monotonic()
    ensure_binfmt()
    out.mkdir(parents=True, exist_ok=True)
    base = base_root(target)
    seconds["base_root"] = time.monotonic() - started
    key = signing_key(cache_dir())
    wheel = _wheel(out)
    mark = time.monotonic()
    root = out / "root"
    extract(base, root)
    apply_layer(root, target, wheel, version, cache_dir() / "pip-arm64", key.ca)
    seconds["layer"] = time.monotonic() - mark
    mark = time.monotonic()
    parts = build_disk(root, target, out)
    seconds["disk"] = time.monotonic() - mark
    seconds["total"] = time.monotonic() - started
    stat = parts.disk.stat()
    result = BuildResult(
        target=target.name,
        version=version,
        disk=str(parts.disk),
        root_image=str(parts.root_image),
        boot_image=str(parts.boot_image),
        root_mib=parts.root_mib,
        keyring=str(key.ca),
        seconds=seconds,
        disk_bytes=stat.st_size,
        disk_allocated_bytes=stat.st_blocks * 512,
    )
    result.save(out)
    return result


def bundle_from_root(
    result: BuildResult,
    out: Path,
    version: str,
    change: Callable[[Path], None] | None = None,
    size_mib: int | None = None,
) -> Path:
    """A signed bundle of the built root, ``change`` applied to a copy of it first.

    ``size_mib``: the root image's size (default: the slot's).
    """
    root = out / "root"
    (root / "etc/buergerterminal/version").write_text(version + "\n")
    root_image = Path(result.root_image)
    if change is not None:
        variant = out / f"root-{version}"
        if variant.exists():
            shutil.rmtree(variant)
        subprocess.run(["cp", "-a", "--reflink=auto", str(root), str(variant)], check=True)
        change(variant)
        root = variant
    if change is not None or version != result.version:
        root_image = out / f"root-{version}.ext4"
        root_image.unlink(missing_ok=True)
        subprocess.run(
            [
                "mke2fs",
                "-q",
                "-t",
                "ext4",
                "-L",
                "btroot",
                "-d",
                str(root),
                str(root_image),
                f"{size_mib or result.root_mib}M",
            ],
            check=True,
        )
    bundle = make_bundle(
        root_image,
        Path(result.boot_image),
        version,
        signing_key(cache_dir()),
        out / f"bundle-{version}.raucb",
    )
    (out / "root/etc/buergerterminal/version").write_text(result.version + "\n")
    if change is not None:
        shutil.rmtree(root)
    return bundle


def _wheel(out: Path) -> Path:
    wheels = out / "wheel"
    if wheels.exists():
        shutil.rmtree(wheels)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
    )
    found = sorted(wheels.glob("buergerterminal-*.whl"))
    if not found:
        raise ImageBuildError("pip wheel produced no buergerterminal wheel")
    return found[0]


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m image.build", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--target", choices=sorted(TARGETS), default="rpi")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--version", default=None)
    parser.add_argument("--bundle", action="store_true", help="also build a signed update bundle")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if os.geteuid() != 0:
        print("image build: needs root (chroot and mounts)", file=sys.stderr)
        return 2
    target = TARGETS[args.target]
    out = args.out or REPO / "var/image" / target.name
    version = args.version or default_version()
    try:
        result = build(target, out, version)
        if args.bundle:
            result.bundle = str(bundle_from_root(result, out, version))
            result.save(out)
    except (ImageBuildError, subprocess.CalledProcessError) as err:
        print(f"image build failed: {err}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(result), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
