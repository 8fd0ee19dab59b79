"""autoboot.txt: lossless parse/render, edits that keep every other line, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.update import autoboot
from appliance.update.errors import BootConfigError

STANDARD = "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n"
TECHNICIAN = (
    "# A/B boot, written by the image\r\n"
    "[all]\r\n"
    "tryboot_a_b=1\r\n"
    "boot_partition = 2\r\n"
    "max_usb_current=1\r\n"
    "\r\n"
    "[tryboot]\r\n"
    "boot_partition=3\r\n"
    "[pi5]\r\n"
    "boot_partition=9"
)


@pytest.mark.parametrize("text", [STANDARD, TECHNICIAN, "", "\n", "[all]", "x\r\ny\n"])
def test_round_trip_is_byte_exact(text: str) -> None:
    assert autoboot.render(autoboot.parse(text)) == text


@given(st.text(alphabet=st.sampled_from(list("[]=#ab_12 \r\n")), max_size=80))
def test_round_trip_any_text(text: str) -> None:
    assert autoboot.render(autoboot.parse(text)) == text


def test_reads_the_sections() -> None:
    config = autoboot.parse(TECHNICIAN)
    assert config.partition("all") == 2
    assert config.partition("tryboot") == 3
    assert config.partition("pi5") == 9
    assert config.partition("pi4") is None
    assert config.get("all", "max_usb_current") == "1"


def test_set_changes_only_its_line_and_keeps_crlf() -> None:
    config = autoboot.parse(TECHNICIAN)
    config.set_partition("tryboot", 2)
    config.set_partition("all", 3)
    text = autoboot.render(config)
    assert text == TECHNICIAN.replace("boot_partition = 2", "boot_partition=3").replace(
        "[tryboot]\r\nboot_partition=3", "[tryboot]\r\nboot_partition=2"
    )


def test_set_adds_a_missing_key_before_the_blank_separator_and_a_missing_section() -> None:
    config = autoboot.parse("[all]\nboot_partition=2\n\n[other]\nx=1\n")
    config.set("all", "tryboot_a_b", "1")
    config.set_partition("tryboot", 3)
    assert autoboot.render(config) == (
        "[all]\nboot_partition=2\ntryboot_a_b=1\n\n[other]\nx=1\n[tryboot]\nboot_partition=3\n"
    )
    assert autoboot.parse(autoboot.render(config)).partition("tryboot") == 3


@pytest.mark.parametrize("value", ["two", "0", "300"])
def test_a_bad_partition_is_a_clear_error(value: str) -> None:
    config = autoboot.parse(f"[all]\nboot_partition={value}\n")
    with pytest.raises(BootConfigError, match=r"\[all\] boot_partition"):
        config.partition("all")


def test_save_replaces_atomically_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "autoboot.txt"
    path.write_text(STANDARD)
    config = autoboot.load(path)
    config.set_partition("all", 3)
    autoboot.save(path, config)
    assert autoboot.load(path).partition("all") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["autoboot.txt"]


def test_save_does_not_write_through_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / ".autoboot.txt.tmp").symlink_to(victim)
    autoboot.save(tmp_path / "autoboot.txt", autoboot.parse(STANDARD))
    assert victim.read_text() == "keep"
    assert (tmp_path / "autoboot.txt").read_text() == STANDARD


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(BootConfigError, match="missing"):
        autoboot.load(tmp_path / "autoboot.txt")
