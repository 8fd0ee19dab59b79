"""Replacing a file so that a reader or a power cut sees the old or the new one, never half.

The terminal's plug may be pulled at any moment. Everything it must keep (credential,
update requests, the firmware's boot choice, the first-boot config) is written the same
way: a temporary file in the same folder, created with its final mode (never wider for a
moment, never through a link someone left there), written and fsync'd, renamed over the
old one, and the folder fsync'd so the new name survives too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably; OSError if it cannot."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        try:
            os.fchmod(fd, mode)
            write_synced(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_synced(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the open file ``fd`` and fsync it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def fsync_dir(path: Path) -> None:
    """fsync a folder, so names created or renamed in it survive a power cut.

    Some file systems (vfat) refuse fsync on a folder; a ``sync`` after the write covers
    those, so the refusal is not an error here.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
