"""The admin API against a real console: CRUD, validation, tenants, audit, directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from console.app import create_app
from console.config import ConsoleConfig
from console.hub_tools import CLOSE_REVOKED
from console.services import EXTENSION_KEY
from console.store import Store
from console.store.admin_offices import OfficeStore
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed, cheap_passwords
from tests.console.helpers import login, terminal

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> AsyncIterator[Tenants]:
    yield await tenants(store)


@pytest.mark.both_backends
async def test_offices_crud_and_tenant_boundary(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    admin, other = people.a["admin"], people.b["admin"]
    status, body = await call(http, console, admin, "GET", "/api/v1/offices")
    assert status == 200
    assert [o["name"] for o in body["offices"]] == ["Aldorf"]  # type: ignore[index]
    status, office = await call(
        http, console, admin, "POST", "/api/v1/offices", {"name": "Ortsteil Nord"}
    )
    assert status == 201, office
    assert office["timezone"] == "Europe/Berlin"  # type: ignore[index]
    oid = office["id"]  # type: ignore[index]
    # the new office has its first queue
    status, queues = await call(http, console, admin, "GET", f"/api/v1/queues?office_id={oid}")
    assert [q["name"] for q in queues["queues"]] == ["Bürgerservice"]  # type: ignore[index]
    # duplicate name -> 409
    status, err = await call(
        http, console, admin, "POST", "/api/v1/offices", {"name": "Ortsteil Nord"}
    )
    assert status == 409 and err["error"]["code"] == "already_exists"  # type: ignore[index]
    # another municipality's admin sees nothing of it
    for method in ("GET", "PATCH", "DELETE"):
        status, _ = await call(
            http, console, other, method, f"/api/v1/offices/{oid}", {"name": "x"}
        )
        assert status == 404, method
    status, renamed = await call(
        http,
        console,
        admin,
        "PATCH",
        f"/api/v1/offices/{oid}",
        {"name": "Nord", "timezone": "Europe/Vienna"},
    )
    assert status == 200 and renamed == {"id": oid, "name": "Nord", "timezone": "Europe/Vienna"}
    assert console.hub is not None
    status, _ = await call(http, console, admin, "DELETE", f"/api/v1/offices/{oid}")
    assert status == 204
    status, _ = await call(http, console, admin, "GET", f"/api/v1/offices/{oid}")
    assert status == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "x", "extra": 1}, "unknown field `extra`"),
        ({"name": 5}, "Expected `str`"),
        ({"name": "x" * 201}, "length <= 200"),
        ({"name": "   "}, "$.name"),
        ({}, "missing required field `name`"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
async def test_bad_bodies_get_clear_400s(
    console: RunningConsole,
    http: aiohttp.ClientSession,
    people: Tenants,
    body: dict[str, Any],
    fragment: str,
) -> None:
    status, err = await call(http, console, people.a["admin"], "POST", "/api/v1/offices", body)
    assert status == 400, err
    assert err["error"]["code"] == "invalid"  # type: ignore[index]
    assert fragment in err["error"]["message"]  # type: ignore[index]


async def test_malformed_json_and_missing_body(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    headers = people.a["admin"].headers
    async with http.post(console.base + "/api/v1/offices", data=b"{nope", headers=headers) as r:
        assert r.status == 400 and "malformed JSON" in (await r.json())["error"]["message"]
    async with http.post(console.base + "/api/v1/offices", headers=headers) as r:
        assert r.status == 400
    async with http.get(console.base + "/api/v1/offices/99999999999", headers=headers) as r:
        assert r.status == 404 and r.content_type == "application/json"


@pytest.mark.both_backends
@pytest.mark.parametrize("big", [2**31, 9_999_999_999])
async def test_ids_beyond_the_databases_integers_name_nothing(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants, seed: Seed, big: int
) -> None:
    """PostgreSQL's integer ids end at 2**31 - 1: larger ones are 404 or 400, never a 5xx."""
    admin = people.a["admin"]
    for path in [
        f"/api/v1/offices/{big}",
        f"/api/v1/queues/{big}",
        f"/api/v1/caseworkers/{big}",
        f"/api/v1/offices/{big}/hours",
        f"/api/v1/offices/{big}/exceptions",
    ]:
        status, _ = await call(http, console, admin, "GET", path)
        assert status == 404, path
    for path in [f"/api/v1/queues?office_id={big}", f"/api/v1/audit?before={big}"]:
        status, answer = await call(http, console, admin, "GET", path)
        assert status == 400 and "2147483647" in str(answer), (path, answer)
    new = {"username": "zed", "display_name": "Zed", "password": "lang-genug-1", "queue_ids": [big]}
    status, _ = await call(http, console, admin, "POST", "/api/v1/caseworkers", new)
    assert status == 400
    moved = {"office_id": big}
    status, _ = await call(
        http, console, admin, "PATCH", f"/api/v1/admin/terminals/{seed.a1_id}", moved
    )
    assert status == 400
    async with http.get(f"{console.base}/login/sso/{big}") as resp:
        assert resp.status == 404
    status, _ = await call(http, console, admin, "GET", f"/api/v1/offices/{2**31 - 1}")
    assert status == 404  # the largest id still reaches the store, which finds nothing


