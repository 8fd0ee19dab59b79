"""appliance/files.py: atomic, durable replacement of a file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from appliance.files import fsync_dir, replace_file


def test_replaces_content_with_the_given_mode(tmp_path: Path) -> None:
    path = tmp_path / "credential"
    path.write_text("old")
    os.chmod(path, 0o644)
    replace_file(path, b"new secret", 0o600)
    assert path.read_bytes() == b"new secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["credential"]  # no temporary file left


def test_a_link_at_the_path_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    path = tmp_path / "request.json"
    path.symlink_to(victim)
    replace_file(path, b"{}")
    assert victim.read_text() == "untouched"
    assert not path.is_symlink() and path.read_text() == "{}"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "autoboot.txt"
    path.mkdir()  # a folder in the way: the rename fails
    with pytest.raises(OSError):
        replace_file(path, b"[all]\n")
    assert path.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["autoboot.txt"]


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        replace_file(tmp_path / "gone" / "file", b"x")


def test_fsync_dir_tolerates_a_missing_folder(tmp_path: Path) -> None:
    fsync_dir(tmp_path / "gone")  # nothing to sync, no exception
    fsync_dir(tmp_path)
