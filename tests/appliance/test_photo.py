"""The document photo tool against a small fake console (aiohttp.web), and via the coordinator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from appliance.coordinator import Coordinator
from appliance.errors import CameraError
from appliance.events import CallPressed, HangupPressed, LinkMessage, LinkUp
from appliance.parts.camera import NoCamera, Still
from appliance.photo import NOTICE_FAILED, NOTICE_SENT, NOTICE_TAKING, PhotoTool, PhotoUploader
from protocol.messages import (
    PROTOCOL_VERSION,
    Answered,
    PhotoFailed,
    PhotoRequest,
    Queued,
    RtcOffer,
    Welcome,
)
from tests.appliance.fakes import (
    FakeIndicator,
    FakeLegs,
    FakeScreen,
    FakeSignaling,
    wait_for,
)

JPEG = b"\xff\xd8" + b"\x00" * 1000 + b"\xff\xd9"
CREDENTIAL = "t-1.secret"


@dataclass
class Upload:
    auth: str | None
    content_type: str | None
    query: dict[str, str]
    body: bytes


@dataclass
class PhotoConsole:
    """Answers POST /api/v1/photos with the statuses in ``replies`` (201 once they run out)."""

    replies: list[int] = field(default_factory=list)
    hold: asyncio.Event | None = None  # uploads wait for it (slow console)
    uploads: list[Upload] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads.append(
            Upload(
                request.headers.get("Authorization"),
                request.content_type,
                dict(request.query),
                body,
            )
        )
        if self.hold is not None:
            await self.hold.wait()
        status = self.replies.pop(0) if self.replies else 201
        if status == 201:
            return web.json_response({"photo_id": "p1", "width": 1, "height": 1}, status=201)
        return web.json_response({"error": {"code": f"e{status}", "message": "no"}}, status=status)


@pytest.fixture
async def console() -> AsyncIterator[PhotoConsole]:
    fake = PhotoConsole()
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/base/api/v1/photos", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/base/"
    yield fake
    await runner.cleanup()


class FakeCamera:
    """capture_still as the camera part offers it; ``error`` makes it fail."""

    def __init__(self) -> None:
        self.error: Exception | None = None
        self.taken = 0

    async def capture_still(self) -> Still:
        await asyncio.sleep(0)
        if self.error is not None:
            raise self.error
        self.taken += 1
        return Still(jpeg=JPEG, width=4056, height=3040)


@dataclass
class Rig:
    tool: PhotoTool
    camera: FakeCamera
    signaling: FakeSignaling
    notices: list[str]


def make_rig(url: str, camera: Any = "fake", **uploader: Any) -> Rig:
    cam = FakeCamera() if camera == "fake" else camera
    signaling = FakeSignaling()
    notices: list[str] = []
    settings: dict[str, Any] = {"timeout_s": 2.0, "retry_delay_s": 0.01, **uploader}
    tool = PhotoTool(
        camera=cam,
        uploader=PhotoUploader(console_url=url, credential=CREDENTIAL, **settings),
        signaling=signaling,
        notify=notices.append,
    )
    return Rig(tool, cam, signaling, notices)


def failed(rig: Rig) -> list[PhotoFailed]:
    return [m for m in rig.signaling.sent if isinstance(m, PhotoFailed)]


async def test_photo_is_uploaded_with_the_credential(console: PhotoConsole) -> None:
    rig = make_rig(console.url)
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    assert len(console.uploads) == 1
    up = console.uploads[0]
    assert up.auth == f"Bearer {CREDENTIAL}"
    assert up.content_type == "image/jpeg"
    assert up.query == {"call_id": "c1", "request_id": "r1"}
    assert up.body == JPEG
    assert rig.signaling.sent == []
    assert rig.notices == [NOTICE_TAKING, NOTICE_SENT]
    assert rig.tool.sent == 1
    assert not rig.tool.busy


async def test_a_transient_failure_is_retried_once(console: PhotoConsole) -> None:
    console.replies = [503]
    rig = make_rig(console.url)
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    assert len(console.uploads) == 2
    assert failed(rig) == []
    assert rig.tool.sent == 1


async def test_two_failures_send_photo_failed(console: PhotoConsole) -> None:
    console.replies = [500, 502, 201]
    rig = make_rig(console.url)
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    assert len(console.uploads) == 2
    [msg] = failed(rig)
    assert (msg.call_id, msg.request_id) == ("c1", "r1")
    assert "HTTP 502" in msg.message
    assert rig.notices[-1] == NOTICE_FAILED


async def test_a_refusal_is_not_retried(console: PhotoConsole) -> None:
    console.replies = [404]
    rig = make_rig(console.url)
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    assert len(console.uploads) == 1
    [msg] = failed(rig)
    assert "HTTP 404: e404" in msg.message


async def test_a_slow_console_times_out_after_one_retry(console: PhotoConsole) -> None:
    console.hold = asyncio.Event()
    rig = make_rig(console.url, timeout_s=0.2)
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    assert len(console.uploads) == 2
    [msg] = failed(rig)
    assert "zu lange" in msg.message
    console.hold.set()


async def test_an_unreachable_console(console: PhotoConsole) -> None:
    rig = make_rig("http://127.0.0.1:9")  # discard port: nobody listens
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    [msg] = failed(rig)
    assert "nicht erreichbar" in msg.message


@pytest.mark.parametrize("camera", [None, "broken", "none"])
async def test_camera_failures_send_photo_failed(console: PhotoConsole, camera: Any) -> None:
    cam: Any
    if camera == "broken":
        cam = FakeCamera()
        cam.error = CameraError("sensor timeout")
    elif camera == "none":
        cam = NoCamera()
    else:
        cam = None
    rig = make_rig(console.url, camera=cam)
    await rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    assert console.uploads == []
    [msg] = failed(rig)
    assert "Kamera" in msg.message


async def test_call_end_cancels_an_upload_in_flight(console: PhotoConsole) -> None:
    console.hold = asyncio.Event()
    rig = make_rig(console.url)
    task = asyncio.create_task(
        rig.tool.on_message(PhotoRequest(call_id="c1", request_id="r1"), "c1")
    )
    await wait_for(lambda: len(console.uploads) == 1)
    assert rig.tool.busy
    await rig.tool.on_call_end("other-call")
    assert not task.done()
    await rig.tool.on_call_end("c1")
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not rig.tool.busy
    assert rig.signaling.sent == []  # the call is over: nobody to tell
    console.hold.set()


async def test_the_coordinator_hands_photo_requests_of_the_current_call_only(
    console: PhotoConsole,
) -> None:
    rig = make_rig(console.url)
    coordinator = Coordinator(
        signaling=rig.signaling, legs=FakeLegs(), screen=FakeScreen(),
        indicator=FakeIndicator(), ended_linger_s=0.05, tools=[rig.tool],
    )  # fmt: skip
    task = asyncio.create_task(coordinator.run())
    try:
        post: Callable[[Any], None] = coordinator.post
        post(LinkUp(Welcome(protocol=PROTOCOL_VERSION, name="T", municipality="M",
                            ice_servers=[], heartbeat_s=15)))  # fmt: skip
        post(CallPressed())  # info
        post(CallPressed())  # continue: the call is requested
        post(LinkMessage(PhotoRequest(call_id="c1", request_id="early")))  # not in a call yet
        post(LinkMessage(Queued(call_id="c1", position=1)))
        post(LinkMessage(Answered(call_id="c1", caseworker="Frau S", ice_servers=[])))
        await wait_for(lambda: any(isinstance(m, RtcOffer) for m in rig.signaling.sent))
        post(LinkMessage(PhotoRequest(call_id="other", request_id="stray")))
        post(LinkMessage(PhotoRequest(call_id="c1", request_id="r1")))
        await wait_for(lambda: rig.tool.sent == 1)
        assert [u.query["request_id"] for u in console.uploads] == ["r1"]
        console.hold = asyncio.Event()
        post(LinkMessage(PhotoRequest(call_id="c1", request_id="r2")))
        await wait_for(lambda: rig.tool.busy and len(console.uploads) == 2)
        post(HangupPressed(source="kiosk"))
        await wait_for(lambda: not rig.tool.busy)
        assert rig.tool.sent == 1
        assert failed(rig) == []
        console.hold.set()
    finally:
        await coordinator.stop()
        task.cancel()


def test_the_kiosk_bridge_relays_notices_to_its_pages() -> None:
    from appliance.kiosk.bridge import KioskBridge

    bridge = KioskBridge(post=lambda event: None, parts=dict)
    page = bridge.subscribe()
    bridge.notice(NOTICE_SENT)
    assert page.get_nowait() == ("notice", {"text": NOTICE_SENT})
