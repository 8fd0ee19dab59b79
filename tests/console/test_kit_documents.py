"""Kit documents through the real console: key, upload checks, idempotency, tenant isolation,
and mobile kits only (a stationary terminal's credential is refused with 403)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, text, update

from console.store import Store
from console.store.models import Document, KitReceipt, Terminal
from protocol.kit_document import Header, seal
from tests.console.conftest import Kits2, RunningConsole, Seed
from tests.console.jpegs import real_jpeg, tiny_jpeg
from tests.console.test_inbox import Person, people, sign_in, wait_for

__all__ = ["people"]  # the signed-in sessions fixture, used by name

pytestmark = pytest.mark.both_backends


async def kit_key(http: aiohttp.ClientSession, console: RunningConsole, cred: str) -> Any:
    headers = {"Authorization": f"Bearer {cred}"}
    async with http.get(f"{console.base}/api/v1/kit-key", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


def sealed_for(key: Any, jpeg: bytes, document_id: str | None = None) -> tuple[str, bytes]:
    document_id = document_id or uuid.uuid4().hex
    header = Header(id=document_id, captured_at=time.time(), key_id=key["key_id"],
                    width=64, height=48)  # fmt: skip
    return document_id, seal(header, jpeg, base64.b64decode(key["public_key"]))


async def put(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    cred: str | None,
    document_id: str,
    body: bytes,
    content_type: str = "application/octet-stream",
) -> tuple[int, Any]:
    headers = {"Content-Type": content_type}
    if cred is not None:
        headers["Authorization"] = f"Bearer {cred}"
    url = f"{console.base}/api/v1/kit-documents/{document_id}"
    async with http.put(url, data=body, headers=headers) as resp:
        raw = await resp.read()
        return resp.status, json.loads(raw) if raw else None


async def count(store: Store, model: Any) -> int:
    async with store.db.session() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_upload_lands_once_in_the_terminals_municipality(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    store: Store,
    kits: Kits2,
    people: dict[str, Person],
) -> None:
    key = await kit_key(http, console, kits.a)
    assert key["algorithm"] == "X25519-HKDF-SHA256/AES-256-GCM" and key["max_bytes"] > 0
    jpeg = real_jpeg(64, 48)
    document_id, body = sealed_for(key, jpeg)
    status, first = await put(http, console, kits.a, document_id, body)
    assert status == 201, first
    assert first["created"] is True and first["key_id"] == key["key_id"]
    # the same upload again (the kit lost the answer): acknowledged, the same document, once
    for _ in range(2):
        status, again = await put(http, console, kits.a, document_id, body)
        assert status == 200 and again["document_id"] == first["document_id"]
        assert again["created"] is False
    assert await count(store, Document) == 1 and await count(store, KitReceipt) == 1
    # several at once (two connections racing): still one
    other_id, other = sealed_for(key, jpeg)
    answers = await asyncio.gather(*(put(http, console, kits.a, other_id, other) for _ in range(4)))
    assert [s for s, _ in answers].count(201) == 1
    assert len({b["document_id"] for _, b in answers}) == 1
    assert await count(store, Document) == 2

    alice, bert = people["alice"], people["bert"]
    status, listing, _ = await alice.call("GET", "/api/v1/documents")
    assert status == 200
    mine = [d for d in listing["documents"] if d["id"] == first["document_id"]]
    assert mine and mine[0]["terminal_id"] == kits.a_id and mine[0]["call_id"] == ""
    status, got, headers = await alice.call("GET", f"/api/v1/documents/{first['document_id']}")
    assert status == 200 and got == jpeg and headers["Content-Type"] == "image/jpeg"
    # Bestadt sees nothing of Aldorf's kit
    status, listing, _ = await bert.call("GET", "/api/v1/documents")
    assert status == 200 and listing == {"documents": []}
    status, _, _ = await bert.call("GET", f"/api/v1/documents/{first['document_id']}")
    assert status == 404
    # stored encrypted at rest: the JPEG's bytes are nowhere in the row
    async with store.db.session() as s:
        row = await s.get(Document, first["document_id"])
        assert row is not None and jpeg[:64] not in row.ciphertext and row.key_id

    async def entries() -> list[Any]:
        async with store.db.session() as s:
            rows = await s.execute(text(
                "SELECT actor_kind, actor_id, target_id, detail FROM audit_log "
                "WHERE action = 'kit.document' ORDER BY id"))  # fmt: skip
            found = list(rows.all())
        return found if len(found) >= 2 else []

    found = await wait_for(entries)
    assert len(found) == 2  # one per document, none for the repeats
    kind, actor, target, detail = found[0]
    assert (kind, actor, target) == ("terminal", kits.a_id, first["document_id"])
    meta = json.loads(detail)
    assert meta["kit_document_id"] == document_id and meta["size"] == len(jpeg)
    assert set(meta) == {"kit_document_id", "size", "width", "height", "captured_at"}


async def test_only_terminals_and_clear_refusals(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store, kits: Kits2
) -> None:
    key = await kit_key(http, console, kits.a)
    document_id, body = sealed_for(key, real_jpeg(32, 32))
    # no credential, a wrong one, a person's session: 401
    assert (await put(http, console, None, document_id, body))[0] == 401
    assert (await put(http, console, kits.a[:-4] + "AAAA", document_id, body))[0] == 401
    async with http.get(f"{console.base}/api/v1/kit-key") as resp:
        assert resp.status == 401
    alice = await sign_in(console.base, console, "alice")
    try:
        status, _, _ = await alice.call(
            "PUT", f"/api/v1/kit-documents/{document_id}", data=body,
            headers={"Content-Type": "application/octet-stream"},
        )  # fmt: skip
        assert status == 401
    finally:
        await alice.http.close()
    # malformed: not sealed, cut short, bit flipped, another id, not a JPEG inside: 400
    status, answer = await put(http, console, kits.a, document_id, b"\xff\xd8 a jpeg in clear")
    assert status == 400 and answer["error"]["code"] == "malformed"
    assert (await put(http, console, kits.a, document_id, body[:-20]))[0] == 400
    flipped = body[:-5] + bytes([body[-5] ^ 1]) + body[-4:]
    assert (await put(http, console, kits.a, document_id, flipped))[0] == 400
    assert (await put(http, console, kits.a, uuid.uuid4().hex, body))[0] == 400
    not_jpeg_id, not_jpeg = sealed_for(key, b"plain text, no picture")
    assert (await put(http, console, kits.a, not_jpeg_id, not_jpeg))[0] == 400
    assert (await put(http, console, kits.a, "../etc", body))[0] in (400, 404)
    assert (await put(http, console, kits.a, "A" * 32, body))[0] == 400
    assert (await put(http, console, kits.a, document_id, body, "image/jpeg"))[0] == 415
    # sealed for a key the console does not have
    stranger = dict(key, key_id="0" * 16, public_key=base64.b64encode(b"\x09" * 32).decode())
    foreign_id, foreign = sealed_for(stranger, real_jpeg(32, 32))
    status, answer = await put(http, console, kits.a, foreign_id, foreign)
    assert status == 400 and "not configured" in answer["error"]["message"]
    assert await count(store, Document) == 0
    # the same id from a terminal of another municipality is its own document, in its inbox
    assert (await put(http, console, kits.b, document_id, body))[0] == 201
    assert (await put(http, console, kits.a, document_id, body))[0] == 201
    async with store.db.session() as s:
        rows = (await s.execute(select(Document.municipality_id, Document.terminal_id))).all()
    assert sorted(t for _, t in rows) == sorted([kits.a_id, kits.b_id])
    assert len({m for m, _ in rows}) == 2


async def test_a_stationary_terminal_is_refused_both_endpoints(
    http: aiohttp.ClientSession, console: RunningConsole, store: Store, seed: Seed, kits: Kits2
) -> None:
    key = await kit_key(http, console, kits.a)
    headers = {"Authorization": f"Bearer {seed.a1}"}
    async with http.get(f"{console.base}/api/v1/kit-key", headers=headers) as resp:
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "not_mobile"
    document_id, body = sealed_for(key, real_jpeg(32, 32))
    for cred in (seed.a1, seed.b1):  # of a municipality with a kit; well formed, sealed right
        status, answer = await put(http, console, cred, document_id, body)
        assert status == 403 and answer["error"]["code"] == "not_mobile", answer
        assert "mobile kit" in answer["error"]["message"]
    # refused before anything else is looked at: a bad id or a type is no hint either
    assert (await put(http, console, seed.a1, "A" * 32, body))[0] == 403
    assert (await put(http, console, seed.a1, document_id, body, "image/jpeg"))[0] == 403
    # nor can a stationary terminal learn what a kit of its municipality delivered
    assert (await put(http, console, kits.a, document_id, body))[0] == 201
    status, answer = await put(http, console, seed.a1, document_id, body)
    assert status == 403 and "document_id" not in answer
    assert await count(store, Document) == 1 and await count(store, KitReceipt) == 1
    # the kind is read at each request: an admin who makes it a kit lets it upload at once
    async with store.db.session() as s, s.begin():
        await s.execute(update(Terminal).where(Terminal.id == seed.a1_id).values(kind="mobile"))
    assert (await put(http, console, seed.a1, document_id, body))[0] == 201
    assert await count(store, Document) == 2


async def test_each_kit_only_into_its_own_municipality(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    store: Store,
    kits: Kits2,
    people: dict[str, Person],
) -> None:
    key = await kit_key(http, console, kits.b)
    document_id, body = sealed_for(key, real_jpeg(48, 32))
    status, from_b = await put(http, console, kits.b, document_id, body)
    assert status == 201
    # the same upload from Aldorf's kit is no repeat of Bestadt's: its own document, in Aldorf
    status, from_a = await put(http, console, kits.a, document_id, body)
    assert status == 201 and from_a["document_id"] != from_b["document_id"]
    async with store.db.session() as s:
        rows = dict((await s.execute(select(Document.id, Document.terminal_id))).all())
    assert rows == {from_a["document_id"]: kits.a_id, from_b["document_id"]: kits.b_id}
    alice, bert = people["alice"], people["bert"]
    for person, own, other in ((alice, from_a, from_b), (bert, from_b, from_a)):
        status, listing, _ = await person.call("GET", "/api/v1/documents")
        assert status == 200 and [d["id"] for d in listing["documents"]] == [own["document_id"]]
        status, _, _ = await person.call("GET", f"/api/v1/documents/{other['document_id']}")
        assert status == 404


async def test_oversized_upload_answers_413(
    http: aiohttp.ClientSession, console: RunningConsole, kits: Kits2
) -> None:
    key = await kit_key(http, console, kits.a)
    limit = key["max_bytes"]
    document_id, body = sealed_for(key, tiny_jpeg(64, 48, padding=limit + 1024))
    status, answer = await put(http, console, kits.a, document_id, body)
    assert status == 413 and answer["error"]["code"] == "too_large"

    async def chunks() -> Any:  # no Content-Length: the limit holds while reading
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    headers = {"Authorization": f"Bearer {kits.a}", "Content-Type": "application/octet-stream"}
    url = f"{console.base}/api/v1/kit-documents/{document_id}"
    async with http.put(url, data=chunks(), headers=headers) as resp:
        assert resp.status == 413
