"""Single sign-on against a real OpenID Connect provider process (tests/console/oidc_provider.py).

The browser's part is played by an aiohttp client that follows the redirects by hand, so
each hop (console -> provider -> console) is checked. The provider checks client secret,
redirect URI, single-use code and PKCE verifier; the console must refuse every tampered
answer: wrong nonce, state, issuer, audience, signature, expired, ``alg: none``, HS256.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import update

from console import __main__ as cli
from console.config import ConsoleConfig
from console.errors import InvalidInputError
from console.oidc import check_provider_url
from console.store import Store
from console.store.accounts import AccountStore
from console.store.models import Caseworker
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.conftest import RunningConsole
from tests.console.helpers import csrf_from

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "console-aldorf"
CLIENT_SECRET = "s3cret-of-aldorf"


@dataclass
class IdP:
    issuer: str
    proc: subprocess.Popen[str]

    async def control(self, http: aiohttp.ClientSession, **body: object) -> None:
        async with http.post(f"{self.issuer}/control", json=body) as resp:
            assert resp.status == 200

    async def token_requests(self, http: aiohttp.ClientSession) -> list[dict[str, bool]]:
        async with http.get(f"{self.issuer}/control") as resp:
            found: list[dict[str, bool]] = (await resp.json())["token_requests"]
            return found


@pytest.fixture
def config(tmp_path: Path, template_db: Path) -> ConsoleConfig:
    """Second factor required, as in production: SSO sign-ins must not ask for it."""
    shutil.copy(template_db, tmp_path / "console.db")
    return ConsoleConfig(data_dir=tmp_path, cookie_secure=False, require_second_factor=True)


@pytest.fixture
def idp() -> Iterator[IdP]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.console.oidc_provider", "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("listening "), line
    yield IdP(line.split(" ", 1)[1], proc)
    proc.terminate()
    proc.wait(10)


@pytest.fixture
async def aldorf_sso(store: Store, idp: IdP, console: RunningConsole) -> int:
    record = await AccountStore(store.db).set_provider(
        "Aldorf", idp.issuer, CLIENT_ID, CLIENT_SECRET
    )
    return record.municipality_id


async def sso_sign_in(
    http: aiohttp.ClientSession, console: RunningConsole, municipality_id: int
) -> tuple[int, str]:
    """Walk the redirects; the console callback's status and page (or Location)."""
    async with http.get(
        f"{console.base}/login/sso/{municipality_id}", allow_redirects=False
    ) as resp:
        assert resp.status == 303, await resp.text()
        authorize = resp.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["openid profile email"]
    assert len(query["state"][0]) >= 43 and len(query["nonce"][0]) >= 43
    async with http.get(authorize, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        back = resp.headers["Location"]
    assert back.startswith(f"{console.base}/login/sso/callback?")
    async with http.get(back, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location") or await resp.text()


async def signed_in_as(http: aiohttp.ClientSession, console: RunningConsole) -> str | None:
    async with http.get(f"{console.base}/", allow_redirects=False) as resp:
        if resp.status != 200:
            return None
        html = await resp.text()
        return "Alice Amt" if "Alice Amt" in html else html[:200]


async def test_first_sign_in_links_by_username_then_by_subject(
    http: aiohttp.ClientSession, console: RunningConsole, idp: IdP, aldorf_sso: int, store: Store
) -> None:
    status, where = await sso_sign_in(http, console, aldorf_sso)
    assert (status, where) == (303, "/")
    assert await signed_in_as(http, console) == "Alice Amt"
    log = await idp.token_requests(http)
    assert log == [{"auth_ok": True, "code_ok": True, "pkce_ok": True, "redirect_ok": True}]
    # Linked now: a later sign-in is recognised by sub even if the username claim changed.
    await idp.control(http, user={"sub": "subject-1", "preferred_username": "renamed"})
    http.cookie_jar.clear_domain("127.0.0.1")
    assert await signed_in_as(http, console) is None
    assert await sso_sign_in(http, console, aldorf_sso) == (303, "/")
    assert await signed_in_as(http, console) == "Alice Amt"
    # The link is one person only: another subject claiming alice's name is refused.
    await idp.control(http, user={"sub": "subject-2", "preferred_username": "alice"})
    http.cookie_jar.clear_domain("127.0.0.1")
    status, page = await sso_sign_in(http, console, aldorf_sso)
    assert status == 403 and "nicht freigeschaltet" in page


async def test_sso_needs_no_second_factor_even_when_required(
    http: aiohttp.ClientSession, console: RunningConsole, idp: IdP, aldorf_sso: int
) -> None:
    assert await sso_sign_in(http, console, aldorf_sso) == (303, "/")


@pytest.mark.parametrize(
    ("user", "why"),
    [
        ({"sub": "x-9", "preferred_username": "mallory"}, "unknown person"),
        ({"sub": "x-10", "preferred_username": "bert"}, "person of another municipality"),
        ({"sub": "x-11", "email": "anton@aldorf.example"}, "email is not a username"),
    ],
)
async def test_unknown_people_are_refused(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    idp: IdP,
    aldorf_sso: int,
    user: dict[str, str],
    why: str,
) -> None:
    await idp.control(http, user=user)
    status, page = await sso_sign_in(http, console, aldorf_sso)
    assert status == 403, why
    assert "nicht freigeschaltet" in page
    assert await signed_in_as(http, console) is None


async def test_email_links_when_it_is_the_username(
    http: aiohttp.ClientSession, console: RunningConsole, idp: IdP, aldorf_sso: int
) -> None:
    await idp.control(http, user={"sub": "x-12", "email": "ALICE"})
    assert await sso_sign_in(http, console, aldorf_sso) == (303, "/")


async def test_inactive_person_is_refused(
    http: aiohttp.ClientSession, console: RunningConsole, idp: IdP, aldorf_sso: int, store: Store
) -> None:
    async with store.db.session() as s, s.begin():
        await s.execute(
            update(Caseworker).where(Caseworker.username == "alice").values(active=False)
        )
    status, _ = await sso_sign_in(http, console, aldorf_sso)
    assert status == 403
    assert await signed_in_as(http, console) is None


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        ("nonce", 403),
        ("issuer", 403),
        ("audience", 403),
        ("signature", 403),
        ("expired", 403),
        ("alg_none", 403),
        ("hs256", 403),
        ("state", 400),
        ("error", 502),
    ],
)
async def test_tampered_answers_are_refused(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    idp: IdP,
    aldorf_sso: int,
    tamper: str,
    status: int,
) -> None:
    await idp.control(http, tamper=tamper)
    got, page = await sso_sign_in(http, console, aldorf_sso)
    assert got == status, page
    assert 'data-test="login-error"' in page
    assert await signed_in_as(http, console) is None


