"""The kiosk Flask app through its test client, with a bridge recording intents."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from appliance.events import CallPressed, Event, HangupPressed, ScreenOffer, ScreenStats
from appliance.kiosk import KioskBridge, create_kiosk_app
from appliance.ports import View
from protocol.messages import IceServer


@pytest.fixture
def posted() -> list[Event]:
    return []


@pytest.fixture
def bridge(posted: list[Event]) -> KioskBridge:
    parts = {"camera": "ok", "microphone": "ok", "button": "ok", "console_link": "ok"}
    b = KioskBridge(post=posted.append, parts=lambda: parts)
    b.running = True
    return b


@pytest.fixture
def client(bridge: KioskBridge) -> FlaskClient:
    return create_kiosk_app(bridge).test_client()


def test_page_has_the_test_hooks(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for hook in ('data-test="state"', 'data-test="call"', 'data-test="hangup"',
                 'data-test="remote-video"', "kiosk.js"):  # fmt: skip
        assert hook in html
    assert client.get("/static/kiosk.js").status_code == 200
    assert client.get("/static/kiosk.css").status_code == 200


def test_healthz_shape(client: FlaskClient, bridge: KioskBridge) -> None:
    body = client.get("/healthz").get_json()
    assert body == {
        "status": "ok",
        "state": "offline",
        "parts": {"camera": "ok", "microphone": "ok", "button": "ok", "console_link": "ok"},
    }
    bridge._parts = lambda: {"camera": "ok", "console_link": "down"}
    bridge.show(View("offline", reason="lost"))
    assert client.get("/healthz").get_json()["status"] == "degraded"
    bridge.running = False
    assert client.get("/healthz").get_json()["status"] == "down"


def test_state(client: FlaskClient, bridge: KioskBridge) -> None:
    bridge.show(View("queued", position=2))
    body = client.get("/api/state").get_json()
    assert body["state"] == "queued" and body["position"] == 2 and body["boot"] == bridge.boot


def test_intents(client: FlaskClient, posted: list[Event]) -> None:
    assert client.post("/api/call", json={}).status_code == 202
    assert client.post("/api/hangup", json={}).status_code == 202
    assert client.post("/api/rtc/screen-offer", json={"sdp": "v=0\r\n"}).status_code == 202
    assert client.post("/api/rtc/stats", json={"frames_decoded": 12}).status_code == 202
    assert posted == [
        CallPressed("kiosk"), HangupPressed("kiosk"), ScreenOffer("v=0\r\n"), ScreenStats(12)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/call", {"data": "x=1", "content_type": "application/x-www-form-urlencoded"}),
        ("/api/call", {"data": "{}", "content_type": "text/plain"}),
        ("/api/hangup", {"data": "{broken", "content_type": "application/json"}),
        ("/api/hangup", {"data": "[1]", "content_type": "application/json"}),
        ("/api/rtc/screen-offer", {"json": {"sdp": 5}}),
        ("/api/rtc/screen-offer", {"json": {}}),
        ("/api/rtc/stats", {"json": {"frames_decoded": -1}}),
        ("/api/rtc/stats", {"json": {"frames_decoded": "many"}}),
        ("/api/rtc/stats", {"data": b"\xff\xfe", "content_type": "application/json"}),
    ],
)
def test_bad_input_is_400_json(
    client: FlaskClient, posted: list[Event], path: str, kwargs: dict[str, object]
) -> None:
    resp = client.post(path, **kwargs)  # type: ignore[arg-type]
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_request"
    assert posted == []


def test_too_large_and_wrong_method(client: FlaskClient) -> None:
    big = json.dumps({"sdp": "v=0" + "a" * 70_000})
    resp = client.post("/api/rtc/screen-offer", data=big, content_type="application/json")
    assert resp.status_code == 413 and "error" in resp.get_json()
    resp = client.get("/api/call")
    assert resp.status_code == 405 and "error" in resp.get_json()


def test_not_running_is_503(client: FlaskClient, bridge: KioskBridge) -> None:
    bridge.running = False
    assert client.post("/api/call", json={}).status_code == 503


def test_events_stream(client: FlaskClient, bridge: KioskBridge) -> None:
    resp = client.get("/api/events", buffered=False)
    assert resp.mimetype == "text/event-stream"
    chunks = iter(resp.response)
    assert next(chunks).startswith(b"retry:")
    first = next(chunks).decode()
    assert first.startswith("event: state\n") and '"state":"offline"' in first
    assert bridge.pages == 1
    servers = [IceServer(urls=["stun:x"])]
    assert bridge.request_screen_offer(servers, "relay")
    assert next(chunks).decode() == (
        'event: screen-offer\ndata: {"ice_servers":[{"urls":["stun:x"]}],'
        '"ice_transport_policy":"relay"}\n\n'
    )
    bridge.deliver_screen_answer("v=0 a")
    assert "screen-answer" in next(chunks).decode()
    bridge.close()
    with pytest.raises(StopIteration):
        next(chunks)
    resp.close()
    assert bridge.pages == 0
    assert not bridge.request_screen_offer(servers)
