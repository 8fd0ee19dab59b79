"""The kiosk server's issue-4 API: Host/Origin refusal, new intents, photo and self-view."""

from __future__ import annotations

import threading
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from flask.testing import FlaskClient

from appliance.events import (
    Activity,
    CallbackRequested,
    ChatTyped,
    ContinuePressed,
    Event,
    KeepWaiting,
    ResetPressed,
)
from appliance.kiosk import KioskBridge, create_kiosk_app
from appliance.ports import PhotoPreview, View
from appliance.selfview import SelfViewStream
from tests.appliance.test_camera_parts import decode_jpeg


@pytest.fixture
def posted() -> list[Event]:
    return []


@pytest.fixture
def self_view() -> SelfViewStream:
    return SelfViewStream(fps=50.0)


@pytest.fixture
def bridge(posted: list[Event], self_view: SelfViewStream) -> KioskBridge:
    b = KioskBridge(post=posted.append, parts=lambda: {"camera": "ok"}, self_view=self_view)
    b.running = True
    return b


@pytest.fixture
def client(bridge: KioskBridge) -> FlaskClient:
    return create_kiosk_app(bridge).test_client()


LOCAL = {"base_url": "http://127.0.0.1:8081"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example:8081"},  # DNS rebinding: a foreign name pointing at 127.0.0.1
        {"Host": "127.0.0.1:9999"},  # another port
        {"Host": "127.0.0.1:8081", "Origin": "http://evil.example"},
        {"Host": "127.0.0.1:8081", "Origin": "null"},
        {"Host": "127.0.0.1:8081", "Origin": "http://127.0.0.1:9999"},
    ],
)
def test_foreign_host_or_origin_is_403_json(
    client: FlaskClient, posted: list[Event], headers: dict[str, str]
) -> None:
    for method, path in (("post", "/api/call"), ("get", "/api/state"), ("get", "/")):
        resp = getattr(client, method)(path, json={}, headers=headers, **LOCAL)
        assert resp.status_code == 403, (path, headers)
        assert resp.get_json()["error"]["code"] == "forbidden"
    assert posted == []


def test_own_host_and_origin_are_served(client: FlaskClient, posted: list[Event]) -> None:
    for host in ("127.0.0.1:8081", "localhost:8081"):
        resp = client.post("/api/call", json={}, headers={"Host": host}, **LOCAL)
        assert resp.status_code == 202
        same = {"Host": host, "Origin": f"http://{host}"}
        assert client.post("/api/activity", json={}, headers=same, **LOCAL).status_code == 202
    assert len(posted) == 4


def test_new_intents(client: FlaskClient, posted: list[Event]) -> None:
    assert client.post("/api/continue", json={"language": "ar"}).status_code == 202
    assert client.post("/api/keep-waiting", json={}).status_code == 202
    form = {"name": " Erika Muster ", "phone": "+49 3591 123-0", "language": "de",
            "reason": "closed"}  # fmt: skip
    assert client.post("/api/callback", json=form).status_code == 202
    assert client.post("/api/chat", json={"text": " Hallo "}).status_code == 202
    assert client.post("/api/activity", json={}).status_code == 202
    assert client.post("/api/reset", json={}).status_code == 202
    assert posted == [
        ContinuePressed("ar"), KeepWaiting(),
        CallbackRequested("Erika Muster", "+49 3591 123-0", "de", "closed"),
        ChatTyped("Hallo"), Activity(), ResetPressed(),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/continue", {"language": 5}),
        ("/api/continue", {"language": "../../etc"}),
        ("/api/callback", {"name": "", "phone": "0351 1"}),
        ("/api/callback", {"name": "A", "phone": "call me maybe"}),
        ("/api/callback", {"name": "A", "phone": "0351 1", "reason": "bored"}),
        ("/api/callback", {"phone": "0351 1"}),
        ("/api/chat", {"text": ""}),
        ("/api/chat", {"text": "x" * 1001}),
        ("/api/chat", {}),
    ],
)
def test_bad_intents_are_400(
    client: FlaskClient, posted: list[Event], path: str, body: dict[str, object]
) -> None:
    resp = client.post(path, json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"
    assert posted == []


def test_photo_only_while_there_is_one(client: FlaskClient, bridge: KioskBridge) -> None:
    assert client.get("/api/photo").status_code == 404
    bridge.show(View("in-call", photo=PhotoPreview(3, b"\xff\xd8data", 1920, 1080)))
    assert client.get("/api/state").get_json()["photo"] == {
        "url": "/api/photo?n=3", "width": 1920, "height": 1080
    }  # fmt: skip
    resp = client.get("/api/photo?n=3")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.data == b"\xff\xd8data"
    bridge.show(View("ended"))
    assert client.get("/api/photo").status_code == 404


def frame(number: int) -> av.VideoFrame:
    image = np.full((480, 640, 3), number % 256, dtype=np.uint8)
    f = av.VideoFrame.from_ndarray(image, format="rgb24")
    f.pts, f.time_base = number, Fraction(1, 25)
    return f


def test_self_view_streams_320px_jpegs_only_during_a_call(
    client: FlaskClient, self_view: SelfViewStream
) -> None:
    assert client.get("/api/self-view").status_code == 404  # no call
    self_view.offer(frame(1))  # frames outside a call are not kept
    self_view.open()
    stop = threading.Event()

    def feed() -> None:
        n = 0
        while not stop.is_set():
            self_view.offer(frame(n))
            n += 1
            time.sleep(0.02)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        resp = client.get("/api/self-view", buffered=False)
        assert resp.status_code == 200
        assert resp.mimetype == "multipart/x-mixed-replace"
        parts = iter(resp.response)
        first = next(parts)
        head, _, body = first.partition(b"\r\n\r\n")
        assert head.startswith(b"--frame\r\nContent-Type: image/jpeg")
        assert decode_jpeg(body.removesuffix(b"\r\n")).shape == (240, 320, 3)
        next(parts)
        self_view.close()  # the call ends: so does the stream
        with pytest.raises(StopIteration):
            for _ in range(5):
                next(parts)
        resp.close()
    finally:
        stop.set()
        feeder.join(2)
    assert client.get("/api/self-view").status_code == 404
