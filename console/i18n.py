"""The console's languages, German and English: gettext catalogs read once at start.

Every word the console pages show comes from
``web/console/translations/<code>/LC_MESSAGES/<domain>.po``. A language may have several
catalogs (one per feature: ``base.po``, ``fleet.po``, ...); they are merged, and a key
defined twice is an error. Message ids are stable keys (``login.title``), not sentences;
``{name}`` placeholders are filled in by :meth:`Translations.t` or by ``i18n.js``.

The language of a request: the signed-in person's saved choice, else the session's,
else the best match of the browser's ``Accept-Language``, else German.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileParser

from console.errors import ConfigError

DEFAULT_LANGUAGE = "de"
LANGUAGES = ("de", "en")


class Translations:
    """The merged catalogs of every console language."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self._messages = {code: dict(found) for code, found in messages.items()}

    @classmethod
    def load(cls, root: Path) -> Translations:
        """Read every ``*.po`` of every language under ``root`` (ConfigError if broken)."""
        merged: dict[str, dict[str, str]] = {}
        for code in LANGUAGES:
            merged[code] = {}
            for path in sorted((root / code / "LC_MESSAGES").glob("*.po")):
                for key, text in _read(path).items():
                    if key in merged[code]:
                        raise ConfigError(f"{path}: key {key!r} is defined twice")
                    merged[code][key] = text
        if not merged[DEFAULT_LANGUAGE]:
            raise ConfigError(f"{root}: no {DEFAULT_LANGUAGE} catalog")
        return cls(merged)

    def messages(self, code: str) -> dict[str, str]:
        """All messages of a language; missing keys fall back to German."""
        return {**self._messages[DEFAULT_LANGUAGE], **self._messages.get(code, {})}

    def keys(self, code: str) -> set[str]:
        """The keys a language's own catalogs define (for completeness tests)."""
        return set(self._messages.get(code, {}))

    def t(self, code: str, key: str, **values: object) -> str:
        """One message in ``code`` (German, then the key itself, as fallbacks)."""
        text = self._messages.get(code, {}).get(key) or self._messages[DEFAULT_LANGUAGE].get(
            key, key
        )
        return text.format(**values) if values else text

    def as_json(self, code: str) -> str:
        """The language's messages as JSON for the page's ``<script type=application/json>``;
        ``<`` is escaped so no text can close the script element."""
        return json.dumps(self.messages(code), ensure_ascii=False).replace("<", "\\u003c")


def negotiate(accept_language: str | None, *choices: str | None) -> str:
    """The first supported of ``choices``, else the browser's best, else German."""
    for choice in choices:
        if choice in LANGUAGES:
            return choice
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def _read(path: Path) -> dict[str, str]:
    catalog = Catalog()
    try:
        with path.open("rb") as fh:
            PoFileParser(catalog, ignore_obsolete=True, abort_invalid=True).parse(fh)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: {err}") from err
    return {
        str(msg.id): str(msg.string)
        for msg in catalog
        if msg.id and isinstance(msg.id, str) and isinstance(msg.string, str)
        and msg.string and not msg.fuzzy
    }  # fmt: skip
