"""The kit's outbox: sealed for the console only, written atomically, uploaded once, expired."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from appliance.outbox.console_key import ConsoleKey, load_cached
from appliance.outbox.kit import Outbox, OutboxError
from appliance.outbox.store import OutboxStore
from appliance.parts.camera.synthetic import SyntheticCamera
from console.kit_keys import KitKeys
from protocol.kit_document import EnvelopeError, Header, open_sealed, read_header, seal

JPEG_MAGIC = b"\xff\xd8\xff"
ROOT = Path(__file__).resolve().parents[2]


def console_keys() -> tuple[KitKeys, X25519PrivateKey]:
    private = X25519PrivateKey.generate()
    return KitKeys([private]), private


def header(key_id: str, captured_at: float | None = None) -> Header:
    return Header(id=uuid.uuid4().hex, captured_at=captured_at or time.time(), key_id=key_id,
                  width=4, height=3)  # fmt: skip


# --- the sealed format -------------------------------------------------------------------


def test_only_the_consoles_private_key_opens_a_document() -> None:
    keys, private = console_keys()
    jpeg = JPEG_MAGIC + b"\xe0 an ID card" * 100 + b"\xff\xd9"
    head = header(keys.key_id)
    sealed = seal(head, jpeg, keys.public_key)
    assert JPEG_MAGIC not in sealed and b"an ID card" not in sealed
    assert read_header(sealed) == head  # the clear header: id, time, key; no content
    assert keys.open(sealed) == (head, jpeg)
    assert open_sealed(sealed, {keys.key_id: private}) == (head, jpeg)
    # what the kit holds (the public key, the file) does not open it; nor does another key
    impostor = X25519PrivateKey.generate()
    with pytest.raises(EnvelopeError):
        open_sealed(sealed, {keys.key_id: impostor})
    with pytest.raises(EnvelopeError, match="not configured"):
        console_keys()[0].open(sealed)
    # each document gets its own keys: the same picture twice seals differently
    assert seal(head, jpeg, keys.public_key) != sealed


@pytest.mark.parametrize("where", [2, 8, 20, 60, 110, -40, -1])
def test_any_changed_byte_fails_authentication(where: int) -> None:
    keys, _ = console_keys()
    sealed = bytearray(seal(header(keys.key_id), b"\xff\xd8\xff payload \xff\xd9", keys.public_key))
    sealed[where] ^= 0x01
    with pytest.raises(EnvelopeError):
        keys.open(bytes(sealed))


def test_truncated_or_foreign_bytes_are_refused_cleanly() -> None:
    keys, _ = console_keys()
    sealed = seal(header(keys.key_id), b"\xff\xd8\xff\xd9", keys.public_key)
    for bad in (b"", b"BTKD", sealed[:40], sealed[:-17], b"\xff\xd8" + sealed, b"X" * 500):
        with pytest.raises(EnvelopeError):
            keys.open(bad)


# --- the folder ----------------------------------------------------------------------------


def test_saved_files_are_private_and_listed_oldest_first(tmp_path: Path) -> None:
    keys, _ = console_keys()
    store = OutboxStore(tmp_path / "outbox")
    store.prepare()
    newer, older = header(keys.key_id, 2000.0), header(keys.key_id, 1000.0)
    for head in (newer, older):
        store.save(head, seal(head, b"\xff\xd8\xff\xd9", keys.public_key))
    assert [p.id for p in store.pending()] == [older.id, newer.id]
    for path in store.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    (store.folder / "stray.txt").write_text("not ours")
    (store.folder / f"{uuid.uuid4().hex}.btkd").write_bytes(b"garbage")  # skipped, logged
    assert [p.id for p in store.pending()] == [older.id, newer.id]
    assert store.delete(older.id) and not store.delete(older.id)
    assert store.expire(now=2000.0 + 3601, max_age_s=3600) == [newer.id]
    assert store.pending() == []


_SLOW_WRITER = """
import os, sys, time, uuid
import appliance.files as files
from appliance.outbox.store import OutboxStore
from protocol.kit_document import Header

def slow(fd, data):
    view = memoryview(data)
    print("writing", flush=True)
    while view:
        view = view[os.write(fd, view[:65536]):]
        time.sleep(0.01)
    os.fsync(fd)

