"""``bt-firstboot``: exit status, the framed message on stdout, the screen and in /run."""

from __future__ import annotations

import asyncio
import errno
import json
import os
from pathlib import Path

import pytest

from appliance.credentials import Enrollment, save_enrollment
from appliance.provision.cli import main
from appliance.provision.disk import Disk
from tests.appliance.provision.conftest import NewCode
from tests.appliance.provision.test_importer import boot_text
from tests.console.conftest import RunningConsole


def args(boot: Path, data: Path, tmp: Path, *extra: str) -> list[str]:
    return [
        "--boot-dir",
        str(boot),
        "--data-dir",
        str(data),
        "--screen",
        str(tmp / "tty1"),
        "--error-file",
        str(tmp / "run" / "setup-error.txt"),
        "--attempts",
        "1",
        "--no-network",
        *extra,
    ]


def unframe(text: str) -> str:
    """The framed message's words on one line (the frame wraps long sentences)."""
    return " ".join(" ".join(line[2:-2].split()) for line in text.splitlines()).strip()


def test_malformed_file(
    boot_dir: Path,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "tty1").write_text("")  # stands in for the console device
    (boot_dir / "buergerterminal.toml").write_text(
        'console_url = "console.example.org"\n[wifi]\nssid = "Gast"\npsk = "12345"\n'
    )
    assert main(args(boot_dir, data_dir, tmp_path)) == 1
    out = capsys.readouterr()
    words = unframe(out.out)
    assert "- wifi.psk: must be 8 to 63 characters (it has 5)" in words
    assert "- enrollment_code: is missing" in words
    assert "- console_url: must start with https://" in words
    assert "12345" not in out.out
    lines = out.out.splitlines()
    assert lines[0] == "#" * 76 and lines[-1] == "#" * 76
    assert all(len(line) == 76 and line.startswith("#") for line in lines)
    assert "buergerterminal.toml needs fixing" in out.out
    screen = (tmp_path / "tty1").read_text()
    assert screen.replace("\r\n", "\n") == out.out
    assert (tmp_path / "run" / "setup-error.txt").read_text() == out.out
    assert "wifi.psk" in caplog.text  # the journal (stderr under systemd)
    assert not data_dir.exists()


def test_missing_file_and_no_screen(
    boot_dir: Path, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = args(boot_dir, data_dir, tmp_path, "--screen", str(tmp_path / "no" / "tty1"))
    assert main(argv) == 1
    out = unframe(capsys.readouterr().out)
    assert "put buergerterminal.toml on the boot partition" in out
    # with a committed import, no file just means "already done"
    (data_dir / "config").mkdir(parents=True)
    (data_dir / "config" / "imported.json").write_text(json.dumps({"terminal_id": "t1"}))
    assert main(argv) == 0
    assert "already set up" in capsys.readouterr().out
    assert not (tmp_path / "run" / "setup-error.txt").exists()


async def test_success_prints_no_secrets(
    console: RunningConsole,
    new_code: NewCode,
    boot_dir: Path,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await new_code()
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, code))
    error_file = tmp_path / "run" / "setup-error.txt"
    error_file.parent.mkdir()
    error_file.write_text("old error")
    status = await asyncio.to_thread(main, args(boot_dir, data_dir, tmp_path))
    out = capsys.readouterr()
    assert status == 0, out
    assert "was imported" in out.out and "Rathaus-Gast" in out.out and "Europe/Berlin" in out.out
    credential = (data_dir / "terminal" / "credential").read_text().strip()
    for secret in ("geheim-123", code, credential, credential.split(".")[1]):
        assert secret not in out.out and secret not in out.err
    assert not error_file.exists()
    assert await asyncio.to_thread(main, args(boot_dir, data_dir, tmp_path)) == 0


async def test_refusal_exits_1(
    console: RunningConsole,
    boot_dir: Path,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, "AAAA-BBBB-CCCC"))
    assert await asyncio.to_thread(main, args(boot_dir, data_dir, tmp_path)) == 1
    out = unframe(capsys.readouterr().out)
    assert "the console did not accept it" in out and "- enrollment_code: The enrollment" in out


def test_unwritable_data_partition(
    boot_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (boot_dir / "buergerterminal.toml").write_text('console_url = "https://c.example.org"\n')
    data = tmp_path / "data"
    save_enrollment(data / "terminal", Enrollment("t1", "t1.secret", "T1", "Aldorf"))

    def read_only(self: Disk, what: str, path: Path) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(Disk, "step", read_only)
    assert main(args(boot_dir, data, tmp_path)) == 1
    out = unframe(capsys.readouterr().out)
    assert f"- {data}: cannot be written" in out and "Read-only file system" in out
    assert "c.example.org" in (boot_dir / "buergerterminal.toml").read_text()
