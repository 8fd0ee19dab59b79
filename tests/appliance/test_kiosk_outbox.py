"""The kiosk API's outbox routes, relaying to a real outbox running on its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask.testing import FlaskClient

from appliance.kiosk import KioskBridge, create_kiosk_app
from appliance.outbox.console_key import ConsoleKey, save_cached
from appliance.outbox.kit import Outbox
from appliance.outbox.store import OutboxStore
from appliance.parts.camera.synthetic import SyntheticCamera
from console.kit_keys import KitKeys

LOCAL = {"base_url": "http://127.0.0.1:8081"}


@contextlib.contextmanager
def running(outbox: Outbox) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.create_task(outbox.run()))

    async def stop() -> None:
        tasks[0].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tasks[0]

    asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    deadline = time.monotonic() + 5
    while not outbox.running:
        assert time.monotonic() < deadline, "the outbox did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def client_for(outbox: Outbox) -> FlaskClient:
    bridge = KioskBridge(post=lambda _e: None, parts=dict)
    bridge.running = True
    return create_kiosk_app(bridge, outbox).test_client()


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    keys = KitKeys([X25519PrivateKey.generate()])
    folder = tmp_path / "outbox"
    folder.mkdir()
    save_cached(folder, ConsoleKey(keys.public_key, keys.key_id, 1 << 24))
    # the console is unreachable (port 9): the kit captures offline with its cached key
    return Outbox(store=OutboxStore(folder), console_url="http://127.0.0.1:9",
                  credential="t:x", camera=SyntheticCamera(), warm_up_s=0)  # fmt: skip


def test_capture_then_status(outbox: Outbox) -> None:
    client = client_for(outbox)
    with running(outbox):
        first = client.post("/api/outbox/capture", json={}, **LOCAL)
        assert first.status_code == 201, first.get_json()
        second = client.post("/api/outbox/capture", json={}, **LOCAL)
        assert second.get_json()["pending"] == 2
        assert len(first.get_json()["id"]) == 32
        status = client.get("/api/outbox", **LOCAL)
        assert status.headers["Cache-Control"] == "no-store"
        body = status.get_json()
        assert body["pending"] == 2 and body["ready"] is True
        assert 0 <= body["oldest_age_s"] < 60 and body["expired"] == 0


def test_foreign_origin_form_and_stopped_daemon_are_refused(outbox: Outbox) -> None:
    client = client_for(outbox)
    foreign = {"Origin": "http://evil.example"}
    assert client.post("/api/outbox/capture", json={}, headers=foreign, **LOCAL).status_code == 403
    assert client.get("/api/outbox", headers={"Host": "evil.example:8081"}).status_code == 403
    form = client.post("/api/outbox/capture", data={"a": "b"}, **LOCAL)
    assert form.status_code == 400
    stopped = client.post("/api/outbox/capture", json={}, **LOCAL)  # outbox not running
    assert stopped.status_code == 503 and stopped.get_json()["error"]["code"] == "not_running"
    assert outbox.store.pending() == []


def test_no_key_yet_is_409(tmp_path: Path) -> None:
    outbox = Outbox(store=OutboxStore(tmp_path / "outbox"), console_url="http://127.0.0.1:9",
                    credential="t:x", camera=SyntheticCamera(), warm_up_s=0)  # fmt: skip
    client = client_for(outbox)
    with running(outbox):
        resp = client.post("/api/outbox/capture", json={}, **LOCAL)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "no_key"
        assert client.get("/api/outbox", **LOCAL).get_json()["ready"] is False
