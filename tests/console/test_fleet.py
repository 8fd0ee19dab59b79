"""The fleet view: GET /api/v1/fleet, POST /api/v1/terminals/<id>/restart and the /fleet page.

A real console on hypercorn, real terminal sockets: each role of two municipalities and a
stranger, the health words, the persisted address and software, the call state, and the
restart command reaching the terminal (and the audit log).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from console.fleet import PartsHealth, part_health, parts_health
from console.store import Store
from console.store.models import AuditEntry
from protocol.messages import (
    PROTOCOL_VERSION,
    CallRequest,
    Error,
    Hello,
    OfficeStatus,
    PartsReport,
    Queued,
    TerminalRestart,
    Welcome,
)
from tests.console.conftest import RunningConsole, Seed, cheap_passwords
from tests.console.helpers import Peer, login

pytestmark = pytest.mark.both_backends

HEALTHY = {"camera": "ok", "microphone": "ok", "speaker": "ok", "printer": "ok", "button": "ok"}


# --- health words ----------------------------------------------------------------------------


def test_part_health_words() -> None:
    assert part_health("ok", "camera") == "ok"
    assert part_health("missing", "camera") == "missing"
    assert part_health("failed", "printer") == "failed"
    assert part_health(None, "speaker") == "unknown"
    assert part_health("eid", "card_reader") == "ok"  # a card inside: the reader works
    assert part_health("eid", "camera") == "unknown"
    assert part_health("on fire", "printer") == "unknown"


def test_parts_not_reported_are_unknown() -> None:
    health = parts_health({"camera": "missing", "button": "ok"})
    assert health == PartsHealth(camera="missing")
    assert (health.microphone, health.card_reader) == ("unknown", "unknown")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
async def roles(store: Store, seed: Seed) -> Seed:
    """Supervisor sven and admin ada in Aldorf, admin berta in Bestadt (plus the seed)."""
    passwords = cheap_passwords()
    from tests.console.conftest import PASSWORD

    for muni, user, name, role in [
        ("Aldorf", "sven", "Sven Super", "supervisor"),
        ("Aldorf", "ada", "Ada Admin", "admin"),
        ("Bestadt", "berta", "Berta Admin", "admin"),
    ]:
        await store.add_caseworker(muni, user, name, passwords.hash(PASSWORD), role=role)
    return seed


class Person:
    """A signed-in browser session with the page's CSRF token."""

    def __init__(self, http: aiohttp.ClientSession, console: RunningConsole) -> None:
        self.http = http
        self.console = console
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.console.base + path) as resp:
            body = (
                await resp.json() if resp.content_type == "application/json" else await resp.text()
            )
            return resp.status, body

    async def post(self, path: str, csrf: bool = True) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        async with self.http.post(self.console.base + path, headers=headers) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def people(console: RunningConsole, roles: Seed) -> AsyncIterator[dict[str, Person]]:
    out: dict[str, Person] = {}
    sessions = []
    for user in ("alice", "sven", "ada", "berta", "stranger"):
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(http)
        person = Person(http, console)
        if user != "stranger":
            assert (await login(http, console, user)).status == 303
            status, html = await person.get("/fleet")
            found = re.search(r'data-csrf="([^"]*)"', html) if status == 200 else None
            person.csrf = found.group(1) if found else ""
        out[user] = person
    yield out
    for http in sessions:
        await http.close()


async def connect(
    http: aiohttp.ClientSession, console: RunningConsole, credential: str, parts: dict[str, str],
    software: str = "bt-terminal 1.4.2",
) -> Peer:  # fmt: skip
    ws = await http.ws_connect(
        f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {credential}"}
    )
    peer = Peer(ws, caseworker=False)
    await peer.send(Hello(protocol=PROTOCOL_VERSION, software=software, parts=parts))
    await peer.expect(Welcome)
    await peer.expect(OfficeStatus)
    return peer


async def request_call(peer: Peer) -> Queued:
    """Request a call; retry while the console is still loading its routing directory."""
    for _ in range(50):
        await peer.send(CallRequest())
        msg = await peer.recv()
        while not isinstance(msg, Queued | Error):  # office and queue updates come and go
            msg = await peer.recv()
        if isinstance(msg, Queued):
            return msg
        assert msg.code == "unavailable", msg
        await asyncio.sleep(0.05)
    raise AssertionError("the call was never queued")


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["terminal_id"]: t for t in body["terminals"]}


# --- GET /api/v1/fleet -----------------------------------------------------------------------


