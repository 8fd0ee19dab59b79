"""TOTP second factor: setup on first sign-in, the code step, single use, throttling, reset.

The console here runs as in production (``require_second_factor`` on). Codes are computed
with pyotp from the secret the setup page shows, as an authenticator app would.
"""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import time
from pathlib import Path

import aiohttp
import pyotp
import pytest

from console import __main__ as cli
from console import totp
from console.config import ConsoleConfig
from console.store import Store
from tests.console.conftest import PASSWORD, RunningConsole
from tests.console.helpers import csrf_from, login


@pytest.fixture
def config(tmp_path: Path, template_db: Path) -> ConsoleConfig:
    shutil.copy(template_db, tmp_path / "console.db")
    return ConsoleConfig(data_dir=tmp_path, cookie_secure=False, require_second_factor=True)


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with http.get(url, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def post(http: aiohttp.ClientSession, url: str, form: dict[str, str]) -> tuple[int, str, str]:
    async with http.post(url, data=form, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def clear_of_step_boundary(margin_s: float = 6.0) -> None:
    """Wait until the current 30 s step has ``margin_s`` left, so steps stay put in a test."""
    left = totp.STEP_S - time.time() % totp.STEP_S
    if left < margin_s:
        await asyncio.sleep(left + 0.1)


async def set_up(http: aiohttp.ClientSession, console: RunningConsole, user: str) -> str:
    """Sign in with password, read the new secret, confirm it; the secret."""
    resp = await login(http, console, user)
    assert resp.headers["Location"] == "/login/totp/setup"
    status, _, html = await get(http, f"{console.base}/login/totp/setup")
    assert status == 200
    secret = re.search(r'data-test="totp-secret">([A-Z2-7 ]+)<', html)
    assert secret
    key = secret.group(1).replace(" ", "")
    code = totp.code_at(key, totp.current_step())
    form = {"code": code, "csrf_token": csrf_from(html)}
    assert (await post(http, f"{console.base}/login/totp/setup", form))[:2] == (303, "/")
    return key


async def test_setup_shows_secret_and_qr_then_signs_in(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    resp = await login(http, console, "alice")
    assert (resp.status, resp.headers["Location"]) == (303, "/login/totp/setup")
    # Password alone is not a session: no console page, no socket.
    assert (await get(http, f"{console.base}/"))[:2] == (303, "/login")
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(f"{console.ws_base}/ws/caseworker", origin=f"http://{console.host}")
    status, _, html = await get(http, f"{console.base}/login/totp/setup")
    assert status == 200
    qr = re.search(r'<img class="totp-qr" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert qr and b"<svg" in base64.b64decode(qr.group(1))
    found = re.search(r'data-test="totp-secret">([A-Z2-7 ]+)<', html)
    assert found
    secret = found.group(1).replace(" ", "")
    assert len(secret) == 32
    token = csrf_from(html)
    # The same secret until confirmed (reloading the page must not invalidate the app).
    assert secret in (await get(http, f"{console.base}/login/totp/setup"))[2].replace(" ", "")
    wrong = await post(
        http, f"{console.base}/login/totp/setup", {"code": "000000", "csrf_token": token}
    )
    assert wrong[0] == 401 and 'data-test="login-error"' in wrong[2]
    assert (await store.caseworker_by_username("alice")).totp_secret is None  # type: ignore[union-attr]
    await clear_of_step_boundary()
    code = pyotp.TOTP(secret).now()
    ok = await post(http, f"{console.base}/login/totp/setup", {"code": code, "csrf_token": token})
    assert ok[:2] == (303, "/")
    assert (await get(http, f"{console.base}/"))[0] == 200
    record = await store.caseworker_by_username("alice")
    assert record is not None and record.totp_secret == secret


async def test_code_step_accepts_each_code_once(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    await clear_of_step_boundary()
    now = totp.current_step()
    secret = await set_up(http, console, "alice")
    http.cookie_jar.clear_domain("127.0.0.1")
    resp = await login(http, console, "alice")
    assert resp.headers["Location"] == "/login/totp"
    status, _, html = await get(http, f"{console.base}/login/totp")
    assert status == 200 and 'autocomplete="one-time-code"' in html
    token = csrf_from(html)
    url = f"{console.base}/login/totp"
    # The setup code (step `now`) was used already, and so was every earlier step.
    for step in (now, now - 1):
        got = await post(http, url, {"code": totp.code_at(secret, step), "csrf_token": token})
        assert got[0] == 401, step
    assert (await post(http, url, {"code": totp.code_at(secret, now + 2), "csrf_token": token}))[
        0
    ] == 401
    next_code = totp.code_at(secret, now + 1)  # within the one-step window
    assert (await post(http, url, {"code": next_code, "csrf_token": token}))[:2] == (303, "/")
    assert (await get(http, f"{console.base}/"))[0] == 200
    # Replaying that code in another browser fails.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await login(other, console, "alice")
        _, _, html = await get(other, url)
        replay = await post(other, url, {"code": next_code, "csrf_token": csrf_from(html)})
        assert replay[0] == 401


async def test_wrong_codes_are_throttled_like_passwords(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    await set_up(http, console, "alice")
    http.cookie_jar.clear_domain("127.0.0.1")
    await login(http, console, "alice")
    _, _, html = await get(http, f"{console.base}/login/totp")
    token = csrf_from(html)
    for _ in range(5):
        got = await post(
            http, f"{console.base}/login/totp", {"code": "12345x", "csrf_token": token}
        )
        assert got[0] == 401
    async with http.post(
        f"{console.base}/login/totp", data={"code": "123456", "csrf_token": token},
        allow_redirects=False,
    ) as resp:  # fmt: skip
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 60


async def test_pending_sign_in_needs_csrf_and_expires_with_a_new_login(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    assert (await get(http, f"{console.base}/login/totp"))[:2] == (303, "/login")
    assert (await get(http, f"{console.base}/login/totp/setup"))[:2] == (303, "/login")
    await login(http, console, "alice")
    got = await post(http, f"{console.base}/login/totp/setup", {"code": "123456"})
    assert got[:2] == (303, "/login")  # no CSRF token: start again
    assert (await get(http, f"{console.base}/login/totp/setup"))[:2] == (303, "/login")


def test_cli_reset_second_factor(
    config: ConsoleConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from console.store import Database
    from console.store.accounts import AccountStore

    async def prepare() -> int:
        db = Database.open(config.url)
        try:
            store = Store(db)
            await store.add_municipality("Aldorf")
            record = await store.add_caseworker("Aldorf", "alice", "Alice", "x")
            assert await AccountStore(db).enroll_totp(record.id, totp.new_secret(), 1)
            return record.session_version
        finally:
            await db.close()

    async def after() -> tuple[str | None, int]:
        db = Database.open(config.url)
        try:
            record = await Store(db).caseworker_by_username("alice")
            assert record is not None
            return record.totp_secret, record.session_version
        finally:
            await db.close()

    version = asyncio.run(prepare())
    monkeypatch.setenv("BT_CONSOLE_DATA_DIR", str(config.data_dir))
    assert cli.main(["reset-second-factor", "alice"]) == 0
    assert "removed" in capsys.readouterr().err
    assert asyncio.run(after()) == (None, version + 1)  # and every session ended
    assert cli.main(["reset-second-factor", "nobody"]) == 2


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_window_is_one_step_either_way(offset: int) -> None:
    secret = totp.new_secret()
    now = 1_700_000_000.0
    step = totp.current_step(now)
    assert totp.matching_step(secret, totp.code_at(secret, step + offset), now) == step + offset
    code = totp.code_at(secret, step + offset)
    assert totp.matching_step(secret, code[:3] + " " + code[3:], now) == step + offset


def test_codes_outside_the_window_or_malformed_fail() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000.0
    step = totp.current_step(now)
    for far in (step - 2, step + 2, step - 100):
        code = totp.code_at(secret, far)
        if code not in {totp.code_at(secret, s) for s in (step - 1, step, step + 1)}:
            assert totp.matching_step(secret, code, now) is None
    for bad in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert totp.matching_step(secret, bad, now) is None


def test_rfc6238_vector() -> None:
    """RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits; we use the last 6)."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(secret, 59 // 30) == "287082"


def test_provisioning_uri_names_console_and_person() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DP", "alice", "Aldorf")
    assert uri.startswith("otpauth://totp/")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DP" in uri and "alice" in uri and "Aldorf" in uri


async def test_sign_ins_are_audited(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    from sqlalchemy import select

    from console.store.models import AuditEntry

    await set_up(http, console, "alice")
    for _ in range(50):  # the audit writer runs in the background
        async with store.db.session() as s:
            rows = (await s.execute(select(AuditEntry.action, AuditEntry.detail))).all()
        if len(rows) >= 2:
            break
        await asyncio.sleep(0.1)
    actions = {action: detail for action, detail in rows}
    assert "second_factor_enrolled" in actions
    assert "password+totp" in actions["signed_in"]


async def test_setup_and_code_step_in_chromium(console: RunningConsole) -> None:
    """The QR code renders under the page's CSP, and the whole flow works in a browser."""
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            blocked: list[str] = []
            page.on("console", lambda m: blocked.append(m.text) if "Policy" in m.text else None)
            await page.goto(f"{console.base}/login")
            await page.fill("input[name=username]", "alice")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("[data-test=login]")
            await page.wait_for_url(f"{console.base}/login/totp/setup")
            qr = page.locator("[data-test=totp-qr]")
            assert await qr.evaluate("img => img.complete && img.naturalWidth") > 0
            secret = (await page.text_content("[data-test=totp-secret]") or "").replace(" ", "")
            await clear_of_step_boundary()
            await page.fill("[data-test=totp-code]", totp.code_at(secret, totp.current_step()))
            await page.click("[data-test=totp-submit]")
            await page.wait_for_url(f"{console.base}/")
            await page.click("[data-test=logout]")
            await page.fill("input[name=username]", "alice")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("[data-test=login]")
            await page.wait_for_url(f"{console.base}/login/totp")
            await page.fill("[data-test=totp-code]", totp.code_at(secret, totp.current_step() + 1))
            await page.click("[data-test=totp-submit]")
            await page.wait_for_url(f"{console.base}/")
            assert await page.text_content("[data-test=caseworker]") == "Alice Amt"
            assert blocked == []
        finally:
            await browser.close()
