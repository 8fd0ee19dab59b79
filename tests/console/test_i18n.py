"""The console in German and English: complete catalogs, negotiation, the language switch.

Catalog completeness is checked across every ``*.po`` file of every feature, so a key one
engineer adds in German only fails here, not in front of an English-speaking caseworker.
"""

from __future__ import annotations

import re
import string

import aiohttp
import pytest

from console.config import default_web_dir
from console.i18n import LANGUAGES, Translations, _read, negotiate
from console.store import Store
from tests.console.conftest import RunningConsole
from tests.console.helpers import csrf_from, login

ROOT = default_web_dir() / "translations"


def catalog_files() -> dict[str, dict[str, dict[str, str]]]:
    """language -> file name -> messages."""
    return {
        code: {
            path.name: _read(path) for path in sorted((ROOT / code / "LC_MESSAGES").glob("*.po"))
        }
        for code in LANGUAGES
    }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_both_languages() -> None:
    files = catalog_files()
    assert set(files["de"]) == set(files["en"]), "each catalog file exists in de and en"
    for name in files["de"]:
        de, en = files["de"][name], files["en"][name]
        assert not set(de) - set(en), f"{name}: only in German: {sorted(set(de) - set(en))}"
        assert not set(en) - set(de), f"{name}: only in English: {sorted(set(en) - set(de))}"
        for key in de:
            assert placeholders(de[key]) == placeholders(en[key]), f"{name}: {key} placeholders"
    merged = Translations.load(ROOT)  # raises on a key defined in two files
    assert merged.keys("de") == merged.keys("en")


def test_sign_in_templates_use_only_defined_keys() -> None:
    merged = Translations.load(ROOT)
    templates = default_web_dir() / "templates"
    for name in (
        "base.html",
        "login.html",
        "totp.html",
        "totp_setup.html",
        "sso.html",
        "sso_continue.html",
        "_language.html",
    ):
        text = (templates / name).read_text(encoding="utf-8")
        for key in re.findall(r"\bt\('([a-z0-9_.]+)'", text):
            assert key in merged.keys("de") and key in merged.keys("en"), f"{name}: {key}"


@pytest.mark.parametrize(
    ("header", "choice", "expected"),
    [
        (None, None, "de"),
        ("en-US,en;q=0.9", None, "en"),
        ("fr-FR,fr;q=0.9,en;q=0.5,de;q=0.4", None, "en"),
        ("fr", None, "de"),
        ("en", "de", "de"),
        ("de", "xx", "de"),
        ("en;q=bogus,de;q=0.1", None, "de"),
    ],
)
def test_negotiation(header: str | None, choice: str | None, expected: str) -> None:
    assert negotiate(header, choice) == expected


async def text_of(http: aiohttp.ClientSession, url: str, **headers: str) -> str:
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_login_page_follows_the_browser(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    german = await text_of(http, f"{console.base}/login")
    assert '<html lang="de">' in german and "Benutzername" in german
    english = await text_of(http, f"{console.base}/login", **{"Accept-Language": "en-GB,en"})
    assert '<html lang="en">' in english and "Username" in english and "Sign in" in english
    assert "Benutzername" not in english
    sso = await text_of(http, f"{console.base}/login/sso", **{"Accept-Language": "en"})
    assert "Name of your municipality" in sso


async def test_switch_on_login_page_and_saved_for_the_person(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    token = csrf_from(await text_of(http, f"{console.base}/login"))
    url = f"{console.base}/language"
    async with http.post(url, data={"lang": "en", "next": "/login"}, allow_redirects=False) as r:
        assert r.status == 403  # no CSRF token
    form = {"lang": "en", "next": "/login", "csrf_token": token}
    async with http.post(url, data=form, allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (303, "/login")
    page = await text_of(http, f"{console.base}/login", **{"Accept-Language": "de"})
    assert '<html lang="en">' in page and 'data-test="lang-en"' in page
    # Signing in keeps the choice; the console page's header is in English.
    assert (await login(http, console, "alice")).status == 303
    console_page = await text_of(http, f"{console.base}/", **{"Accept-Language": "de"})
    assert '<html lang="en">' in console_page and "Sign out everywhere" in console_page
    # Switching while signed in is saved for the person: a new browser gets it too.
    token = csrf_from(console_page)
    form = {"lang": "de", "next": "/", "csrf_token": token}
    async with http.post(url, data=form, allow_redirects=False) as resp:
        assert resp.headers["Location"] == "/"
    record = await store.caseworker_by_username("alice")
    assert record is not None and record.language == "de"
    form = {"lang": "en", "next": "/", "csrf_token": token}
    async with http.post(url, data=form, allow_redirects=False) as resp:
        assert resp.status == 303
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await login(other, console, "alice")
        fresh = await text_of(other, f"{console.base}/", **{"Accept-Language": "de"})
        assert '<html lang="en">' in fresh


@pytest.mark.parametrize(
    ("form", "status", "where"),
    [
        ({"lang": "fr"}, 400, None),
        ({"lang": "en", "next": "https://evil.example/"}, 303, "/"),
        ({"lang": "en", "next": "//evil.example/"}, 303, "/"),
        ({"lang": "en", "next": "/\\evil.example"}, 303, "/"),
        ({"lang": "en", "next": "/login/sso"}, 303, "/login/sso"),
    ],
)
async def test_switch_refuses_bad_input_and_foreign_targets(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    form: dict[str, str],
    status: int,
    where: str | None,
) -> None:
    token = csrf_from(await text_of(http, f"{console.base}/login"))
    async with http.post(
        f"{console.base}/language", data={**form, "csrf_token": token}, allow_redirects=False
    ) as resp:
        assert resp.status == status
        assert resp.headers.get("Location") == where
