"""Power cuts at every write of the import: afterwards either nothing or everything.

A crash is simulated by a Disk whose n-th operation raises (a BaseException, so nothing
in the import can catch it, like a real power cut); then the import runs again as at the
next boot. After the cut, whatever has a marker must be a complete config; after the next
run, the config must equal the one an uninterrupted import writes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.credentials import load_credential
from appliance.provision.disk import Disk
from appliance.provision.importer import import_boot_config
from tests.appliance.provision.conftest import NewCode
from tests.appliance.provision.test_importer import boot_text, names, snapshot
from tests.console.conftest import RunningConsole

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
VARYING = ("terminal_id", "credential_sha256", "code_sha256", "source_sha256", "boot_file_sha256")


class PowerCut(BaseException):
    """The plug was pulled."""


class CrashingDisk(Disk):
    """A Disk whose operation number ``at`` (0-based) never happens."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.done: list[str] = []

    def step(self, what: str, path: Path) -> None:
        if len(self.done) == self.at:
            raise PowerCut(f"{what} {path.name}")
        self.done.append(f"{what} {path.name}")


def config_view(data: Path) -> dict[str, object] | None:
    """What a consumer sees: None without a marker, else the config (varying fields out)."""
    marker = data / "config" / "imported.json"
    if not marker.exists():
        return None
    view = snapshot(data / "config")
    toml = view["terminal.toml"]
    assert isinstance(toml, tuple)
    view["terminal.toml"] = (toml[0].replace(str(data).encode(), b"/data"), toml[1])
    record = json.loads(marker.read_text())
    for key in VARYING:
        record.pop(key)
    view["imported.json"] = record
    return view


def put_boot_file(boot: Path, text: str) -> None:
    """Create the boot partition stand-in with buergerterminal.toml in it."""
    boot.mkdir()
    (boot / "buergerterminal.toml").write_text(text)


async def run(boot: Path, data: Path, disk: Disk | None = None) -> str:
    result = await import_boot_config(boot, data, clock=lambda: NOW, sync=lambda: None, disk=disk)
    return result.status


async def reference(
    console: RunningConsole, new_code: NewCode, root: Path
) -> dict[str, object] | None:
    """What an uninterrupted first import leaves in /data/config."""
    boot, data = root / "ref-boot", root / "ref-data"
    put_boot_file(boot, boot_text(console, await new_code()))
    assert await run(boot, data) == "imported"
    return config_view(data)


async def test_first_import_survives_a_cut_anywhere(
    console: RunningConsole, new_code: NewCode, tmp_path: Path
) -> None:
    complete = await reference(console, new_code, tmp_path)
    assert complete is not None
    at = 0
    while True:
        boot, data = tmp_path / f"boot{at}", tmp_path / f"data{at}"
        code = await new_code()
        put_boot_file(boot, boot_text(console, code))
        disk = CrashingDisk(at)
        try:
            status = await run(boot, data, disk)
        except PowerCut:
            pass
        else:
            assert status == "imported"
            break
        seen = config_view(data)
        assert seen in (None, complete), f"half config after a cut at {disk.done[-1:]}"
        if seen is None:
            assert not (data / "config").exists()
        # the next boot: done, with the credential from the first try (the code is used)
        credential = (data / "terminal" / "credential").exists() and load_credential(
            data / "terminal"
        )
        assert await run(boot, data) in ("imported", "already")
        assert config_view(data) == complete
        assert credential in (False, load_credential(data / "terminal"))
        assert code not in (boot / "buergerterminal.toml").read_text()
        assert names(data) == ["config", "terminal"]
        at += 1
    assert at >= 10, "the import should take many steps; the crash points were not reached"


async def imported_then_edited(
    console: RunningConsole, new_code: NewCode, boot: Path, data: Path
) -> None:
    """Import a file, then edit it on the "PC" (kiosk_port 8090 -> 8091, no code)."""
    put_boot_file(boot, boot_text(console, await new_code()))
    assert await run(boot, data) == "imported"
    edited = (boot / "buergerterminal.toml").read_text().replace("8090", "8091")
    (boot / "buergerterminal.toml").write_text(edited)


async def test_reimport_survives_a_cut_anywhere(
    console: RunningConsole, new_code: NewCode, tmp_path: Path
) -> None:
    ref_boot, ref_data = tmp_path / "ref-boot", tmp_path / "ref-data"
    await imported_then_edited(console, new_code, ref_boot, ref_data)
    old = config_view(ref_data)
    assert await run(ref_boot, ref_data) == "imported"
    new = config_view(ref_data)
    assert old is not None and new is not None and old != new
    at = 0
    while True:
        boot, data = tmp_path / f"boot{at}", tmp_path / f"data{at}"
        await imported_then_edited(console, new_code, boot, data)
        assert config_view(data) == old
        disk = CrashingDisk(at)
        try:
            status = await run(boot, data, disk)
        except PowerCut:
            pass
        else:
            assert status == "imported"
            break
        assert config_view(data) in (None, old, new), f"half config after {disk.done[-1:]}"
        assert await run(boot, data) in ("imported", "already")
        assert config_view(data) == new
        assert names(data) == ["config", "terminal"]
        at += 1
    assert at >= 10


async def test_cut_before_the_code_was_removed(
    console: RunningConsole, new_code: NewCode, boot_dir: Path, data_dir: Path
) -> None:
    code = await new_code()
    original = boot_text(console, code)
    (boot_dir / "buergerterminal.toml").write_text(original)
    assert await run(boot_dir, data_dir) == "imported"
    before = snapshot(data_dir)
    # the rewrite of the FAT file was lost (power went before sync): the code is back
    (boot_dir / "buergerterminal.toml").write_text(original)
    assert await run(boot_dir, data_dir) == "already"
    assert code not in (boot_dir / "buergerterminal.toml").read_text()
    assert snapshot(data_dir) == before


@pytest.mark.parametrize("leftover", ["config.new", "config.old"])
async def test_leftovers_are_cleaned(
    console: RunningConsole, new_code: NewCode, boot_dir: Path, data_dir: Path, leftover: str
) -> None:
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, await new_code()))
    assert await run(boot_dir, data_dir) == "imported"
    before = snapshot(data_dir)
    (data_dir / leftover).mkdir()
    (data_dir / leftover / "terminal.toml").write_text("half")
    assert await run(boot_dir, data_dir) == "already"
    assert snapshot(data_dir) == before
