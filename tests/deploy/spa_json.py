"""A small parser for PipeWire's SPA JSON (the relaxed JSON of pipewire.conf).

Enough of the format for our config files: ``#`` comments, bare words as keys and
values, ``=`` or ``:`` between key and value, commas optional, quoted strings with
backslash escapes, and a top level that is an object without braces.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(r'\s+|,|#[^\n]*|"(?:\\.|[^"\\])*"|[{}\[\]=:]|[^\s,#{}\[\]=:"]+')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"cannot tokenise at {pos}: {text[pos : pos + 20]!r}")
        token = match.group()
        pos = match.end()
        if not (token.isspace() or token == "," or token.startswith("#")):
            out.append(token)
    return out


def _scalar(token: str) -> Any:
    if token.startswith('"'):
        return json.loads(token)
    if token in ("true", "false"):
        return token == "true"
    if token == "null":
        return None
    try:
        return int(token)
    except ValueError:
        pass
    try:
        return float(token)
    except ValueError:
        return token


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("unexpected end of input")
        self.pos += 1
        return token

    def value(self) -> Any:
        token = self.take()
        if token == "{":
            return self.members("}")
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take()
            return items
        if token in ("}", "]", "=", ":"):
            raise ValueError(f"unexpected {token!r}")
        return _scalar(token)

    def members(self, end: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.peek() != end:
            key = _scalar(self.take())
            if self.peek() in ("=", ":"):
                self.take()
            out[str(key)] = self.value()
        if end is not None:
            self.take()
        return out


def loads(text: str) -> dict[str, Any]:
    """Parse a whole SPA JSON document (top-level object, braces optional)."""
    tokens = _tokens(text)
    if tokens and tokens[0] == "{" and tokens[-1] == "}":
        tokens = tokens[1:-1]
    return _Parser(tokens).members(None)
