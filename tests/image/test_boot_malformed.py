"""A card with a malformed buergerterminal.toml: the screen says what to fix, nothing is imported.

Runs after test_boot.py on a fresh copy of the same image (its own QEMU machine).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from image.firmware import partition_offsets, write_fat
from image.qemu import Machine
from tests.e2e.harness import free_port
from tests.image.conftest import Built, Host

pytestmark = pytest.mark.timeout(1800)

MALFORMED = (
    'console_url = "ftp://console"\n'
    'enrollment_code = "K7PM-Q3XD-9HTW"\n'
    'timezone = "Europe/Bielefeld"\n'
    "[wifi]\n"
    'ssid = "Rathaus"\n'
    'psk = "kurz"\n'
)


@pytest.fixture
def malformed(tmp_path: Path, built: Built, host: Host, ssh_key: Path) -> Iterator[Machine]:
    """A fresh card with a file that has three mistakes."""
    disk = tmp_path / "disk.img"
    subprocess.run(["cp", "--sparse=always", built.result.disk, str(disk)], check=True)
    write_fat(disk, 1, "buergerterminal.toml", MALFORMED.encode(), tmp_path)
    vm = Machine(disk, tmp_path, free_port(), ssh_key)
    try:
        yield vm
    finally:
        vm.shutdown()


def data_listing(disk: Path, folder: str) -> str:
    """``ls`` of a folder on the data partition (partition 6), read with debugfs."""
    offset = partition_offsets(disk)[6]
    part = disk.with_name("data.ext4")
    subprocess.run(
        ["dd", f"if={disk}", f"of={part}", "bs=1M", "iflag=skip_bytes,count_bytes",
         f"skip={offset}", f"count={256 * 2**20}", "status=none"],
        check=True,
    )  # fmt: skip
    done = subprocess.run(
        ["debugfs", "-R", f"ls -l {folder}", str(part)], capture_output=True, text=True
    )
    return done.stdout


def test_malformed_file_is_shown_and_nothing_is_imported(malformed: Machine) -> None:
    malformed.boot()
    # the framed message, each line prefixed by the journal's console format
    shown = malformed.wait_log(r"Please fix:(?s:.*?)Take out the SD card", 900)
    text = shown.group(0)
    assert "console_url" in text
    assert "timezone" in text
    assert "wifi.psk" in text and "kurz" not in text  # the password is never repeated
    time.sleep(5)  # bt-firstboot printed its verdict: it has decided not to write anything
    malformed.pull_plug()
    listing = data_listing(malformed.disk, "/config")
    assert "imported.json" not in listing and "terminal.toml" not in listing
