"""The wheel the SD image installs carries the web front ends next to the code.

The kiosk and the console find web/ beside their packages; a wheel without it installs
fine and then fails at start ("no de catalog"), as the first image boot showed.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_has_templates_static_files_and_catalogs(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("buergerterminal-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("web/kiosk", "web/console"):
        source = REPO / folder
        wanted = {
            str(p.relative_to(REPO))
            for p in source.rglob("*")
            if p.is_file() and p.parts[-2] != "__pycache__"
        }
        assert wanted, folder
        assert wanted <= names, sorted(wanted - names)[:5]
    versions = {p.name for p in (REPO / "console/migrations/versions").glob("*.py")}
    assert {f"console/migrations/versions/{v}" for v in versions} <= names
