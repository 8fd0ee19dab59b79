"""A small TOML writer: tomllib reads TOML but cannot write it.

It covers what the import writes (terminal.toml, the boot file as a last resort): keys
with str, int, float, bool and lists of str, and one level of tables. Anything else raises
:class:`TypeError`, so a value that would not read back the same is never written.
:func:`dumps` output always parses back with tomllib to the same data (tested).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def dumps(data: Mapping[str, Any]) -> str:
    """Render ``data`` (plain keys first, then one level of tables) as TOML text."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{key_text(key)} = {value_text(value)}")
    for key, table in tables:
        if lines:
            lines.append("")
        lines.append(f"[{key_text(key)}]")
        for sub, value in table.items():
            lines.append(f"{key_text(sub)} = {value_text(value)}")
    return "\n".join(lines) + "\n" if lines else ""


def key_text(key: str) -> str:
    """A bare key where TOML allows one, else a quoted key."""
    return key if _BARE_KEY.fullmatch(key) else string_text(key)


def value_text(value: Any) -> str:
    """One TOML value: str, int, float, bool or a list of str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return "[" + ", ".join(string_text(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} values")


def string_text(text: str) -> str:
    """A TOML basic string with every special and control character escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