async def test_callback_is_single_use_and_needs_this_browser(
    http: aiohttp.ClientSession, console: RunningConsole, idp: IdP, aldorf_sso: int
) -> None:
    async with http.get(f"{console.base}/login/sso/{aldorf_sso}", allow_redirects=False) as resp:
        authorize = resp.headers["Location"]
    async with http.get(authorize, allow_redirects=False) as resp:
        back = resp.headers["Location"]
    # Another browser (no flow in its session) cannot use the callback URL.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as other, other.get(back) as resp:
        assert resp.status == 400
    async with http.get(back, allow_redirects=False) as resp:
        assert resp.status == 303
    http.cookie_jar.clear_domain("127.0.0.1")
    async with http.get(back, allow_redirects=False) as resp:  # replayed
        assert resp.status == 400


async def test_entry_form_asks_for_the_municipality(
    http: aiohttp.ClientSession, console: RunningConsole, idp: IdP, aldorf_sso: int
) -> None:
    async with http.get(f"{console.base}/login") as resp:
        assert 'href="/login/sso"' in await resp.text()
    async with http.get(f"{console.base}/login/sso") as resp:
        html = await resp.text()
        assert resp.status == 200 and 'name="municipality"' in html
        assert "Aldorf" not in html and "Bestadt" not in html  # never lists tenants
        token = csrf_from(html)
    # A page that moves on by script: a redirect after the form post would break the CSP's
    # form-action 'self' once it reaches the provider (Chromium blocks it).
    for name, status in [("aldorf", 200), ("Bestadt", 404), ("Nirgendwo", 404), ("", 404)]:
        form = {"municipality": name, "csrf_token": token}
        async with http.post(f"{console.base}/login/sso", data=form, allow_redirects=False) as resp:
            assert resp.status == status, name
            if status == 200:
                html = await resp.text()
                assert f'href="/login/sso/{aldorf_sso}" data-test="sso-continue"' in html
                assert "sso.js" in html
    async with http.post(
        f"{console.base}/login/sso", data={"municipality": "Aldorf"}, allow_redirects=False
    ) as resp:
        assert resp.status == 403  # no CSRF token
    async with http.get(f"{console.base}/login/sso/999", allow_redirects=False) as resp:
        assert resp.status == 404