async def test_fleet_lists_own_terminals_with_health_address_software_and_call(
    console: RunningConsole, people: dict[str, Person], roles: Seed, http: aiohttp.ClientSession
) -> None:
    a1 = await connect(http, console, roles.a1, {**HEALTHY, "camera": "missing"})
    b1 = await connect(http, console, roles.b1, HEALTHY, software="bt-terminal 0.9")
    await a1.send(PartsReport(parts={**HEALTHY, "camera": "missing", "card_reader": "egk"}))
    await request_call(a1)

    status, body = await people["sven"].get("/api/v1/fleet")
    assert status == 200
    seen = by_id(body)
    assert set(seen) == {roles.a1_id, roles.a2_id}  # never Bestadt's terminal
    a1_row = seen[roles.a1_id]
    assert a1_row["name"] == "Rathaus Aldorf" and a1_row["office"] == "Aldorf"
    assert a1_row["online"] is True and a1_row["call"] == "waiting"
    assert a1_row["software"] == "bt-terminal 1.4.2"
    assert a1_row["ip"] == "127.0.0.1"
    assert a1_row["health"] == {"camera": "missing", "microphone": "ok", "speaker": "ok",
                                "card_reader": "ok", "printer": "ok"}  # fmt: skip
    assert a1_row["parts"]["card_reader"] == "egk" and a1_row["parts"]["button"] == "ok"
    assert isinstance(a1_row["last_seen"], float) and abs(body["now"] - a1_row["last_seen"]) < 30
    a2_row = seen[roles.a2_id]
    assert a2_row["online"] is False and a2_row["call"] is None and a2_row["ip"] is None
    assert set(a2_row["health"].values()) == {"unknown"} and a2_row["last_seen"] is None

    status, body = await people["berta"].get("/api/v1/fleet")
    assert [t["terminal_id"] for t in body["terminals"]] == [roles.b1_id]
    assert body["terminals"][0]["software"] == "bt-terminal 0.9"

    # Gone: address and software are remembered from the database, the state says offline.
    await a1.close()
    await b1.close()
    for _ in range(100):
        if not console.hub.online(roles.a1_id):
            break
        await asyncio.sleep(0.02)
    status, body = await people["ada"].get("/api/v1/fleet")
    a1_row = by_id(body)[roles.a1_id]
    assert a1_row["online"] is False and a1_row["call"] is None
    assert (a1_row["ip"], a1_row["software"]) == ("127.0.0.1", "bt-terminal 1.4.2")
    assert a1_row["health"]["camera"] == "missing"  # as last reported


async def test_fleet_needs_a_supervisor(people: dict[str, Person]) -> None:
    assert (await people["stranger"].get("/api/v1/fleet"))[0] == 401
    status, body = await people["alice"].get("/api/v1/fleet")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await people["sven"].get("/api/v1/fleet"))[0] == 200
    assert (await people["ada"].get("/api/v1/fleet"))[0] == 200


async def test_caseworkers_keep_their_terminal_list(
    console: RunningConsole, people: dict[str, Person], roles: Seed
) -> None:
    status, body = await people["alice"].get("/api/v1/terminals")
    assert status == 200
    assert {t["terminal_id"] for t in body["terminals"]} == {roles.a1_id, roles.a2_id}
    assert (await people["stranger"].get("/api/v1/terminals"))[0] == 401


# --- POST /api/v1/terminals/<id>/restart -----------------------------------------------------


async def test_admin_restarts_an_online_terminal_and_it_is_audited(
    console: RunningConsole, people: dict[str, Person], roles: Seed, http: aiohttp.ClientSession
) -> None:
    a1 = await connect(http, console, roles.a1, HEALTHY)
    status, body = await people["ada"].post(f"/api/v1/terminals/{roles.a1_id}/restart")
    assert status == 202, body
    assert body == {"terminal_id": roles.a1_id, "status": "sent", "call_running": False}
    restart = await a1.expect(TerminalRestart)
    assert restart.reason
    entry = await audit_entry(console.store, "terminal.restart")
    assert (entry.target_kind, entry.target_id, entry.actor_name) == (
        "terminal",
        roles.a1_id,
        "Ada Admin",
    )
    # During a call the command still goes out; the terminal restarts after the call.
    await request_call(a1)
    status, body = await people["ada"].post(f"/api/v1/terminals/{roles.a1_id}/restart")
    assert status == 202 and body["call_running"] is True
    await until_restart(a1)
    await a1.close()


async def until_restart(peer: Peer) -> TerminalRestart:
    for _ in range(20):
        msg = await peer.recv()
        if isinstance(msg, TerminalRestart):
            return msg
    raise AssertionError("no terminal.restart")


async def test_restart_refusals(
    console: RunningConsole, people: dict[str, Person], roles: Seed, http: aiohttp.ClientSession
) -> None:
    a1 = await connect(http, console, roles.a1, HEALTHY)
    b1 = await connect(http, console, roles.b1, HEALTHY)
    path = f"/api/v1/terminals/{roles.a1_id}/restart"
    assert (await people["stranger"].post(path))[0] == 401
    assert (await people["alice"].post(path))[0] == 403
    assert (await people["sven"].post(path))[0] == 403  # supervisors see, admins restart
    status, body = await people["ada"].post(path, csrf=False)
    assert status == 403 and "X-CSRF-Token" in body["error"]["message"]
    # Another municipality's terminal, an unknown id and a silly one: all "not found".
    assert (await people["ada"].post(f"/api/v1/terminals/{roles.b1_id}/restart"))[0] == 404
    assert (await people["berta"].post(path))[0] == 404
    assert (await people["ada"].post("/api/v1/terminals/nope/restart"))[0] == 404
    assert (await people["ada"].post("/api/v1/terminals/" + "x" * 300 + "/restart"))[0] == 404
    # Offline: nobody to tell.
    status, body = await people["ada"].post(f"/api/v1/terminals/{roles.a2_id}/restart")
    assert status == 409 and body["error"]["code"] == "terminal_offline"
    await a1.silent()
    await b1.silent()
    await a1.close()
    await b1.close()


async def audit_entry(store: Store, action: str) -> AuditEntry:
    for _ in range(150):
        async with store.db.session() as s:
            found = await s.scalar(select(AuditEntry).where(AuditEntry.action == action))
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"no audit entry {action}")


# --- the page --------------------------------------------------------------------------------


async def test_fleet_page_per_role(people: dict[str, Person], console: RunningConsole) -> None:
    async with people["stranger"].http.get(console.base + "/fleet", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/login"
    status, html = await people["alice"].get("/fleet")
    assert status == 403 and 'data-test="forbidden"' in html
    status, html = await people["sven"].get("/fleet")
    assert status == 200 and 'data-can-restart="false"' in html
    status, html = await people["ada"].get("/fleet")
    assert status == 200 and 'data-can-restart="true"' in html
    assert "Kamera" in html and "Kartenleser" in html  # German by default