files.write_synced = slow
store = OutboxStore(__import__("pathlib").Path(sys.argv[1]))
store.prepare()
head = Header(id=uuid.uuid4().hex, captured_at=time.time(), key_id="k")
store.save(head, b"BTKD" + os.urandom(20_000_000))
print("done", flush=True)
"""


def test_a_capture_killed_mid_write_leaves_no_document_and_is_cleaned(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(folder)], env=env,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    names = [p.name for p in folder.iterdir()]
    assert len(names) == 1 and names[0].startswith(".") and names[0].endswith(".tmp"), names
    store = OutboxStore(folder)
    assert store.pending() == []  # never a half document under its name
    assert store.clean_leftovers() == 1
    assert list(folder.iterdir()) == []


# --- capture and upload against a console stand-in that opens with the real key ------------


@dataclass
class FakeConsole:
    """``/api/v1/kit-key`` and ``PUT /api/v1/kit-documents/<id>`` as the console answers them."""

    keys: KitKeys
    credential: str = "t1:secret"
    max_bytes: int = 16 * 1024 * 1024
    fail_next: int = 0
    refuse: bool = False
    stored: dict[str, bytes] = field(default_factory=dict)
    puts: list[str] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/api/v1/kit-key", self.key)
        app.router.add_put("/api/v1/kit-documents/{id}", self.put)
        return app

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.credential}"

    async def key(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return web.json_response({}, status=401)
        return web.json_response(self.keys.public_json(self.max_bytes))

    async def put(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return web.json_response({}, status=401)
        document_id = request.match_info["id"]
        self.puts.append(document_id)
        body = await request.read()
        if self.fail_next:
            self.fail_next -= 1
            return web.json_response({"error": {"code": "unavailable"}}, status=503)
        if self.refuse:
            return web.json_response({"error": {"code": "malformed"}}, status=400)
        if document_id in self.stored:
            return web.json_response({"document_id": document_id, "key_id": self.keys.key_id})
        head, jpeg = self.keys.open(body)
        assert head.id == document_id
        self.stored[document_id] = jpeg
        return web.json_response({"document_id": document_id, "key_id": self.keys.key_id},
                                 status=201)  # fmt: skip


@pytest.fixture
async def fake_console() -> AsyncIterator[FakeConsole]:
    fake = FakeConsole(console_keys()[0])
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


def outbox_for(fake: FakeConsole, folder: Path, **kw: Any) -> Outbox:
    return Outbox(store=OutboxStore(folder), console_url=fake.url, credential=fake.credential,
                  camera=SyntheticCamera(), warm_up_s=0, **kw)  # fmt: skip


async def until(check: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_captured_documents_are_uploaded_once_and_then_deleted(
    fake_console: FakeConsole, tmp_path: Path
) -> None:
    outbox = outbox_for(fake_console, tmp_path / "outbox")
    runner = asyncio.create_task(outbox.run())
    try:
        await until(lambda: outbox.status()["ready"])
        assert load_cached(tmp_path / "outbox") == outbox.key  # cached for offline starts
        fake_console.fail_next = 2  # the console answers 503 twice: kept, retried
        taken = [await outbox.capture() for _ in range(3)]
        assert taken[0]["pending"] >= 1
        await until(lambda: len(fake_console.stored) == 3 and outbox.status()["pending"] == 0)
        assert sorted(fake_console.stored) == sorted(t["id"] for t in taken)
        assert all(jpeg.startswith(JPEG_MAGIC) for jpeg in fake_console.stored.values())
        assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["console-key.json"]
        status = outbox.status()
        assert status["uploaded"] == 3 and status["last_upload"]["result"] == "ok"
    finally:
        runner.cancel()


async def test_a_refused_document_stays_and_counts_until_it_expires(
    fake_console: FakeConsole, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = [time.time()]
    outbox = outbox_for(fake_console, tmp_path / "outbox", clock=lambda: now[0],
                        max_age_s=3600.0)  # fmt: skip
    fake_console.refuse = True
    runner = asyncio.create_task(outbox.run())
    try:
        await until(lambda: outbox.status()["ready"])
        taken = await outbox.capture()
        await until(lambda: outbox.status()["rejected"] == 1)
        status = outbox.status()
        assert status["pending"] == 1 and status["last_upload"]["result"] == "rejected"
        assert (tmp_path / "outbox" / f"{taken['id']}.btkd").exists()
        now[0] += 3601  # past outbox_max_age
        caplog.set_level(logging.WARNING, logger="appliance.outbox.kit")
        outbox.wake()
        await until(lambda: outbox.status()["expired"] == 1)
        assert outbox.status()["pending"] == 0
        assert any("expired unsent" in r.getMessage() for r in caplog.records)
    finally:
        runner.cancel()


async def test_capture_without_the_consoles_key_says_so(tmp_path: Path) -> None:
    outbox = Outbox(store=OutboxStore(tmp_path / "outbox"), console_url="http://127.0.0.1:9",
                    credential="x", camera=SyntheticCamera(), warm_up_s=0)  # fmt: skip
    runner = asyncio.create_task(outbox.run())
    try:
        with pytest.raises(OutboxError) as raised:
            await outbox.capture()
        assert raised.value.status == 409 and raised.value.code == "no_key"
        assert outbox.status()["ready"] is False
    finally:
        runner.cancel()


async def test_an_offline_start_uses_the_cached_key_and_uploads_later(
    fake_console: FakeConsole, tmp_path: Path
) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()
    from appliance.outbox.console_key import save_cached

    key = ConsoleKey(fake_console.keys.public_key, fake_console.keys.key_id, 1 << 24)
    save_cached(folder, key)
    offline = Outbox(store=OutboxStore(folder), console_url="http://127.0.0.1:9",
                     credential=fake_console.credential, camera=SyntheticCamera(),
                     warm_up_s=0)  # fmt: skip
    runner = asyncio.create_task(offline.run())
    try:
        first = await offline.capture()
        assert first["pending"] == 1
        sealed = (folder / f"{first['id']}.btkd").read_bytes()
        assert JPEG_MAGIC not in sealed[:4096]
    finally:
        runner.cancel()
    online = outbox_for(fake_console, folder)
    runner = asyncio.create_task(online.run())
    try:
        await until(lambda: first["id"] in fake_console.stored)
        await until(lambda: online.status()["pending"] == 0)
    finally:
        runner.cancel()


async def test_too_large_for_the_console_is_refused_at_capture(
    fake_console: FakeConsole, tmp_path: Path
) -> None:
    fake_console.max_bytes = 2048
    outbox = outbox_for(fake_console, tmp_path / "outbox")
    runner = asyncio.create_task(outbox.run())
    try:
        await until(lambda: outbox.status()["ready"])
        with pytest.raises(OutboxError) as raised:
            await outbox.capture()
        assert raised.value.status == 413
        assert outbox.status()["pending"] == 0
    finally:
        runner.cancel()


async def test_uploads_wait_while_a_call_needs_the_link(
    fake_console: FakeConsole, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("appliance.outbox.kit.PAUSE_POLL_S", 0.05)
    in_call = [True]
    outbox = outbox_for(fake_console, tmp_path / "outbox", paused=lambda: in_call[0])
    folder = tmp_path / "outbox"
    folder.mkdir()
    from appliance.outbox.console_key import save_cached

    save_cached(folder, ConsoleKey(fake_console.keys.public_key, fake_console.keys.key_id, 1 << 24))
    runner = asyncio.create_task(outbox.run())
    try:
        taken = await outbox.capture()  # a still during a call works; its upload waits
        await asyncio.sleep(0.5)
        assert fake_console.puts == [] and outbox.status()["pending"] == 1
        in_call[0] = False
        await until(lambda: taken["id"] in fake_console.stored)
    finally:
        runner.cancel()


def test_max_age_is_configured_in_hours() -> None:
    from appliance.config import load_config
    from appliance.errors import ConfigError

    assert load_config(env={}).outbox_max_age_h == 72.0
    assert load_config(env={"BT_TERMINAL_OUTBOX_MAX_AGE_H": "12"}).outbox_max_age_h == 12.0
    for bad in ("0", "-1", "a week", "100000"):
        with pytest.raises(ConfigError, match="outbox_max_age_h"):
            load_config(env={"BT_TERMINAL_OUTBOX_MAX_AGE_H": bad})
