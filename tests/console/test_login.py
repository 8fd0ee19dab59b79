"""Sign-in, sign-out, CSRF, throttling and the caseworker socket's auth."""

from __future__ import annotations

import aiohttp
import pytest

from console import totp
from console.store import Store
from console.store.accounts import AccountStore
from tests.console.conftest import RunningConsole
from tests.console.helpers import csrf_from, login


async def test_login_page_and_success(http: aiohttp.ClientSession, console: RunningConsole) -> None:
    async with http.get(f"{console.base}/", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].endswith("/login")
    async with http.get(f"{console.base}/login") as resp:
        html = await resp.text()
        assert 'name="username"' in html and 'name="password"' in html
        assert 'data-test="login"' in html
        assert 'href="/login/sso"' not in html  # no municipality uses single sign-on
        cookie = resp.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    resp = await login(http, console, "alice")
    assert resp.status == 303 and resp.headers["Location"] == "/"
    async with http.get(f"{console.base}/") as page:
        html = await page.text()
        assert page.status == 200
        for marker in ("Alice Amt", "Aldorf", 'data-test="call-state"', 'data-test="hangup"'):
            assert marker in html
        token = csrf_from(html)
    async with http.post(f"{console.base}/logout", data={}, allow_redirects=False) as resp:
        assert resp.status == 403  # no CSRF token
    async with http.post(
        f"{console.base}/logout", data={"csrf_token": token}, allow_redirects=False
    ) as resp:
        assert resp.status == 303
    async with http.get(f"{console.base}/", allow_redirects=False) as resp:
        assert resp.status == 303


async def test_failures_are_generic_and_csrf_is_required(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    wrong_pw = await login(http, console, "alice", "falsch-falsch")
    unknown = await login(http, console, "niemand", "falsch-falsch")
    assert wrong_pw.status == unknown.status == 401
    async with http.post(
        f"{console.base}/login",
        data={"username": "alice", "password": "richtig-geheim", "csrf_token": "forged"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 403


async def test_throttle_after_five_failures(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    for _ in range(5):
        assert (await login(http, console, "alice", "falsch-falsch")).status == 401
    throttled = await login(http, console, "alice")  # even the right password waits
    assert throttled.status == 429
    assert int(throttled.headers["Retry-After"]) >= 60
    other = await login(http, console, "anton")  # same address: blocked too
    assert other.status == 429


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null"])
async def test_caseworker_socket_needs_same_origin(
    http: aiohttp.ClientSession, console: RunningConsole, origin: str | None
) -> None:
    await login(http, console, "alice")
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(f"{console.ws_base}/ws/caseworker", origin=origin)
    assert err.value.status == 403


async def test_caseworker_socket_needs_session(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(f"{console.ws_base}/ws/caseworker", origin=f"http://{console.host}")
    assert err.value.status == 401


async def test_with_second_factor_off_a_set_up_factor_is_still_asked(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    # conftest's console runs with require_second_factor off (as tests and the demo may).
    record = await store.caseworker_by_username("anton")
    assert record is not None
    assert await AccountStore(store.db).enroll_totp(record.id, totp.new_secret(), 1)
    resp = await login(http, console, "anton")
    assert (resp.status, resp.headers["Location"]) == (303, "/login/totp")
    async with http.get(f"{console.base}/", allow_redirects=False) as page:
        assert page.status == 303  # the password alone did not sign in
    resp = await login(http, console, "alice")  # no factor set up: straight in
    assert (resp.status, resp.headers["Location"]) == (303, "/")


async def test_signed_in_login_page_goes_to_the_console(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    await login(http, console, "alice")
    async with http.get(f"{console.base}/login", allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (303, "/")
