"""The update location: ``/api/v1/fleet/update`` and the ``update.offer`` terminals receive.

An admin sets where the municipality's terminals fetch their update bundle; supervisors
read it; the change is audited; terminals not on the offered version get ``update.offer``
at once over their real WebSocket and again at every connect, the others never.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from console.config import default_web_dir
from console.i18n import Translations
from console.migrate import run_migrations
from console.store import Store
from console.store.models import AuditEntry
from console.update_offer import runs_version
from protocol.messages import PROTOCOL_VERSION, Hello, OfficeStatus, UpdateOffer, Welcome
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, login

PATH = "/api/v1/fleet/update"
SHA = "0123456789abcdef" * 4
BUNDLE = {"url": "https://updates.example.org/bt/0.2.0.raucb", "version": "0.2.0", "sha256": SHA}


@pytest.fixture
async def people(console: RunningConsole) -> Tenants:
    return await tenants(console.store)


async def connect(
    http: aiohttp.ClientSession, console: RunningConsole, credential: str, software: str
) -> Peer:
    ws = await http.ws_connect(
        f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {credential}"}
    )
    peer = Peer(ws, caseworker=False)
    await peer.send(Hello(protocol=PROTOCOL_VERSION, software=software))
    await peer.expect(Welcome)
    await peer.expect(OfficeStatus)
    return peer


def test_which_software_runs_which_version() -> None:
    assert runs_version("bt-terminal/0.2.0", "0.2.0")
    assert runs_version("bt-terminal/0.2.0", "bt-terminal/0.2.0")
    assert runs_version("0.2.0", "0.2.0")
    assert not runs_version("bt-terminal/0.1.0", "0.2.0")
    assert not runs_version("bt-terminal/0.2.0", "0.2.0-rc1")
    assert not runs_version("", "0.2.0")  # never reported: offer it


@pytest.mark.both_backends
async def test_set_read_replace_and_clear(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    admin, sup = people.a["admin"], people.a["supervisor"]
    assert (await call(http, console, sup, "GET", PATH))[0] == 404  # none set yet
    status, body = await call(http, console, admin, "PUT", PATH, {**BUNDLE, "sha256": SHA.upper()})
    assert status == 200, body
    assert isinstance(body, dict)
    location = body["location"]
    assert (location["url"], location["version"], location["sha256"]) == (
        BUNDLE["url"], "0.2.0", SHA,  # stored in lower case
    )  # fmt: skip
    assert location["set_by"] == "Admin A" and body["offered_to"] == []  # nobody online
    assert await call(http, console, sup, "GET", PATH) == (200, location)
    # Replacing it; sha256 may be left out.
    status, body = await call(
        http, console, admin, "PUT", PATH, {"url": "https://u.example.org/b", "version": "0.3"}
    )
    assert status == 200 and isinstance(body, dict)
    assert body["location"]["sha256"] is None and body["location"]["version"] == "0.3"
    assert (await call(http, console, admin, "DELETE", PATH))[0] == 204
    assert (await call(http, console, sup, "GET", PATH))[0] == 404
    assert (await call(http, console, admin, "DELETE", PATH))[0] == 404


@pytest.mark.parametrize(
    "change",
    [
        {"url": "http://updates.example.org/b.raucb"},
        {"url": "ftp://updates.example.org/b.raucb"},
        {"url": "https://"},
        {"url": "https:///b.raucb"},
        {"url": "https://user:secret@updates.example.org/b.raucb"},
        {"url": "https://updates.example.org/a b.raucb"},
        {"url": "https://updates.example.org/b.raucb#x"},
        {"url": "https://updates.example.org:99999/b.raucb"},
        {"url": "https://updates.example.org/" + "b" * 2000},
        {"url": "https://updates.example.org/b\n"},
        {"url": None},
        {"version": ""},
        {"version": "0.2 beta"},
        {"version": "v" * 65},
        {"sha256": "ab" * 31},
        {"sha256": "xy" * 32},
        {"sha256": ""},
        {"extra": 1},
    ],
)
async def test_invalid_bodies_answer_400(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession, change: dict[str, object]
) -> None:
    status, body = await call(http, console, people.a["admin"], "PUT", PATH, {**BUNDLE, **change})
    assert status == 400, body
    assert (await call(http, console, people.a["admin"], "GET", PATH))[0] == 404  # nothing stored


async def test_missing_fields_and_no_body_answer_400(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    admin = people.a["admin"]
    assert (await call(http, console, admin, "PUT", PATH, {"url": BUNDLE["url"]}))[0] == 400
    assert (await call(http, console, admin, "PUT", PATH, {"version": "1"}))[0] == 400
    assert (await call(http, console, admin, "PUT", PATH))[0] == 400


async def test_only_admins_change_it_and_supervisors_read_it(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    a = people.a
    assert (await call(http, console, None, "GET", PATH))[0] == 401
    assert (await call(http, console, None, "PUT", PATH, BUNDLE))[0] == 401
    assert (await call(http, console, a["caseworker"], "GET", PATH))[0] == 403
    for who in (a["caseworker"], a["supervisor"]):
        assert (await call(http, console, who, "PUT", PATH, BUNDLE))[0] == 403
        assert (await call(http, console, who, "DELETE", PATH))[0] == 403
    assert (await call(http, console, a["supervisor"], "GET", PATH))[0] == 404  # nothing was set
    assert (await call(http, console, a["admin"], "PUT", PATH, BUNDLE))[0] == 200
    assert (await call(http, console, a["supervisor"], "GET", PATH))[0] == 200


@pytest.mark.both_backends
async def test_another_municipality_neither_sees_nor_clears_it(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    assert (await call(http, console, people.a["admin"], "PUT", PATH, BUNDLE))[0] == 200
    b = people.b
    assert (await call(http, console, b["admin"], "GET", PATH))[0] == 404
    assert (await call(http, console, b["supervisor"], "GET", PATH))[0] == 404
    assert (await call(http, console, b["admin"], "DELETE", PATH))[0] == 404
    own = {"url": "https://b.example.org/b.raucb", "version": "9.9"}
    assert (await call(http, console, b["admin"], "PUT", PATH, own))[0] == 200
    status, body = await call(http, console, people.a["admin"], "GET", PATH)
    assert status == 200 and isinstance(body, dict) and body["version"] == "0.2.0"


@pytest.mark.both_backends
async def test_changes_are_audited(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    admin = people.a["admin"]
    assert (await call(http, console, admin, "PUT", PATH, BUNDLE))[0] == 200
    entry = await audit_entry(console.store, "update.set")
    assert (entry.municipality_id, entry.actor_kind, entry.actor_id, entry.actor_name) == (
        admin.municipality_id, "caseworker", str(admin.id), "Admin A",
    )  # fmt: skip
    assert (entry.target_kind, entry.target_id) == ("municipality", str(admin.municipality_id))
    detail = json.loads(entry.detail)
    assert detail["version"] == "0.2.0" and detail["url"] == BUNDLE["url"] and detail["sha256"]
    assert (await call(http, console, admin, "DELETE", PATH))[0] == 204
    cleared = await audit_entry(console.store, "update.clear")
    assert cleared.municipality_id == admin.municipality_id
    # A refused change leaves no trace.
    assert (await call(http, console, people.a["supervisor"], "PUT", PATH, BUNDLE))[0] == 403
    async with console.store.db.session() as s:
        sets = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "update.set"))).all()
    assert len(sets) == 1


@pytest.mark.both_backends
async def test_a_long_url_keeps_the_audit_detail_valid_json(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    url = "https://updates.example.org/" + "b" * 1970
    body = {"url": url, "version": "1.0"}
    status, answer = await call(http, console, people.a["admin"], "PUT", PATH, body)
    assert status == 200 and isinstance(answer, dict) and answer["location"]["url"] == url
    detail = json.loads((await audit_entry(console.store, "update.set")).detail)
    assert url.startswith(detail["url"]) and detail["version"] == "1.0"


async def audit_entry(store: Store, action: str) -> AuditEntry:
    for _ in range(150):
        async with store.db.session() as s:
            found = await s.scalar(select(AuditEntry).where(AuditEntry.action == action))
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"no audit entry {action}")


# --- update.offer over the terminals' real WebSockets -----------------------------------------


async def test_terminals_not_on_the_version_get_the_offer_at_once(
    console: RunningConsole, people: Tenants, seed: Seed, http: aiohttp.ClientSession
) -> None:
    old = await connect(http, console, seed.a1, "bt-terminal/0.1.0")
    current = await connect(http, console, seed.a2, "bt-terminal/0.2.0")
    other = await connect(http, console, seed.b1, "bt-terminal/0.1.0")  # another municipality
    status, body = await call(http, console, people.a["admin"], "PUT", PATH, BUNDLE)
    assert status == 200 and isinstance(body, dict)
    assert body["offered_to"] == [seed.a1_id]
    offer = await old.expect(UpdateOffer)
    assert offer == UpdateOffer(url=BUNDLE["url"], version="0.2.0", sha256=SHA)
    await current.silent()
    await other.silent()
    for peer in (old, current, other):
        await peer.close()


@pytest.mark.both_backends
async def test_terminals_get_the_offer_after_welcome_unless_on_the_version(
    console: RunningConsole, people: Tenants, seed: Seed, http: aiohttp.ClientSession
) -> None:
    no_sha = {"url": BUNDLE["url"], "version": "bt-terminal/0.2.0"}
    assert (await call(http, console, people.a["admin"], "PUT", PATH, no_sha))[0] == 200
    old = await connect(http, console, seed.a1, "bt-terminal/0.1.0")
    offer = await old.expect(UpdateOffer)
    assert offer == UpdateOffer(url=BUNDLE["url"], version="bt-terminal/0.2.0", sha256="")
    current = await connect(http, console, seed.a2, "bt-terminal/0.2.0")
    other = await connect(http, console, seed.b1, "bt-terminal/0.1.0")  # B has none set
    await current.silent(0.4)
    await other.silent(0.1)
    await old.silent(0.1)  # once per connect, not per heartbeat
    # Cleared: a reconnecting terminal is offered nothing.
    await old.close()
    assert (await call(http, console, people.a["admin"], "DELETE", PATH))[0] == 204
    again = await connect(http, console, seed.a1, "bt-terminal/0.1.0")
    await again.silent(0.4)
    for peer in (again, current, other):
        await peer.close()


# --- the schema and the fleet page ------------------------------------------------------------


def test_migrations_create_the_table_with_one_head(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from console.migrate import alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    run_migrations(url)
    with sqlite3.connect(tmp_path / "console.db") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(update_locations)")]
    assert columns == ["municipality_id", "url", "sha256", "version", "set_at", "set_by"]
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    assert "0005_audit" not in heads and "0005_hours" not in heads


async def test_fleet_page_has_the_form_for_admins_only(console: RunningConsole, seed: Seed) -> None:
    await tenants(console.store)
    pages = {}
    for user in ("a-sup", "a-adm"):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            assert (await login(http, console, user)).status == 303
            async with http.get(console.base + "/fleet") as resp:
                assert resp.status == 200
                pages[user] = await resp.text()
    assert 'data-test="update-form"' in pages["a-adm"]
    assert 'data-can-update="true"' in pages["a-adm"]
    assert 'data-test="update-form"' not in pages["a-sup"]
    assert 'data-test="update-readonly"' in pages["a-sup"]
    assert "Software-Updates" in pages["a-sup"]  # German by default
    # Every key the page and its script use is in both catalogs.
    catalog = Translations.load(default_web_dir() / "translations")
    script = (default_web_dir() / "static" / "fleet.js").read_text()
    template = (default_web_dir() / "templates" / "fleet.html").read_text()
    used = set(re.findall(r"fleet\.update\.[a-z_0-9]+", script + template))
    assert len(used) > 15
    for lang in ("de", "en"):
        assert used <= catalog.keys(lang), used - catalog.keys(lang)
