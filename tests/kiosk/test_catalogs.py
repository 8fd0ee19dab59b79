"""The kiosk's translation catalogs: complete, consistent, discovered, served, and used.

Every German key must be translated in every catalog with the same placeholders; every
key the template or the scripts use must exist; the template itself holds no words
(only ``t(...)`` calls), so nothing on the page can stay German by accident.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from appliance.kiosk.i18n import TRANSLATIONS_DIR, CatalogError, load_languages
from tests.kiosk.harness import LANGUAGES, ScriptedBridge

WEB = Path(__file__).resolve().parents[2] / "web" / "kiosk"
TEMPLATE = WEB / "templates" / "index.html"
SCRIPTS = sorted((WEB / "static").rglob("*.js"))
PLACEHOLDER = re.compile(r"\{(\w+)\}")
KEY = re.compile(r"""["'=:]((?:[a-z]+(?:-[a-z]+)*)\.[a-z_]+(?:-[a-z_]+)*)["';]""")


def test_languages_are_discovered_with_their_native_names_and_direction() -> None:
    languages = load_languages()
    assert next(iter(languages)) == "de"
    assert set(languages) == set(LANGUAGES)
    assert languages["ar"].direction == "rtl"
    assert {c for c, lang in languages.items() if lang.direction == "rtl"} == {"ar"}
    assert languages["ls"].html_lang == "de"
    assert languages["ls"].name == "Leichte Sprache"
    assert languages["uk"].name == "Українська"
    assert languages["ar"].name == "العربية"
    assert languages["tr"].name == "Türkçe"


def test_every_german_message_is_translated_everywhere_with_the_same_placeholders() -> None:
    languages = load_languages()
    german = languages["de"].messages
    assert len(german) > 50
    for code, lang in languages.items():
        missing = sorted(set(german) - set(lang.messages))
        extra = sorted(set(lang.messages) - set(german))
        assert not missing, f"{code} lacks {missing}"
        assert not extra, f"{code} has keys German lacks: {extra}"
        for key, text in lang.messages.items():
            assert text.strip(), f"{code} {key} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(german[key])), (
                f"{code} {key}: placeholders differ from German"
            )


def used_keys() -> set[str]:
    sources = [TEMPLATE.read_text(), *(p.read_text() for p in SCRIPTS)]
    return {m for text in sources for m in KEY.findall(text)}


def test_every_key_used_by_the_page_exists_and_every_key_is_used() -> None:
    german = load_languages()["de"].messages
    used = {k for k in used_keys() if k.split(".")[0] in {k2.split(".")[0] for k2 in german}}
    assert used, "no keys found in the page sources"
    assert sorted(used - set(german)) == []
    # notice.* keys are found by the daemon's German notice text (see kiosk.js showNotice)
    unused = {k for k in set(german) - used if not k.startswith("notice.")}
    assert sorted(unused) == []


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "alt", "title", "placeholder") and value:
                self.words.append(f"{name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and re.search(r"[^\W\d_]", data):
            self.words.append(data.strip())


def test_the_template_has_no_words_of_its_own() -> None:
    source = TEMPLATE.read_text()
    stripped = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", "", source, flags=re.S)
    parser = _Text()
    parser.feed(stripped)
    assert parser.words == [], "visible text not from the catalogs"


def test_adding_a_catalog_adds_a_language(tmp_path: Path) -> None:
    root = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, root)
    po = root / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    text = (root / "en" / "LC_MESSAGES" / "messages.po").read_text()
    po.write_text(text.replace("X-Language-Name: English", "X-Language-Name: Français")
                  .replace('msgstr "Hello!"', 'msgstr "Bonjour !"'))  # fmt: skip
    languages = load_languages(root)
    assert languages["fr"].name == "Français"
    assert languages["fr"].messages["welcome.heading"] == "Bonjour !"

    broken = root / "xx" / "LC_MESSAGES" / "messages.po"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace('"X-Language-Name: English\\n"\n', ""))
    with pytest.raises(CatalogError, match="X-Language-Name"):
        load_languages(root)


def test_catalogs_are_served_as_json() -> None:
    from appliance.kiosk import create_kiosk_app

    app = create_kiosk_app(ScriptedBridge())
    client = app.test_client()
    listing = client.get("/i18n/languages.json")
    assert listing.status_code == 200
    assert listing.json[0]["code"] == "de"
    assert {lang["code"]: lang["dir"] for lang in listing.json}["ar"] == "rtl"
    ar = client.get("/i18n/ar.json")
    assert ar.status_code == 200
    assert ar.json["dir"] == "rtl" and ar.json["lang"] == "ar"
    assert ar.json["messages"]["welcome.call"] == "اتصال"
    ls = client.get("/i18n/ls.json").json
    assert ls["lang"] == "de" and ls["code"] == "ls"
    assert client.get("/i18n/xx.json").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert 'data-test="lang-uk" data-code="uk"' in page and ">Українська<" in page
