"""The case inbox API on a real console: save, list, view, delete, who may, audit, purge.

Photos are put into the running hub's in-memory store directly (as a terminal upload would,
see test_photo_api.py for that path), so these tests exercise the inbox alone. Requests go
over HTTP with real session cookies, CSRF tokens and API tokens.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text, update

from console.app import create_app
from console.config import ConsoleConfig
from console.documents import DocumentCipher
from console.hub import Hub
from console.inbox import Inbox
from console.photos import Photo
from console.server import serve
from console.store import Store
from console.store.documents import DocumentStore
from console.store.models import Document
from console.store.tokens import TokenStore
from tests.console.conftest import PASSWORD, RunningConsole, Seed, cheap_passwords
from tests.console.helpers import csrf_from, login
from tests.console.jpegs import real_jpeg

pytestmark = pytest.mark.both_backends

CALL_ID = "c0ffee" * 5 + "00"


@dataclass
class Person:
    """A signed-in browser session: its cookie jar and CSRF token."""

    http: aiohttp.ClientSession
    csrf: str
    base: str

    async def call(
        self, method: str, path: str, *, csrf: bool = True, **kw: Any
    ) -> tuple[int, Any, Any]:
        headers = dict(kw.pop("headers", {}))
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        async with self.http.request(method, self.base + path, headers=headers, **kw) as resp:
            body: Any = await resp.read()
            if resp.content_type == "application/json":
                body = json.loads(body)
            return resp.status, body, resp.headers


async def sign_in(base: str, console: RunningConsole, username: str) -> Person:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    resp = await login(http, console, username, PASSWORD)
    assert resp.status == 303, resp.status
    async with http.get(f"{base}/") as page:
        csrf = csrf_from(await page.text())
    return Person(http, csrf, base)


@pytest.fixture
async def people(console: RunningConsole, store: Store) -> AsyncIterator[dict[str, Person]]:
    await store.add_caseworker(
        "Aldorf", "sara", "Sara Leitung", cheap_passwords().hash(PASSWORD), role="supervisor"
    )
    found = {}
    for name in ("alice", "anton", "bert", "sara"):
        found[name] = await sign_in(console.base, console, name)
    yield found
    for person in found.values():
        await person.http.close()


async def photo_of(console: RunningConsole, terminal_id: str, jpeg: bytes) -> Photo:
    terminal = await console.store.terminal(terminal_id)
    assert terminal is not None
    return console.hub.photos.add(
        terminal.municipality_id, CALL_ID, jpeg, 640, 480, terminal_id=terminal_id
    )


async def wait_for(check: Callable[[], Awaitable[Any]], within: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        got = await check()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def test_save_list_view_and_tenant_isolation(
    console: RunningConsole, seed: Seed, people: dict[str, Person]
) -> None:
    alice, anton, bert = people["alice"], people["anton"], people["bert"]
    jpeg = real_jpeg(640, 480)
    photo = await photo_of(console, seed.a1_id, jpeg)

    # Refusals first: no CSRF header, bad bodies, another municipality's photo, no session.
    status, body, _ = await alice.call("POST", "/api/v1/documents", csrf=False,
                                       json={"photo_id": photo.photo_id})  # fmt: skip
    assert status == 403 and body["error"]["code"] == "forbidden"
    for bad in (b"[]", b"{", b'{"photo_id": 5}', b'{"photo_id": ""}'):
        status, body, _ = await alice.call("POST", "/api/v1/documents", data=bad)
        assert status == 400, bad
        assert body["error"]["code"] == "invalid"
    status, _, _ = await bert.call("POST", "/api/v1/documents", json={"photo_id": photo.photo_id})
    assert status == 404
    async with (
        aiohttp.ClientSession() as stranger,
        stranger.get(f"{console.base}/api/v1/documents") as resp,
    ):
        assert resp.status == 401

    status, doc, headers = await alice.call(
        "POST", "/api/v1/documents", json={"photo_id": photo.photo_id}
    )
    assert status == 201, doc
    assert headers["Cache-Control"] == "no-store"
    assert doc["call_id"] == CALL_ID and doc["terminal_id"] == seed.a1_id
    assert (doc["terminal_name"], doc["saved_by_name"]) == ("Rathaus Aldorf", "Alice Amt")
    assert (doc["size"], doc["width"], doc["height"]) == (len(jpeg), 640, 480)
    created = datetime.fromisoformat(doc["created_at"])
    assert datetime.fromisoformat(doc["expires_at"]) - created == timedelta(days=30)
    # Saving the same photo again (a double click) gives the same document.
    status, again, _ = await anton.call(
        "POST", "/api/v1/documents", json={"photo_id": photo.photo_id}
    )
    assert status == 200 and again["id"] == doc["id"]

    for person in (alice, anton):
        status, listing, _ = await person.call("GET", "/api/v1/documents")
        assert status == 200 and [d["id"] for d in listing["documents"]] == [doc["id"]]
    status, listing, _ = await bert.call("GET", "/api/v1/documents")
    assert status == 200 and listing == {"documents": []}

    status, data, headers = await anton.call("GET", f"/api/v1/documents/{doc['id']}")
    assert status == 200 and data == jpeg
    assert headers["Content-Type"] == "image/jpeg" and headers["Cache-Control"] == "no-store"
    status, other, _ = await bert.call("GET", f"/api/v1/documents/{doc['id']}")
    status_missing, missing, _ = await bert.call("GET", "/api/v1/documents/" + "0" * 32)
    assert status == status_missing == 404 and other == missing
    assert (await alice.call("GET", "/api/v1/documents/not-an-id"))[0] == 404


async def test_delete_rights_tokens_and_audit(
    console: RunningConsole, store: Store, seed: Seed, people: dict[str, Person]
) -> None:
    alice, anton, bert, sara = people["alice"], people["anton"], people["bert"], people["sara"]
    docs = []
    for _ in range(2):
        photo = await photo_of(console, seed.a1_id, real_jpeg(64, 48))
        status, doc, _ = await alice.call("POST", "/api/v1/documents",
                                          json={"photo_id": photo.photo_id})  # fmt: skip
        assert status == 201
        docs.append(doc["id"])
    first, second = docs

    # A colleague who did not save it may not delete it; another municipality sees nothing.
    status, body, _ = await anton.call("DELETE", f"/api/v1/documents/{first}")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await bert.call("DELETE", f"/api/v1/documents/{first}"))[0] == 404
    assert (await alice.call("DELETE", f"/api/v1/documents/{first}", csrf=False))[0] == 403
    status, _, _ = await alice.call("DELETE", f"/api/v1/documents/{first}")
    assert status == 204
    assert (await alice.call("GET", f"/api/v1/documents/{first}"))[0] == 404
    assert (await alice.call("DELETE", f"/api/v1/documents/{first}"))[0] == 404
    # A supervisor may delete what a colleague saved.
    assert (await sara.call("GET", f"/api/v1/documents/{second}"))[0] == 200
    assert (await sara.call("DELETE", f"/api/v1/documents/{second}"))[0] == 204

    # An API token of Anton's works without a cookie or CSRF header.
    anton_record = await store.caseworker_by_username("anton")
    assert anton_record is not None
    _, token = await TokenStore(store.db).create(anton_record.id, "script", datetime.now(UTC), None)
    async with aiohttp.ClientSession() as script:
        headers = {"Authorization": f"Bearer {token}"}
        async with script.get(f"{console.base}/api/v1/documents", headers=headers) as resp:
            assert resp.status == 200 and await resp.json() == {"documents": []}

    async def entries() -> list[Any]:
        async with store.db.session() as s:
            rows = await s.execute(
                text(
                    "SELECT action, actor_id, target_id, detail FROM audit_log "
                    "WHERE action LIKE 'document.%' ORDER BY id"
                )
            )
            found = list(rows.all())
        return found if len(found) >= 5 else []

    found = await wait_for(entries)
    alice_id = str((await store.caseworker_by_username("alice")).id)  # type: ignore[union-attr]
    sara_id = str((await store.caseworker_by_username("sara")).id)  # type: ignore[union-attr]
    assert [(a, who, target) for a, who, target, _ in found] == [
        ("document.save", alice_id, first),
        ("document.save", alice_id, second),
        ("document.delete", alice_id, first),
        ("document.view", sara_id, second),
        ("document.delete", sara_id, second),
    ]
    assert json.loads(found[0][3])["call_id"] == CALL_ID


async def test_tampered_document_answers_an_error_not_the_photo(
    console: RunningConsole, store: Store, seed: Seed, people: dict[str, Person]
) -> None:
    alice = people["alice"]
    photo = await photo_of(console, seed.a1_id, real_jpeg(64, 48))
    _, doc, _ = await alice.call("POST", "/api/v1/documents", json={"photo_id": photo.photo_id})
    async with store.db.session() as s, s.begin():
        row = await s.get(Document, doc["id"])
        assert row is not None
        flipped = row.ciphertext[:10] + bytes([row.ciphertext[10] ^ 1]) + row.ciphertext[11:]
        await s.execute(update(Document).where(Document.id == doc["id"]).values(ciphertext=flipped))
    status, body, headers = await alice.call("GET", f"/api/v1/documents/{doc['id']}")
    assert status == 500 and body["error"]["code"] == "document_unreadable"
    assert headers["Cache-Control"] == "no-store"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_the_apps_background_purge_deletes_expired_documents(
    config: ConsoleConfig, store: Store, seed: Seed
) -> None:
    """The purge task started by the app (not a direct call) deletes at the injected time."""
    clock = Clock()
    inbox = Inbox(
        DocumentStore(store.db),
        DocumentCipher([bytes(32)]),
        retention_days=30,
        purge_every_s=0.05,
        clock=clock,
    )
    hub = Hub(ice_servers=())
    app = create_app(config, store, secret_key="k" * 48, hub=hub,
                     passwords=cheap_passwords(), inbox=inbox)  # fmt: skip
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, [f"fd://{sock.detach()}"], stop))
    try:
        console = RunningConsole(base, base.replace("http", "ws"), hub, store, base[7:])
        alice = await sign_in(base, console, "alice")
        photo = await photo_of(console, seed.a1_id, real_jpeg(64, 48))
        status, doc, _ = await alice.call("POST", "/api/v1/documents",
                                          json={"photo_id": photo.photo_id})  # fmt: skip
        assert status == 201

        async def count() -> int:
            async with store.db.session() as s:
                return int((await s.execute(text("SELECT count(*) FROM documents"))).scalar_one())

        await asyncio.sleep(0.2)  # several purge rounds pass: nothing is due yet
        assert await count() == 1
        clock.now += timedelta(days=30, seconds=1)
        await wait_for(lambda: _is_zero(count))
        assert (await alice.call("GET", f"/api/v1/documents/{doc['id']}"))[0] == 404
        await alice.http.close()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def _is_zero(count: Callable[[], Awaitable[int]]) -> bool:
    return await count() == 0
