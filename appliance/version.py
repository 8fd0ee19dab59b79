"""What the terminal reports as its software: the image's release, else the package's.

On the SD image ``/etc/buergerterminal/version`` names the release the root slot was built
as (image/build.py); it changes with every update bundle, while the Python package's version
may not. The console's fleet view shows it, and offers an update only to terminals that do
not report the offered release (console/update_offer.py).
"""

from __future__ import annotations

from pathlib import Path

from appliance import SOFTWARE

VERSION_FILE = Path("/etc/buergerterminal/version")


def software(version_file: Path = VERSION_FILE) -> str:
    """``bt-terminal/<release>`` from the image, or the package's ``SOFTWARE``."""
    try:
        release = version_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return SOFTWARE
    if not release or len(release) > 64 or not release.isprintable():
        return SOFTWARE
    return f"bt-terminal/{release}"