@pytest.mark.both_backends
async def test_municipality_branding(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    admin = people.a["admin"]
    status, body = await call(
        http, console, admin, "PATCH", "/api/v1/municipality",
        {"brand_color": "#1A2B3C", "welcome_text": "Willkommen im Rathaus"},
    )  # fmt: skip
    assert status == 200
    assert body["brand_color"] == "#1a2b3c" and body["name"] == "Aldorf"  # type: ignore[index]
    for bad in ({"brand_color": "red"}, {"brand_color": "#12345g"}, {"name": "Neu"},
                {"welcome_text": "x" * 501}, {"brand_color": "#123456\n"}):  # fmt: skip
        status, err = await call(http, console, admin, "PATCH", "/api/v1/municipality", bad)
        assert status == 400, (bad, err)
    # caseworkers read, only admins write; B sees its own settings
    status, body = await call(http, console, people.a["caseworker"], "GET", "/api/v1/municipality")
    assert status == 200 and body["welcome_text"] == "Willkommen im Rathaus"  # type: ignore[index]
    status, _ = await call(
        http,
        console,
        people.a["supervisor"],
        "PATCH",
        "/api/v1/municipality",
        {"brand_color": None},
    )
    assert status == 403
    status, body = await call(http, console, people.b["admin"], "GET", "/api/v1/municipality")
    assert body["name"] == "Bestadt" and body["brand_color"] is None  # type: ignore[index]


@pytest.mark.both_backends
async def test_queues_validation_and_last_queue(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    admin = people.a["admin"]
    _, offices = await call(http, console, admin, "GET", "/api/v1/offices")
    oid = offices["offices"][0]["id"]  # type: ignore[index]
    _, b_offices = await call(http, console, people.b["admin"], "GET", "/api/v1/offices")
    b_oid = b_offices["offices"][0]["id"]  # type: ignore[index]
    status, q = await call(
        http, console, admin, "POST", "/api/v1/queues",
        {"office_id": oid, "name": "Meldeamt", "routing": "ring_all", "wrap_up_s": 30},
    )  # fmt: skip
    assert status == 201, q
    assert q["routing"] == "ring_all" and q["ring_s"] == 20  # type: ignore[index]
    status, _ = await call(
        http, console, admin, "POST", "/api/v1/queues", {"office_id": b_oid, "name": "Fremd"}
    )
    assert status == 404  # another municipality's office
    status, err = await call(
        http,
        console,
        admin,
        "PATCH",
        f"/api/v1/queues/{q['id']}",
        {"routing": "random"},  # type: ignore[index]
    )
    assert status == 400, err
    status, err = await call(
        http,
        console,
        admin,
        "PATCH",
        f"/api/v1/queues/{q['id']}",
        {"wrap_up_s": -1},  # type: ignore[index]
    )
    assert status == 400
    # caseworkers may read queues (transfer menu), not change them
    status, listed = await call(http, console, people.a["caseworker"], "GET", "/api/v1/queues")
    assert status == 200 and len(listed["queues"]) == 2  # type: ignore[index]
    status, _ = await call(
        http, console, people.a["caseworker"], "DELETE", f"/api/v1/queues/{q['id']}"
    )  # type: ignore[index]
    assert status == 403
    status, _ = await call(http, console, admin, "DELETE", f"/api/v1/queues/{q['id']}")  # type: ignore[index]
    assert status == 204
    first = listed["queues"][0]["id"]  # type: ignore[index]
    status, err = await call(http, console, admin, "DELETE", f"/api/v1/queues/{first}")
    assert status == 409 and err["error"]["code"] == "conflict"  # type: ignore[index]


@pytest.mark.both_backends
async def test_caseworkers_lifecycle(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants, store: Store
) -> None:
    admin = people.a["admin"]
    _, queues = await call(http, console, admin, "GET", "/api/v1/queues")
    qid = queues["queues"][0]["id"]  # type: ignore[index]
    new = {"username": "carla", "display_name": "Carla C", "password": "lang-genug-1",
           "role": "supervisor", "queue_ids": [qid, qid]}  # fmt: skip
    status, person = await call(http, console, admin, "POST", "/api/v1/caseworkers", new)
    assert status == 201, person
    assert person["queue_ids"] == [qid] and person["second_factor"] is False  # type: ignore[index]
    assert "password" not in person and "password_hash" not in person  # type: ignore[operator]
    status, err = await call(http, console, admin, "POST", "/api/v1/caseworkers", new)
    assert status == 409
    short = {**new, "username": "dora", "password": "kurz"}
    status, err = await call(http, console, admin, "POST", "/api/v1/caseworkers", short)
    assert status == 400 and "length >= 8" in err["error"]["message"]  # type: ignore[index]
    cid = person["id"]  # type: ignore[index]
    # the person can sign in with that password
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        assert (await login(other, console, "carla", "lang-genug-1")).status == 303
        status, _ = await call(
            http, console, admin, "PUT", f"/api/v1/caseworkers/{cid}/password",
            {"password": "noch-laenger-2"},
        )  # fmt: skip
        assert status == 204
        async with other.get(console.base + "/", allow_redirects=False) as page:
            assert page.status == 303  # the old session ended with the password change
    record = await store.caseworker_by_username("carla")
    assert record is not None and await _verify(record.password_hash, "noch-laenger-2")
    # supervisors read, admins change; B cannot see A's people
    status, listed = await call(http, console, people.a["supervisor"], "GET", "/api/v1/caseworkers")
    assert status == 200 and "carla" in [p["username"] for p in listed["caseworkers"]]  # type: ignore[index]
    status, _ = await call(http, console, people.a["caseworker"], "GET", "/api/v1/caseworkers")
    assert status == 403
    status, _ = await call(http, console, people.b["admin"], "GET", f"/api/v1/caseworkers/{cid}")
    assert status == 404
    _, b_queues = await call(http, console, people.b["admin"], "GET", "/api/v1/queues")
    b_qid = b_queues["queues"][0]["id"]  # type: ignore[index]
    status, _ = await call(
        http, console, admin, "PATCH", f"/api/v1/caseworkers/{cid}", {"queue_ids": [b_qid]}
    )
    assert status == 404  # B's queue
    status, person = await call(
        http, console, admin, "PATCH", f"/api/v1/caseworkers/{cid}",
        {"role": "caseworker", "active": False, "queue_ids": []},
    )  # fmt: skip
    assert status == 200
    assert (person["role"], person["active"], person["queue_ids"]) == ("caseworker", False, [])  # type: ignore[index]
    for path in ("second-factor",):
        status, _ = await call(http, console, admin, "DELETE", f"/api/v1/caseworkers/{cid}/{path}")
        assert status == 204
    status, _ = await call(http, console, admin, "POST", f"/api/v1/caseworkers/{cid}/sign-out")
    assert status == 204
    status, _ = await call(http, console, admin, "DELETE", f"/api/v1/caseworkers/{cid}")
    assert status == 204


async def _verify(password_hash: str, password: str) -> bool:
    return await cheap_passwords().verify(password_hash, password)


@pytest.mark.both_backends
async def test_last_admin_cannot_demote_or_deactivate_themself(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    admin = people.a["admin"]
    me = f"/api/v1/caseworkers/{admin.id}"
    for change in ({"role": "supervisor"}, {"active": False}):
        status, err = await call(http, console, admin, "PATCH", me, change)
        assert status == 409, change
        assert "without an active admin" in err["error"]["message"]  # type: ignore[index]
    status, _ = await call(http, console, admin, "DELETE", me)
    assert status == 409
    # with a second admin, stepping down works
    new = {"username": "zweit", "display_name": "Zweite Admin", "password": "lang-genug-1",
           "role": "admin"}  # fmt: skip
    status, _ = await call(http, console, admin, "POST", "/api/v1/caseworkers", new)
    assert status == 201
    status, person = await call(http, console, admin, "PATCH", me, {"role": "supervisor"})
    assert status == 200 and person["role"] == "supervisor"  # type: ignore[index]
    # the token now acts as a supervisor: no more admin rights
    status, _ = await call(http, console, admin, "POST", "/api/v1/offices", {"name": "Neu"})
    assert status == 403


@pytest.mark.both_backends
async def test_terminals_enrollment_code_once(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    admin = people.a["admin"]
    status, office = await call(http, console, admin, "POST", "/api/v1/offices", {"name": "Süd"})
    status, created = await call(
        http, console, admin, "POST", "/api/v1/admin/terminals",
        {"name": "Bibliothek", "office_id": office["id"]},  # type: ignore[index]
    )  # fmt: skip
    assert status == 201, created
    terminal, code = created["terminal"], created["enrollment"]["code"]  # type: ignore[index]
    assert terminal["office_id"] == office["id"] and terminal["enrolled"] is False  # type: ignore[index]
    tid = terminal["id"]
    # the listing never shows the code
    status, listed = await call(http, console, admin, "GET", "/api/v1/admin/terminals")
    assert code not in str(listed) and tid in [t["id"] for t in listed["terminals"]]  # type: ignore[index]
    # the office cannot go while the terminal stands in it
    status, _ = await call(http, console, admin, "DELETE", f"/api/v1/offices/{office['id']}")  # type: ignore[index]
    assert status == 409
    # a new code replaces the first; the terminal enrolls with it
    status, fresh = await call(http, console, admin, "POST", f"/api/v1/admin/terminals/{tid}/code")
    assert status == 201
    async with http.post(console.base + "/api/v1/enroll", json={"code": code}) as r:
        assert r.status == 404  # the replaced code
    async with http.post(console.base + "/api/v1/enroll", json={"code": fresh["code"]}) as r:  # type: ignore[index]
        assert r.status == 200
    status, moved = await call(
        http, console, admin, "PATCH", f"/api/v1/admin/terminals/{tid}", {"name": "Bücherei"}
    )
    assert status == 200 and moved["enrolled"] is True and moved["name"] == "Bücherei"  # type: ignore[index]
    for method in ("GET", "PATCH", "DELETE"):
        status, _ = await call(
            http,
            console,
            people.b["admin"],
            method,
            f"/api/v1/admin/terminals/{tid}",
            {"name": "x"},
        )
        assert status == 404
    status, _ = await call(http, console, admin, "DELETE", f"/api/v1/admin/terminals/{tid}")
    assert status == 204


@pytest.mark.both_backends
async def test_deleting_a_connected_terminal_closes_it_for_good(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants, seed: Seed
) -> None:
    peer, _welcome = await terminal(http, console, seed.a2)
    assert console.hub.online(seed.a2_id)
    status, _ = await call(
        http, console, people.a["admin"], "DELETE", f"/api/v1/admin/terminals/{seed.a2_id}"
    )
    assert status == 204
    closed = await peer.ws.receive(timeout=3)
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == CLOSE_REVOKED
    await asyncio.sleep(0.1)
    assert not console.hub.online(seed.a2_id)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await terminal(http, console, seed.a2)
    assert refused.value.status == 401


@pytest.mark.both_backends
async def test_tokens_are_personal(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    cw = people.a["caseworker"]
    status, created = await call(
        http, console, cw, "POST", "/api/v1/tokens", {"name": "Skript", "expires_in_days": 30}
    )
    assert status == 201
    token = created["token"]  # type: ignore[index]
    assert token.startswith("btk_")
    status, listed = await call(http, console, cw, "GET", "/api/v1/tokens")
    assert token not in str(listed)
    assert "Skript" in [t["name"] for t in listed["tokens"]]  # type: ignore[index]
    tid = created["info"]["id"]  # type: ignore[index]
    status, _ = await call(http, console, people.a["admin"], "DELETE", f"/api/v1/tokens/{tid}")
    assert status == 404  # not the admin's token
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(console.base + "/api/v1/offices", headers=headers) as r:
        assert r.status == 200
    status, _ = await call(http, console, cw, "DELETE", f"/api/v1/tokens/{tid}")
    assert status == 204
    async with http.get(console.base + "/api/v1/offices", headers=headers) as r:
        assert r.status == 401


@pytest.mark.both_backends
async def test_changes_are_audited_and_reload_the_directory(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants, store: Store
) -> None:
    from sqlalchemy import select

    from console.store.models import AuditEntry

    admin = people.a["admin"]
    _, office = await call(http, console, admin, "POST", "/api/v1/offices", {"name": "West"})
    new = {"username": "erik", "display_name": "Erik", "password": "geheimes-wort"}
    status, person = await call(http, console, admin, "POST", "/api/v1/caseworkers", new)
    assert status == 201
    await call(http, console, admin, "PUT", f"/api/v1/caseworkers/{person['id']}/password",  # type: ignore[index]
               {"password": "anderes-wort"})  # fmt: skip
    rows: list[AuditEntry] = []
    for _ in range(100):
        async with store.db.session() as s:
            rows = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        if len(rows) >= 3:
            break
        await asyncio.sleep(0.02)
    actions = [(r.action, r.target_kind, r.target_id, r.actor_id, r.municipality_id) for r in rows]
    mid = admin.municipality_id
    assert ("office.create", "office", str(office["id"]), str(admin.id), mid) in actions  # type: ignore[index]
    assert ("caseworker.create", "caseworker", str(person["id"]), str(admin.id), mid) in actions  # type: ignore[index]
    assert ("caseworker.password", "caseworker", str(person["id"]), str(admin.id), mid) in actions  # type: ignore[index]
    for row in rows:
        assert "geheimes-wort" not in row.detail and "anderes-wort" not in row.detail


async def test_directory_changes_are_announced(
    config: ConsoleConfig, store: Store, seed: Seed
) -> None:
    """Offices, queues, memberships and terminal moves tell the hub to reload its directory."""
    app = create_app(config, store, secret_key="k" * 48, passwords=cheap_passwords())
    svc = app.extensions[EXTENSION_KEY]
    people = await tenants(store)
    client = app.test_client()
    headers = people.a["admin"].headers
    oid = (await OfficeStore(store.db).of(people.a["admin"].municipality_id))[0].id
    changes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/v1/offices", {"name": "Nord"}),
        ("POST", "/api/v1/queues", {"office_id": oid, "name": "Sozialamt"}),
        ("PATCH", f"/api/v1/caseworkers/{people.a['caseworker'].id}", {"queue_ids": []}),
        ("PATCH", f"/api/v1/admin/terminals/{seed.a1_id}", {"office_id": oid}),
    ]
    for method, path, body in changes:
        svc.directory_changed.clear()
        response = await client.open(path, method=method, json=body, headers=headers)
        assert response.status_code in (200, 201), (path, await response.get_data())
        assert svc.directory_changed.is_set(), path
    svc.directory_changed.clear()
    response = await client.patch(
        f"/api/v1/admin/terminals/{seed.a1_id}", json={"name": "Umbenannt"}, headers=headers
    )
    assert response.status_code == 200
    assert not svc.directory_changed.is_set()  # a rename changes no routing


@pytest.mark.both_backends
async def test_nul_characters_are_refused(
    console: RunningConsole, http: aiohttp.ClientSession, people: Tenants
) -> None:
    status, err = await call(
        http, console, people.a["admin"], "POST", "/api/v1/offices", {"name": "Nord\u0000Süd"}
    )
    assert status == 400 and "NUL" in err["error"]["message"]  # type: ignore[index]
