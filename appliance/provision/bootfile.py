"""Take the used enrollment code off the boot partition, keeping the rest of the file.

The card's FAT partition can be read by anyone holding the card, so the code must not stay
there after it was traded for a credential. The file is otherwise kept as the admin wrote
it (comments, order, line endings), with one comment line on top saying when it was
imported. If removing the line would change anything else (a multi-line value), the file
is written fresh from its parsed values instead.

FAT has no journal: the new text goes to a temporary file that is fsync'd, renamed over
the old one (Linux vfat replaces it) and followed by ``sync``, because written FAT data is
lost when power goes before the page cache is flushed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.files import replace_file
from appliance.provision.tomlwrite import dumps

STAMP_PREFIX = "# bt-firstboot:"
_CODE_LINE = re.compile(r"""^\s*(enrollment_code|"enrollment_code"|'enrollment_code')\s*=""")


def without_code(text: str, stamp: str) -> str:
    """``text`` without its enrollment_code line, a ``stamp`` comment line on top."""
    body = text.removeprefix("\ufeff")
    newline = "\r\n" if "\r\n" in body else "\n"
    kept = [
        line
        for line in body.splitlines(keepends=True)
        if not _CODE_LINE.match(line) and not line.startswith(STAMP_PREFIX)
    ]
    if kept and not kept[-1].endswith(("\n", "\r")):
        kept[-1] += newline
    result = f"{STAMP_PREFIX} {stamp}{newline}" + "".join(kept)
    expected = _without_code(tomllib.loads(body))
    try:
        if tomllib.loads(result) == expected:
            return result
    except tomllib.TOMLDecodeError:
        pass
    return f"{STAMP_PREFIX} {stamp}\n" + dumps(expected)


def _without_code(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "enrollment_code"}


def rewrite(path: Path, text: str, sync: Callable[[], None] = os.sync) -> None:
    """Replace the file at ``path`` by ``text`` (appliance/files.py); then sync."""
    replace_file(path, text.encode("utf-8"), path.stat().st_mode & 0o777)
    sync()
