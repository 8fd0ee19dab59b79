"""Durable file operations for the import: every file and directory fsync'd when written.

A terminal's plug may be pulled at any moment, including during first boot. The import
therefore writes through this one class, and each operation is complete and on disk
before the next starts. Tests pass a subclass whose :meth:`Disk.step` raises at a chosen
operation to simulate a power cut there, then run the import again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from appliance.files import fsync_dir, write_synced


class Disk:
    """Writes, links, renames and removes with fsync; :meth:`step` runs before each one."""

    def step(self, what: str, path: Path) -> None:
        """Called before every operation (a hook for crash tests); does nothing here."""

    def mkdir(self, path: Path, mode: int = 0o755) -> None:
        """Create a directory with exactly ``mode`` and fsync its parent."""
        self.step("mkdir", path)
        path.mkdir(mode=mode)
        os.chmod(path, mode)
        fsync_dir(path.parent)

    def write(self, path: Path, data: bytes, mode: int = 0o644) -> None:
        """Create ``path`` with ``mode`` (never wider for a moment), write and fsync it."""
        self.step("write", path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.fchmod(fd, mode)
            write_synced(fd, data)
        finally:
            os.close(fd)
        fsync_dir(path.parent)

    def symlink(self, target: str, path: Path) -> None:
        """Create the symlink ``path`` -> ``target``."""
        self.step("symlink", path)
        os.symlink(target, path)
        fsync_dir(path.parent)

    def copy(self, source: Path, path: Path) -> None:
        """Copy a regular file with its mode, fsync'd."""
        self.write(path, source.read_bytes(), source.stat().st_mode & 0o7777)

    def rename(self, source: Path, target: Path) -> None:
        """Rename ``source`` to ``target`` (atomic on one file system) and fsync the parents."""
        self.step("rename", target)
        os.rename(source, target)
        fsync_dir(target.parent)
        if source.parent != target.parent:
            fsync_dir(source.parent)

    def remove_tree(self, path: Path) -> None:
        """Remove a directory tree (or a file) if it exists."""
        if not path.exists() and not path.is_symlink():
            return
        self.step("remove", path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        fsync_dir(path.parent)
