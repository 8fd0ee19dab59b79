"""Enrollment against a fake console endpoint, and the credential file's mode."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from appliance.credentials import Enrollment, enroll, load_credential, save_enrollment
from appliance.errors import EnrollmentError, NotEnrolledError

REFUSALS = {"used": (409, "code_used"), "old": (410, "code_expired"), "": (400, "bad_request")}


@pytest.fixture
async def console_url() -> AsyncIterator[str]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        code = body.get("code", "")
        if code == "good":
            assert body["software"].startswith("test/")
            return web.json_response(
                {"terminal_id": "t1", "credential": "cred-xyz", "name": "T1", "municipality": "M"}
            )
        status, err = REFUSALS.get(code, (404, "code_invalid"))
        return web.json_response({"error": {"code": err, "message": "no"}}, status=status)

    app = web.Application()
    app.router.add_post("/api/v1/enroll", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_enroll_success(console_url: str) -> None:
    result = await enroll(console_url, "good", software="test/1")
    assert result == Enrollment("t1", "cred-xyz", "T1", "M")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("bogus", "code_invalid"),
        ("used", "code_used"),
        ("old", "code_expired"),
        ("", "bad_request"),
    ],
)
async def test_enroll_refusals(console_url: str, code: str, expected: str) -> None:
    with pytest.raises(EnrollmentError) as err:
        await enroll(console_url, code, software="test/1")
    assert err.value.code == expected
    assert str(err.value)


async def test_enroll_unreachable() -> None:
    with pytest.raises(EnrollmentError) as err:
        await enroll("http://127.0.0.1:9", "good", software="test/1", timeout_s=2)
    assert err.value.code == "unreachable"


def test_credential_file_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(NotEnrolledError):
        load_credential(data)
    path = save_enrollment(data, Enrollment("t1", "cred-xyz", "T1", "M"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credential(data) == "cred-xyz"
    save_enrollment(data, Enrollment("t1", "cred-new", "T1", "M"))  # replaced atomically
    assert load_credential(data) == "cred-new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in data.iterdir() if p.name.endswith(".tmp")] == []
