"""autoboot.txt on the config partition: which boot partition the Pi firmware starts.

The firmware reads ``autoboot.txt`` from the first FAT partition before anything else:
``[all] boot_partition=N`` is the normal boot, ``[tryboot] boot_partition=M`` the one-shot
boot after ``reboot "0 tryboot"`` (with ``tryboot_a_b=1`` in ``[all]``). Only those keys are
edited; every other line (comments, other filters, unknown keys) is kept byte for byte, so
a technician's additions survive an update.

The partition is FAT: a rename there is not atomic on power loss the way it is on ext4,
but temp file + fsync + rename + sync leaves either the old or the new file in practice,
never a half-written one (a torn write is what kills the firmware's parse). Files written
to FAT without ``sync`` are lost if power goes (measured in the image tests), hence the
``os.sync()`` at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from appliance.files import replace_file
from appliance.update.errors import BootConfigError

ALL = "all"
TRYBOOT = "tryboot"
PARTITION_KEY = "boot_partition"


def _section_name(line: str) -> str | None:
    stripped = line.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        return stripped[1:-1].strip()
    return None


def _key_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


@dataclass
class Autoboot:
    """The lines of autoboot.txt, with typed access to the keys the updater edits."""

    lines: list[str] = field(default_factory=list)
    newline: str = "\n"
    final_newline: bool = True

    def _section_range(self, section: str) -> tuple[int, int] | None:
        """Line indices [start, end) of a section's body, or None if it is absent."""
        start: int | None = None
        for index, line in enumerate(self.lines):
            name = _section_name(line)
            if name is None:
                continue
            if start is not None:
                return start, index
            if name == section:
                start = index + 1
        return None if start is None else (start, len(self.lines))

    def get(self, section: str, key: str) -> str | None:
        """The value of ``key`` in ``[section]`` (the last one wins, like the firmware)."""
        span = self._section_range(section)
        if span is None:
            return None
        value: str | None = None
        for line in self.lines[span[0] : span[1]]:
            if _key_of(line) == key:
                value = line.split("=", 1)[1].strip()
        return value

    def set(self, section: str, key: str, value: str) -> None:
        """Set ``key`` in ``[section]``, replacing its line or adding one (and the section)."""
        span = self._section_range(section)
        if span is None:
            self.lines.extend([f"[{section}]", f"{key}={value}"])
            return
        start, end = span
        found = False
        for index in range(start, end):
            if _key_of(self.lines[index]) == key:
                self.lines[index] = f"{key}={value}"
                found = True
        if not found:
            insert_at = end
            while insert_at > start and not self.lines[insert_at - 1].strip():
                insert_at -= 1  # before the blank lines that separate sections
            self.lines.insert(insert_at, f"{key}={value}")

    def partition(self, section: str) -> int | None:
        """``boot_partition`` of ``[section]`` as a number, None when the key is absent."""
        raw = self.get(section, PARTITION_KEY)
        if raw is None:
            return None
        try:
            number = int(raw, 0)
        except ValueError:
            raise BootConfigError(
                f"autoboot.txt: [{section}] {PARTITION_KEY}={raw!r} is not a number"
            ) from None
        if not 1 <= number <= 127:
            raise BootConfigError(
                f"autoboot.txt: [{section}] {PARTITION_KEY}={number} is out of range"
            )
        return number

    def set_partition(self, section: str, number: int) -> None:
        """Set ``boot_partition`` of ``[section]``."""
        self.set(section, PARTITION_KEY, str(number))


def parse(text: str) -> Autoboot:
    """Read autoboot.txt; ``render(parse(text)) == text`` for any text."""
    newline = "\r\n" if "\r\n" in text else "\n"
    final_newline = text.endswith(newline)
    body = text[: -len(newline)] if final_newline else text
    lines = body.split(newline) if text else []
    return Autoboot(lines=lines, newline=newline, final_newline=final_newline)


def render(config: Autoboot) -> str:
    """The text of autoboot.txt, with the line endings it was read with."""
    text = config.newline.join(config.lines)
    return text + config.newline if config.final_newline else text


def load(path: Path) -> Autoboot:
    """Read and parse autoboot.txt at ``path``."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BootConfigError(f"{path} is missing: the firmware has no A/B configuration") from None
    except (OSError, UnicodeDecodeError) as err:
        raise BootConfigError(f"cannot read {path}: {err}") from err


def save(path: Path, config: Autoboot) -> None:
    """Write autoboot.txt atomically (see the module docstring)."""
    atomic_write(path, render(config).encode("utf-8"))


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (appliance/files.py), then ``sync`` for FAT."""
    try:
        replace_file(path, data, mode)
    except OSError as err:
        raise BootConfigError(f"cannot write {path}: {err.strerror or err}") from err
    os.sync()
