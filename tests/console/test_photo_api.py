"""Document photos through the real console: request relay, upload checks, download rules."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy import text

from console.photos import PhotoStore
from console.routes.photos import MAX_PHOTO_BYTES
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallRequest,
    Error,
    Hangup,
    PhotoFailed,
    PhotoReady,
    PhotoRequest,
    Queued,
    QueueUpdate,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, terminal
from tests.console.jpegs import real_jpeg, tiny_jpeg


@dataclass
class InCall:
    """Alice (Aldorf) in a call with terminal a1; Bert (Bestadt) signed in elsewhere."""

    call_id: str
    t1: Peer
    alice: Peer
    alice_http: aiohttp.ClientSession
    bert: Peer
    bert_http: aiohttp.ClientSession


@pytest.fixture
async def in_call(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> AsyncIterator[InCall]:
    alice_http, alice, _ = await caseworker(console, "alice")
    bert_http, bert, _ = await caseworker(console, "bert")
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest())
    queued = await t1.expect(Queued)
    await alice.expect(QueueUpdate)
    await alice.send(Answer(call_id=queued.call_id))
    got = [await alice.recv(), await alice.recv()]
    assert any(isinstance(m, Assigned) for m in got)
    await t1.expect(Answered)
    try:
        yield InCall(queued.call_id, t1, alice, alice_http, bert, bert_http)
    finally:
        await alice_http.close()
        await bert_http.close()


async def upload(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    credential: str | None,
    call_id: str,
    request_id: str,
    body: bytes,
    content_type: str = "image/jpeg",
) -> tuple[int, dict[str, object]]:
    headers = {"Content-Type": content_type}
    if credential is not None:
        headers["Authorization"] = f"Bearer {credential}"
    params = {"call_id": call_id, "request_id": request_id}
    async with http.post(
        f"{console.base}/api/v1/photos", params=params, data=body, headers=headers
    ) as resp:
        return resp.status, await resp.json()


async def requested(c: InCall, request_id: str) -> None:
    await c.alice.send(PhotoRequest(call_id=c.call_id, request_id=request_id))
    assert await c.t1.expect(PhotoRequest) == PhotoRequest(call_id=c.call_id, request_id=request_id)


async def test_photo_from_request_to_download(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, in_call: InCall
) -> None:
    c = in_call
    await requested(c, "req-1")
    jpeg = real_jpeg(640, 480)
    status, body = await upload(http, console, seed.a1, c.call_id, "req-1", jpeg)
    assert status == 201, body
    ready = await c.alice.expect(PhotoReady)
    assert (ready.call_id, ready.request_id, ready.width, ready.height) == (
        c.call_id,
        "req-1",
        640,
        480,
    )
    assert body["photo_id"] == ready.photo_id
    url = f"{console.base}/api/v1/photos/{ready.photo_id}"
    async with c.alice_http.get(url) as resp:
        assert resp.status == 200
        assert resp.content_type == "image/jpeg"
        assert resp.headers["Cache-Control"] == "no-store"
        assert await resp.read() == jpeg
    # Another municipality's caseworker: the same 404 as for an id that never existed.
    async with c.bert_http.get(url) as resp:
        assert resp.status == 404
        assert resp.headers["Cache-Control"] == "no-store"
        missing = await resp.json()
    async with c.bert_http.get(f"{console.base}/api/v1/photos/never-was") as resp:
        assert resp.status == 404
        assert await resp.json() == missing
    async with http.get(url) as resp:  # not signed in
        assert resp.status == 401
    # A request is answered once: the same request_id again is refused.
    status, _ = await upload(http, console, seed.a1, c.call_id, "req-1", jpeg)
    assert status == 404
    # The photo knows its terminal (for the case inbox); taking it was audited, metadata only.
    t1_record = await console.store.terminal(seed.a1_id)
    alice_record = await console.store.caseworker_by_username("alice")
    assert t1_record is not None and alice_record is not None
    photo = console.hub.photos.get(ready.photo_id, t1_record.municipality_id)
    assert photo is not None and photo.terminal_id == seed.a1_id
    alice_id = alice_record.id
    for _ in range(100):
        async with console.store.db.session() as s:
            rows = (
                await s.execute(
                    text(
                        "SELECT actor_kind, actor_id, target_kind, target_id, detail "
                        "FROM audit_log WHERE action = 'photo.take'"
                    )
                )
            ).all()
        if rows:
            break
        await asyncio.sleep(0.05)
    assert [tuple(r[:4]) for r in rows] == [("caseworker", str(alice_id), "call", c.call_id)]
    detail = json.loads(rows[0][4])
    assert detail["size"] == len(jpeg) and set(detail) <= {"photo_id", "size", "width", "height"}


async def test_upload_refusals(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, in_call: InCall
) -> None:
    c = in_call
    await requested(c, "r2")
    jpeg = tiny_jpeg(4056, 3040)
    assert (await upload(http, console, None, c.call_id, "r2", jpeg))[0] == 401
    assert (await upload(http, console, seed.a1 + "x", c.call_id, "r2", jpeg))[0] == 401
    assert (await upload(http, console, "Bearer nonsense", c.call_id, "r2", jpeg))[0] == 401
    status, body = await upload(http, console, seed.a1, c.call_id, "r2", jpeg, "image/png")
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")  # type: ignore[index]
    # Another terminal, even of the same municipality, is not in this call.
    assert (await upload(http, console, seed.a2, c.call_id, "r2", jpeg))[0] == 404
    assert (await upload(http, console, seed.a1, "no-such-call", "r2", jpeg))[0] == 404
    assert (await upload(http, console, seed.a1, c.call_id, "not-asked", jpeg))[0] == 404
    status, body = await upload(http, console, seed.a1, c.call_id, "r2", b"GIF89a" + bytes(99))
    assert (status, body["error"]["code"]) == (400, "not_jpeg")  # type: ignore[index]
    status, body = await upload(http, console, seed.a1, c.call_id, "r2", jpeg[:-2])
    assert status == 400
    # Above 16 MiB: 413, and nothing reaches the caseworker.
    big = tiny_jpeg(100, 100, padding=MAX_PHOTO_BYTES)
    assert len(big) > MAX_PHOTO_BYTES
    # The console answers 413 before reading the body and closes the connection; a client
    # still sending may see that as a reset instead (HTTP/1.1 early response), mostly under load.
    try:
        status, body = await upload(http, console, seed.a1, c.call_id, "r2", big)
        assert (status, body["error"]["code"]) == (413, "too_large")  # type: ignore[index]
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
        pass

    # The same without Content-Length (chunked): refused once the body passes the limit.
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]

    try:
        async with http.post(
            f"{console.base}/api/v1/photos",
            params={"call_id": c.call_id, "request_id": "r2"},
            data=chunks(),
            headers={"Content-Type": "image/jpeg", "Authorization": f"Bearer {seed.a1}"},
        ) as resp:
            assert resp.status == 413
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
        pass
    await c.alice.silent()
    # Just below the limit is fine; the request was still outstanding after the refusals.
    ok = tiny_jpeg(4056, 3040, padding=MAX_PHOTO_BYTES - 200)
    assert len(ok) <= MAX_PHOTO_BYTES
    status, body = await upload(http, console, seed.a1, c.call_id, "r2", ok)
    assert status == 201, body
    ready = await c.alice.expect(PhotoReady)
    assert (ready.width, ready.height) == (4056, 3040)


async def test_request_relay_only_within_own_call(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, in_call: InCall
) -> None:
    c = in_call
    await c.bert.send(PhotoRequest(call_id=c.call_id, request_id="x"))
    assert (await c.bert.expect(Error)).code == "not_found"
    anton_http, anton, _ = await caseworker(console, "anton")  # same town, not in the call
    try:
        await anton.send(PhotoRequest(call_id=c.call_id, request_id="x"))
        assert (await anton.expect(Error)).code == "not_found"
    finally:
        await anton_http.close()
    await c.alice.send(PhotoRequest(call_id=c.call_id, request_id="bad id/../"))
    assert (await c.alice.expect(Error)).code == "invalid"
    await c.t1.silent()


async def test_failure_is_relayed_to_the_caseworker(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, in_call: InCall
) -> None:
    c = in_call
    await requested(c, "r3")
    failed = PhotoFailed(call_id=c.call_id, request_id="r3", message="camera busy")
    await c.t1.send(failed)
    assert await c.alice.expect(PhotoFailed) == failed
    await c.t1.send(failed)  # not outstanding any more: not relayed again
    await c.alice.silent()
    assert (await upload(http, console, seed.a1, c.call_id, "r3", tiny_jpeg(8, 8)))[0] == 404


async def test_photos_go_after_call_end_plus_grace(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, in_call: InCall
) -> None:
    c = in_call
    now = [100.0]
    console.hub.photos = PhotoStore(grace_s=600, clock=lambda: now[0])
    await requested(c, "r4")
    await requested(c, "r5")
    assert (await upload(http, console, seed.a1, c.call_id, "r4", tiny_jpeg(8, 8)))[0] == 201
    ready = await c.alice.expect(PhotoReady)
    url = f"{console.base}/api/v1/photos/{ready.photo_id}"
    await c.alice.send(Hangup(call_id=c.call_id))
    await c.alice.recv()
    # The call is over: the outstanding request is gone, the photo stays for the grace period.
    assert (await upload(http, console, seed.a1, c.call_id, "r5", tiny_jpeg(8, 8)))[0] == 404
    now[0] += 599
    async with c.alice_http.get(url) as resp:
        assert resp.status == 200
    now[0] += 1
    async with c.alice_http.get(url) as resp:
        assert resp.status == 404
    assert len(console.hub.photos) == 0
