"""The kiosk page's languages: gettext catalogs read once at start and served as JSON.

Citizens at a terminal may speak no German, or need Leichte Sprache (easy German), so
every word the page shows comes from a catalog in
``web/kiosk/translations/<code>/LC_MESSAGES/messages.po``. Adding a language is adding
such a directory: the list is discovered from it, and each catalog names itself in its
header (``X-Language-Name`` in its own language, ``X-Text-Direction`` ``ltr``/``rtl``,
``X-HTML-Lang`` when the page's ``lang`` differs from the code, as for ``ls`` -> ``de``).
Message ids are stable keys (``welcome.heading``), not German sentences, so a reworded
German text never orphans the other catalogs; ``{name}`` placeholders are filled in by
the page.

The catalogs are parsed with Babel's PO parser when the app is built (no work at import
time) and served by a blueprint the kiosk app mounts: ``GET /i18n/languages.json`` and
``GET /i18n/<code>.json``. The blueprint also gives templates ``t(key[, code])`` and
``languages`` so the first paint needs no round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileParser
from flask import Blueprint, Response, abort, jsonify

from appliance.errors import TerminalError

TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "web" / "kiosk" / "translations"
DEFAULT_LANGUAGE = "de"
"""German is the default; every other catalog must translate every German key."""


class CatalogError(TerminalError):
    """A translation catalog is missing, unreadable or lacks its header fields."""


@dataclass(frozen=True)
class Language:
    """One kiosk language: its code, native name, direction, HTML lang and messages."""

    code: str
    name: str
    direction: str
    html_lang: str
    messages: dict[str, str] = field(repr=False)

    def describe(self) -> dict[str, str]:
        """The language without its messages, as the language list shows it."""
        return {"code": self.code, "name": self.name, "dir": self.direction,
                "lang": self.html_lang}  # fmt: skip


class _HeaderCatalog(Catalog):
    """A Babel catalog that keeps the header fields Babel itself does not know (``X-...``)."""

    extra_headers: dict[str, str]

    def _keep_mime_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        headers = list(headers)
        self.extra_headers = {name.lower(): value.strip() for name, value in headers}
        self._set_mime_headers(headers)

    mime_headers = property(Catalog._get_mime_headers, _keep_mime_headers)


def read_catalog(path: Path, code: str) -> Language:
    """Parse one ``messages.po``; untranslated and fuzzy entries are left out."""
    catalog = _HeaderCatalog()
    catalog.extra_headers = {}
    try:
        with path.open("rb") as fh:
            PoFileParser(catalog, ignore_obsolete=True, abort_invalid=True).parse(fh)
    except (OSError, ValueError) as err:
        raise CatalogError(f"{path}: {err}") from err
    headers = catalog.extra_headers
    name = headers.get("x-language-name", "")
    direction = headers.get("x-text-direction", "ltr")
    if not name:
        raise CatalogError(f"{path}: header X-Language-Name is missing")
    if direction not in ("ltr", "rtl"):
        raise CatalogError(f"{path}: X-Text-Direction must be ltr or rtl, not {direction!r}")
    messages = {
        str(msg.id): str(msg.string)
        for msg in catalog
        if msg.id and isinstance(msg.id, str) and isinstance(msg.string, str)
        and msg.string and not msg.fuzzy
    }  # fmt: skip
    html_lang = headers.get("x-html-lang") or code
    return Language(code, name, direction, html_lang, messages)


def load_languages(root: Path = TRANSLATIONS_DIR) -> dict[str, Language]:
    """Every catalog under ``root``, German first, the others sorted by code."""
    paths = sorted(root.glob("*/LC_MESSAGES/messages.po"))
    languages = {p.parents[1].name: read_catalog(p, p.parents[1].name) for p in paths}
    if DEFAULT_LANGUAGE not in languages:
        raise CatalogError(f"{root}: no {DEFAULT_LANGUAGE} catalog")
    return {DEFAULT_LANGUAGE: languages.pop(DEFAULT_LANGUAGE), **languages}


def i18n_blueprint(root: Path = TRANSLATIONS_DIR) -> Blueprint:
    """The blueprint serving the catalogs as JSON and giving templates ``t`` and ``languages``."""
    languages = load_languages(root)
    german = languages[DEFAULT_LANGUAGE]
    bp = Blueprint("i18n", __name__)

    @bp.get("/i18n/languages.json")
    def language_list() -> Response:
        return jsonify([lang.describe() for lang in languages.values()])

    @bp.get("/i18n/<code>.json")
    def messages(code: str) -> Response:
        lang = languages.get(code)
        if lang is None:
            abort(404, description=f"no language {code!r}")
        response = jsonify({**lang.describe(), "messages": lang.messages})
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.app_context_processor
    def template_globals() -> dict[str, Any]:
        def t(key: str, code: str = DEFAULT_LANGUAGE) -> str:
            lang = languages.get(code, german)
            return lang.messages.get(key) or german.messages.get(key, key)

        return {"t": t, "languages": [lang.describe() for lang in languages.values()]}

    return bp
