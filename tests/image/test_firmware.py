"""The simulated Pi firmware: autoboot.txt and the one-shot try boot, on a real GPT image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from image.disk import AUTOBOOT, FAT_TYPE
from image.firmware import autoboot_partitions, choose, read_fat, write_fat


def test_autoboot_sections() -> None:
    assert autoboot_partitions(AUTOBOOT) == (2, 3)
    assert autoboot_partitions("[all]\ntryboot_a_b=1\nboot_partition=3\n") == (3, 3)
    text = "# comment\n[all]\nboot_partition=3 # B\n[tryboot]\nboot_partition=2\n"
    assert autoboot_partitions(text) == (3, 2)


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A GPT image with a config FAT and two boot FATs, made by genimage like the real one."""
    for slot, partition in (("a", 2), ("b", 3)):
        d = tmp_path / f"boot-{slot}"
        d.mkdir()
        (d / "vmlinuz").write_bytes(b"kernel %d" % partition)
        (d / "initrd.img").write_bytes(b"initrd %d" % partition)
        (d / "cmdline.txt").write_text(f"root=/dev/vda{partition + 2} rauc.slot={slot.upper()}\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config/autoboot.txt").write_text(AUTOBOOT)

    def vfat(name: str, folder: str) -> str:
        files = ", ".join(f'"{folder}/{p.name}"' for p in sorted((tmp_path / folder).iterdir()))
        return f"image {name} {{ vfat {{ files = {{ {files} }} }} size = 8M }}\n"

    cfg = tmp_path / "genimage.cfg"
    cfg.write_text(
        vfat("config.vfat", "config")
        + vfat("a.vfat", "boot-a")
        + vfat("b.vfat", "boot-b")
        + 'image disk.img { hdimage { partition-table-type = "gpt" }\n'
        + "".join(
            f'partition p{i} {{ image = "{n}" partition-type-uuid = "{FAT_TYPE}" }}\n'
            for i, n in enumerate(("config.vfat", "a.vfat", "b.vfat"))
        )
        + "}\n"
    )
    out = tmp_path / "out"
    subprocess.run(
        ["genimage", f"--config={cfg}", f"--inputpath={tmp_path}", f"--outputpath={out}",
         f"--rootpath={tmp_path / 'config'}", f"--tmppath={tmp_path / 'tmp'}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out / "disk.img"


def test_normal_boot_takes_all_and_try_boot_happens_once(card: Path, tmp_path: Path) -> None:
    first = choose(card, tmp_path)
    assert (first.partition, first.tryboot) == (2, False)
    assert first.kernel.read_bytes() == b"kernel 2"
    assert "rauc.slot=A" in first.cmdline
    assert first.cmdline.endswith("bt.boot_partition=2 bt.tryboot=0")

    write_fat(card, 1, "tryboot.flag", b"", tmp_path)
    trial = choose(card, tmp_path)
    assert (trial.partition, trial.tryboot) == (3, True)
    assert trial.initrd.read_bytes() == b"initrd 3"
    assert trial.cmdline.endswith("bt.boot_partition=3 bt.tryboot=1")
    assert read_fat(card, 1, "tryboot.flag") is None  # consumed, like the firmware's flag

    again = choose(card, tmp_path)  # no confirmation happened: back to the old slot
    assert (again.partition, again.tryboot) == (2, False)

    write_fat(card, 1, "autoboot.txt", b"[all]\ntryboot_a_b=1\nboot_partition=3\n", tmp_path)
    committed = choose(card, tmp_path)
    assert (committed.partition, committed.tryboot) == (3, False)
