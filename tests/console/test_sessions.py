"""Sessions end: absolute lifetime, idle timeout, sign out everywhere, deactivation.

The console is real (hypercorn on loopback); short limits (2-3 s) stand in for the
production hours. "Sign out everywhere" must stop other browsers' sessions and close an
open console socket within one heartbeat.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from console.config import ConsoleConfig
from console.sessions import expired, pending, sign_in, start_pending
from console.store import CaseworkerRecord, Store
from console.store.models import Caseworker
from protocol.messages import PROTOCOL_VERSION, Hello, Ping, Welcome
from tests.console.conftest import RunningConsole
from tests.console.helpers import Peer, csrf_from, login


@pytest.fixture
def config(request: pytest.FixtureRequest, tmp_path: Path, template_db: Path) -> ConsoleConfig:
    """conftest's config, with this test's ``session_*`` limits (indirect parameter)."""
    shutil.copy(template_db, tmp_path / "console.db")
    limits: dict[str, Any] = getattr(request, "param", {})
    return ConsoleConfig(
        data_dir=tmp_path, cookie_secure=False, require_second_factor=False, **limits
    )


async def status_of_page(http: aiohttp.ClientSession, console: RunningConsole) -> int:
    async with http.get(f"{console.base}/", allow_redirects=False) as resp:
        return resp.status


@pytest.mark.parametrize("config", [{"session_idle_s": 2}], indirect=True)
async def test_idle_session_ends_and_use_keeps_it(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    assert (await login(http, console, "alice")).status == 303
    for _ in range(6):  # 3 s of use: every request counts
        assert await status_of_page(http, console) == 200
        await asyncio.sleep(0.5)
    await asyncio.sleep(2.2)
    assert await status_of_page(http, console) == 303


@pytest.mark.parametrize("config", [{"session_idle_s": 2}], indirect=True)
async def test_keep_alive_counts_as_use(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    await login(http, console, "alice")
    async with http.get(f"{console.base}/") as resp:
        token = csrf_from(await resp.text())
    async with http.post(f"{console.base}/session/alive") as resp:
        assert resp.status == 403  # without the CSRF header
    for _ in range(5):
        await asyncio.sleep(0.6)
        headers = {"X-CSRF-Token": token}
        async with http.post(f"{console.base}/session/alive", headers=headers) as resp:
            assert resp.status == 204
    await asyncio.sleep(2.2)
    async with http.post(f"{console.base}/session/alive", headers=headers) as resp:
        assert resp.status == 401


@pytest.mark.parametrize("config", [{"session_max_age_s": 3}], indirect=True)
async def test_absolute_lifetime_ends_even_a_busy_session(
    http: aiohttp.ClientSession, console: RunningConsole
) -> None:
    await login(http, console, "alice")
    started = time.monotonic()
    while time.monotonic() - started < 2.5:
        assert await status_of_page(http, console) == 200
        await asyncio.sleep(0.3)
    await asyncio.sleep(0.8)
    assert await status_of_page(http, console) == 303


async def test_sign_out_everywhere(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    await login(http, console, "alice")
    other = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        await login(other, console, "alice")
        ws = await other.ws_connect(
            f"{console.ws_base}/ws/caseworker", origin=f"http://{console.host}"
        )
        peer = Peer(ws, caseworker=True)
        await peer.send(Hello(protocol=PROTOCOL_VERSION, software="test-page"))
        await peer.expect(Welcome)
        async with http.get(f"{console.base}/") as resp:
            html = await resp.text()
            assert 'action="/logout/all"' in html
            token = csrf_from(html)
        async with http.post(f"{console.base}/logout/all", allow_redirects=False) as resp:
            assert resp.status == 403  # CSRF token missing
        async with http.post(
            f"{console.base}/logout/all", data={"csrf_token": token}, allow_redirects=False
        ) as resp:
            assert (resp.status, resp.headers["Location"]) == (303, "/login?signed_out=all")
        async with http.get(f"{console.base}/login?signed_out=all") as resp:
            assert 'data-test="login-info"' in await resp.text()
        assert await status_of_page(http, console) == 303
        assert await status_of_page(other, console) == 303
        # The open socket: its next message (the page pings every heartbeat) closes it.
        await asyncio.sleep(1.1)
        await peer.send(Ping(seq=1))
        frame = await ws.receive(timeout=3)
        while frame.type == aiohttp.WSMsgType.TEXT:  # queue/office updates still in flight
            frame = await ws.receive(timeout=3)
        assert frame.type == aiohttp.WSMsgType.CLOSE and frame.data == 4401
        # Signing in again works, with the new version.
        assert (await login(other, console, "alice")).status == 303
        assert await status_of_page(other, console) == 200
    finally:
        await other.close()


async def test_deactivated_person_loses_session_and_cannot_sign_in(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store
) -> None:
    await login(http, console, "alice")
    assert await status_of_page(http, console) == 200
    async with store.db.session() as s, s.begin():
        alice = Caseworker.username == "alice"
        await s.execute(update(Caseworker).where(alice).values(active=False))
    assert await status_of_page(http, console) == 303
    resp = await login(http, console, "alice")
    assert resp.status == 403
    assert await status_of_page(http, console) == 303


def record(version: int = 1) -> CaseworkerRecord:
    return CaseworkerRecord(
        id=7,
        username="alice",
        display_name="Alice",
        password_hash="x",
        session_version=version,
        municipality_id=1,
        municipality_name="Aldorf",
        language="en",
    )


def test_limits_are_in_the_cookie() -> None:
    session: dict[str, Any] = {"lang": "de", "csrf": "old"}
    sign_in(session, record(), max_age_s=100, idle_s=10, now=1000.0)
    assert session["lang"] == "en"  # the person's saved language wins
    assert "csrf" not in session  # a fresh CSRF token after sign-in
    assert not expired(session, 1009.0)
    assert expired(session, 1010.0)  # idle
    session["seen"] = 1095.0
    assert not expired(session, 1099.0)
    assert expired(session, 1100.0)  # absolute
    for key in ("iat", "seen", "idle", "max"):
        damaged = dict(session)
        damaged[key] = "soon"
        assert expired(damaged, 1000.0)


def test_pending_lasts_five_minutes() -> None:
    session: dict[str, Any] = {}
    start_pending(session, record(3), now=1000.0)
    found = pending(session, now=1299.0)
    assert found is not None and (found.caseworker_id, found.version) == (7, 3)
    assert pending(session, now=1300.0) is None
    assert pending(session, now=999.0) is None  # from the future: refused
    assert pending({"pending": [7, True, 1000]}, now=1000.0) is None


def test_config_defaults_and_environment() -> None:
    from console.config import load_config
    from console.errors import ConfigError

    default = load_config(None, {})
    assert default.require_second_factor is True  # security by default
    assert (default.session_idle_s, default.session_max_age_s) == (2 * 3600, 12 * 3600)
    env = {"BT_CONSOLE_REQUIRE_SECOND_FACTOR": "false", "BT_CONSOLE_SESSION_IDLE_S": "600"}
    changed = load_config(None, env)
    assert (changed.require_second_factor, changed.session_idle_s) == (False, 600)
    for bad in ({"BT_CONSOLE_REQUIRE_SECOND_FACTOR": "auto"}, {"BT_CONSOLE_SESSION_IDLE_S": "0"}):
        with pytest.raises(ConfigError):
            load_config(None, bad)
