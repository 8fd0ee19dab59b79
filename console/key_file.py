"""Key lines kept outside the database: from an environment variable or a 0600 file made once.

The case inbox's document key (console/documents.py) and the kit key pair
(console/kit_keys.py) are kept the same way, so the rules live here once. The operator
gives base64 keys in an environment variable (comma-separated, newest first; several
console instances share them), or the console keeps them in a file with one key per line,
newest first, ``#`` starting a comment line. A missing file is created with mode 0600 and
one new key; O_EXCL makes the first of several processes starting together the only writer,
and every one of them then reads the key it wrote.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from console.errors import ConfigError


@dataclass(frozen=True)
class KeyKind:
    """What a caller's keys are: their name in errors, their source, size, and how to make one."""

    noun: str  # "document key": the wording of every error about these keys
    env_name: str  # the environment variable named as the source of given keys
    size: int  # raw bytes per key
    generate: Callable[[], bytes]  # a new raw key for a file that does not exist yet
    header: str  # comment lines (each ending in a newline) written above a new key


def parse_key_lines(text: str, source: str, kind: KeyKind) -> list[bytes]:
    """Raw keys from base64 separated by newlines or commas; ``#`` starts a comment line."""
    keys: list[bytes] = []
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        for item in (part.strip() for part in line.split(",")):
            if not item:
                continue
            try:
                raw = base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError) as err:
                raise ConfigError(f"{source}: a {kind.noun} is not valid base64") from err
            if len(raw) != kind.size:
                raise ConfigError(
                    f"{source}: a {kind.noun} must be {kind.size} bytes, not {len(raw)}"
                )
            keys.append(raw)
    if not keys:
        raise ConfigError(f"{source}: no {kind.noun}")
    return keys


def load_key_lines(key_text: str | None, key_file: Path, kind: KeyKind) -> list[bytes]:
    """The given keys, else those in ``key_file`` (created with a new key if missing)."""
    if key_text:
        return parse_key_lines(key_text, kind.env_name, kind)
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        _create(key_file, kind)
        text = key_file.read_text(encoding="ascii")
    except OSError as err:
        raise ConfigError(f"cannot read or create {key_file}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{key_file} is not a text file of base64 keys") from err
    return parse_key_lines(text, str(key_file), kind)


def _create(path: Path, kind: KeyKind) -> None:
    """Write a new key with mode 0600 unless the file exists (O_EXCL: one winner)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    key = base64.b64encode(kind.generate()).decode("ascii")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(kind.header + key + "\n")