async def test_unreachable_provider_is_a_clear_error(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    muni = await AccountStore(store.db).set_provider(
        "Bestadt", "http://127.0.0.1:9", "c", "s"
    )  # port 9 (discard): connection refused
    async with http.get(
        f"{console.base}/login/sso/{muni.municipality_id}", allow_redirects=False
    ) as resp:
        assert resp.status == 502
        assert 'data-test="login-error"' in await resp.text()


def test_provider_urls_must_be_https() -> None:
    assert check_provider_url("https://idp.example/realms/a")
    assert check_provider_url("http://127.0.0.1:8000")
    for bad in ["http://idp.example", "ftp://idp.example", "https://", "javascript:alert(1)"]:
        with pytest.raises(InvalidInputError):
            check_provider_url(bad)


def test_cli_set_sso_reads_the_secret_from_stdin(
    config: ConsoleConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import io

    from console.store import Database

    monkeypatch.setenv("BT_CONSOLE_DATA_DIR", str(config.data_dir))
    assert cli.main(["add-municipality", "Cedorf"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("geheim-aus-stdin\n"))
    args = ["set-sso", "--municipality", "Cedorf", "--issuer", "https://idp.cedorf.example",
            "--client-id", "console"]  # fmt: skip
    assert cli.main(args) == 0
    assert "/login/sso/" in capsys.readouterr().err

    async def read() -> tuple[str, str, str]:
        db = Database.open(config.url)
        try:
            accounts = AccountStore(db)
            muni = await accounts.municipality_id("Cedorf")
            assert muni is not None
            found = await accounts.provider(muni)
            assert found is not None
            return found.issuer, found.client_id, found.client_secret
        finally:
            await db.close()

    found = asyncio.run(read())
    assert found == ("https://idp.cedorf.example", "console", "geheim-aus-stdin")
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    args[4] = "http://idp.cedorf.example"
    assert cli.main(args) == 2  # plain http refused
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert cli.main(["set-sso", "--municipality", "Nirgendwo", "--issuer",
                     "https://a.example", "--client-id", "c"]) == 2  # fmt: skip


async def test_whole_flow_in_chromium(console: RunningConsole, idp: IdP, aldorf_sso: int) -> None:
    """The browser enforces what aiohttp does not: the CSP's form-action on the way out."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            blocked: list[str] = []
            page.on("console", lambda m: blocked.append(m.text) if "Policy" in m.text else None)
            await page.goto(f"{console.base}/login")
            await page.click("[data-test=sso-link]")
            await page.fill("[data-test=sso-municipality]", "Aldorf")
            await page.click("[data-test=sso-submit]")
            await page.wait_for_url(f"{console.base}/", timeout=10_000)
            assert await page.text_content("[data-test=caseworker]") == "Alice Amt"
            assert blocked == []
        finally:
            await browser.close()
