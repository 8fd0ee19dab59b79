"""Running commands inside the arm64 root on the x86 build machine (qemu-user binfmt).

``binfmt`` registers qemu-aarch64 with the fix-binary flag, so arm64 programs in the root run
without copying an emulator into it; :func:`ensure_binfmt` turns it on (root only). The
chroot gets /proc, /sys, /dev and the host's resolv.conf while commands run, and loses them
again before the root is packed, whatever happened.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

BINFMT = Path("/proc/sys/fs/binfmt_misc")


class ImageBuildError(Exception):
    """A build step failed; the message says which and why."""


def ensure_binfmt() -> None:
    """Make arm64 programs runnable here (mount binfmt_misc, enable qemu-aarch64)."""
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    if not (BINFMT / "qemu-aarch64").exists():
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], check=True)
    entry = (BINFMT / "qemu-aarch64").read_text()
    if not entry.startswith("enabled"):
        raise ImageBuildError("qemu-aarch64 binfmt is registered but disabled")


class Chroot:
    """A root directory with the host's kernel file systems mounted into it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *argv: str, env: dict[str, str] | None = None, input_text: str = "") -> str:
        """Run ``argv`` inside the root; its output, or ImageBuildError with stderr."""
        base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "HOME": "/root"}
        proc = subprocess.run(
            ["chroot", str(self.root), *argv],
            env={**base, **(env or {})},
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise ImageBuildError(
                f"in the image root: {' '.join(argv)} exited {proc.returncode}:\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
            )
        return proc.stdout

    def shell(self, script: str) -> str:
        """Run a /bin/sh script inside the root."""
        return self.run("/bin/sh", "-euc", script)


@contextlib.contextmanager
def mounted(root: Path, extra_binds: Sequence[tuple[Path, str]] = ()) -> Iterator[Chroot]:
    """/proc, /sys, /dev, resolv.conf and ``extra_binds`` (host path, path in root) mounted."""
    done: list[Path] = []
    resolv = root / "etc/resolv.conf"
    saved = resolv.read_bytes() if resolv.exists() and not resolv.is_symlink() else None
    try:
        for fstype, where in (("proc", "proc"), ("sysfs", "sys")):
            target = root / where
            target.mkdir(exist_ok=True)
            subprocess.run(["mount", "-t", fstype, fstype, str(target)], check=True)
            done.append(target)
        for host, inside in ((Path("/dev"), "dev"), *extra_binds):
            target = root / inside.lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--rbind", str(host), str(target)], check=True)
            subprocess.run(["mount", "--make-rslave", str(target)], check=True)
            done.append(target)
        resolv.unlink(missing_ok=True)
        resolv.write_bytes(Path("/etc/resolv.conf").read_bytes())
        yield Chroot(root)
    finally:
        for target in reversed(done):
            subprocess.run(["umount", "-R", "-l", str(target)], check=False)
        resolv.unlink(missing_ok=True)
        if saved is not None:
            resolv.write_bytes(saved)
