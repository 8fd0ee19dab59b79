"""The software string a terminal reports: the image's release when there is one."""

from __future__ import annotations

from pathlib import Path

from appliance import SOFTWARE
from appliance.version import software


def test_image_release_wins(tmp_path: Path) -> None:
    f = tmp_path / "version"
    f.write_text("1.4.2+g1a2b3c\n")
    assert software(f) == "bt-terminal/1.4.2+g1a2b3c"


def test_package_version_without_or_with_a_bad_file(tmp_path: Path) -> None:
    assert software(tmp_path / "missing") == SOFTWARE
    f = tmp_path / "version"
    for bad in (b"", b"\n", b"x" * 200, b"\xff\xfe", b"a\tb"):
        f.write_bytes(bad)
        assert software(f) == SOFTWARE
