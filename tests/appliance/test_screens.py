"""The citizen's screens around the call, driven with fakes: info, closed, no-answer,
thanks, callback-sent, chat, photo, print status, self-view, camera and the idle wipe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from appliance.coordinator import Coordinator
from appliance.events import (
    Activity,
    CallbackRequested,
    CallPressed,
    ChatTyped,
    ContinuePressed,
    Event,
    HangupPressed,
    KeepWaiting,
    LinkDown,
    LinkMessage,
    LinkUp,
    PhotoTaken,
    PrintChanged,
    ResetPressed,
)
from appliance.kiosk.snapshot import snapshot_of
from appliance.ports import Contact
from appliance.session import Session
from protocol.messages import (
    PROTOCOL_VERSION,
    Answered,
    CallbackAccepted,
    CallbackRequest,
    CallCancel,
    CallRequest,
    Chat,
    Ended,
    Error,
    OfficeStatus,
    OpeningSpan,
    Queued,
    RtcOffer,
    Welcome,
)
from tests.appliance.fakes import FakeIndicator, FakeLegs, FakeScreen, FakeSignaling, wait_for

WELCOME = Welcome(
    protocol=PROTOCOL_VERSION, name="T1", municipality="M", ice_servers=[], heartbeat_s=15
)
HOURS = [OpeningSpan(weekday=1, opens="08:00", closes="12:00")]
OPEN = OfficeStatus(open=True, timezone="Europe/Berlin", hours=HOURS, available=1, waiting=0)
CLOSED = OfficeStatus(open=False, timezone="Europe/Berlin", hours=HOURS, next_open=1.8e9)


class FakeCamera:
    def __init__(self) -> None:
        self.capturing = False
        self.switches: list[bool] = []

    def start(self) -> None:
        self.capturing = True
        self.switches.append(True)

    def stop(self) -> None:
        self.capturing = False
        self.switches.append(False)


class FakeSelfView:
    def __init__(self) -> None:
        self.active = False

    def open(self) -> None:
        self.active = True

    def close(self) -> None:
        self.active = False


@dataclass
class Rig:
    coordinator: Coordinator
    signaling: FakeSignaling
    screen: FakeScreen
    camera: FakeCamera
    self_view: FakeSelfView

    async def post(self, *events: Event) -> None:
        for event in events:
            self.coordinator.post(event)
        await self.coordinator.idle()

    @property
    def screen_name(self) -> str:
        return self.coordinator.view.shown

    @property
    def session(self) -> Session:
        return self.coordinator.desk.session

    async def to_in_call(self, language: str = "tr") -> None:
        await self.post(LinkUp(WELCOME), CallPressed("kiosk"), ContinuePressed(language))
        await self.post(LinkMessage(Queued(call_id="c1", position=1)))
        await self.post(LinkMessage(Answered(call_id="c1", caseworker="Frau S", ice_servers=[])))
        await wait_for(lambda: any(isinstance(m, RtcOffer) for m in self.signaling.sent))


def make(idle_s: float = 5.0, no_answer_s: float = 5.0, linger_s: float = 0.05) -> Rig:
    signaling, screen = FakeSignaling(), FakeScreen()
    camera, self_view = FakeCamera(), FakeSelfView()
    coordinator = Coordinator(
        signaling=signaling, legs=FakeLegs(), screen=screen, indicator=FakeIndicator(),
        ended_linger_s=linger_s, camera=camera, self_view=self_view,
        contact=Contact("03591 123-0", "Markt 1"), idle_timeout_s=idle_s, no_answer_s=no_answer_s,
    )  # fmt: skip
    return Rig(coordinator, signaling, screen, camera, self_view)


@pytest.fixture
async def rigs() -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    """Builds and runs rigs with the given timers; stops them afterwards."""
    running: list[tuple[Rig, asyncio.Task[None]]] = []

    async def start(**timers: float) -> Rig:
        r = make(**timers)
        running.append((r, asyncio.create_task(r.coordinator.run())))
        await asyncio.sleep(0)
        return r

    yield start
    for r, task in running:
        await r.coordinator.stop()
        task.cancel()


@pytest.fixture
async def rig(rigs: Callable[..., Awaitable[Rig]]) -> Rig:
    return await rigs()


def snapshot(rig: Rig) -> dict[str, object]:
    return snapshot_of(rig.coordinator.view)


async def test_press_opens_info_and_the_camera_waits_for_continue(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    assert rig.screen_name == "welcome"
    assert snapshot(rig)["office"] is None  # no OfficeStatus yet: treated as open
    await rig.post(CallPressed("button"))
    assert (rig.coordinator.state, rig.screen_name) == ("idle", "info")
    assert rig.signaling.sent == [] and not rig.camera.capturing
    await rig.post(ContinuePressed("ar"))
    assert rig.signaling.sent == [CallRequest(language="ar")]
    assert rig.screen_name == "waiting"
    await wait_for(lambda: rig.camera.capturing)
    await rig.post(LinkMessage(Queued(call_id="c1", position=2, estimated_wait_s=120.0)))
    snap = snapshot(rig)
    assert snap["position"] == 2 and snap["estimated_wait_s"] == 120.0
    assert snap["contact"] == {"phone": "03591 123-0", "address": "Markt 1"}
    await rig.post(HangupPressed("kiosk"))
    assert rig.signaling.sent[-1] == CallCancel(call_id="c1")
    assert rig.screen_name == "thanks"
    await wait_for(lambda: not rig.camera.capturing)
    await wait_for(lambda: rig.screen_name == "welcome")
    assert rig.session.empty


async def test_second_button_press_continues_in_the_chosen_language(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed())
    assert rig.signaling.sent == [CallRequest()] and rig.screen_name == "waiting"


async def test_closed_office_shows_closed_and_takes_a_callback(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), LinkMessage(CLOSED))
    assert snapshot(rig)["office"] == {
        "open": False, "timezone": "Europe/Berlin",
        "hours": [{"weekday": 1, "opens": "08:00", "closes": "12:00"}],
        "next_open": 1.8e9, "available": 0, "waiting": 0, "estimated_wait_s": None,
        "office": "", "services": [], "exceptions": [], "brand_color": None, "welcome_text": None,
    }  # fmt: skip
    await rig.post(CallPressed("kiosk"))
    assert rig.screen_name == "closed"
    await rig.post(ContinuePressed("de"))  # no call while closed
    assert rig.signaling.sent == [] and not rig.camera.capturing
    await rig.post(CallbackRequested("Erika Muster", "03591 555", "de", "closed"))
    request = rig.signaling.sent[-1]
    assert isinstance(request, CallbackRequest) and request.reason == "closed"
    assert snapshot(rig)["callback"] == "sending"
    await rig.post(LinkMessage(CallbackAccepted(request_id=request.request_id)))
    assert rig.session.callback_form is None  # name and phone dropped at once
    assert (rig.screen_name, snapshot(rig)["callback"]) == ("callback-sent", "sent")
    await wait_for(lambda: rig.screen_name == "welcome")
    assert rig.session.empty
    assert rig.coordinator.desk.office == CLOSED  # the office status is not per citizen


async def test_callback_failure_keeps_the_form(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), LinkMessage(CLOSED), CallPressed())
    await rig.post(CallbackRequested("Erika", "0351 1", None, "closed"))
    await rig.post(LinkMessage(Error(code="unavailable", message="retry")))
    assert snapshot(rig)["callback"] == "failed" and rig.screen_name == "closed"
    form = rig.session.callback_form
    assert form is not None and (form.name, form.phone) == ("Erika", "0351 1")
    await rig.post(LinkDown("lost"), CallbackRequested("Erika", "0351 1", None, "closed"))
    assert snapshot(rig)["callback"] == "failed"  # no link: failed at once, form kept
    assert rig.session.callback_form is not None
    assert sum(isinstance(m, CallbackRequest) for m in rig.signaling.sent) == 1


async def test_no_answer_offers_callback_or_keep_waiting(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(no_answer_s=0.1)
    await rig.post(LinkUp(WELCOME), CallPressed(), ContinuePressed("en"))
    await rig.post(LinkMessage(Queued(call_id="c1", position=1)))
    await wait_for(lambda: rig.screen_name == "no-answer")
    assert rig.coordinator.state == "queued"  # the call stays queued
    await rig.post(KeepWaiting())
    assert rig.screen_name == "waiting"
    await wait_for(lambda: rig.screen_name == "no-answer")
    await rig.post(CallbackRequested("A B", "+49 351 1", "en", "no_answer"))
    request = rig.signaling.sent[-1]
    assert isinstance(request, CallbackRequest)
    await rig.post(LinkMessage(CallbackAccepted(request_id=request.request_id)))
    assert rig.signaling.sent[-1] == CallCancel(call_id="c1")  # a callback instead of waiting
    assert (rig.coordinator.state, rig.screen_name) == ("idle", "callback-sent")
    await wait_for(lambda: rig.screen_name == "welcome")
    await wait_for(lambda: not rig.camera.capturing)


async def test_chat_photo_print_and_self_view_in_a_call_then_wiped(rig: Rig) -> None:
    await rig.to_in_call()
    assert rig.self_view.active
    await rig.post(ChatTyped("Guten Tag"))
    assert rig.signaling.sent[-1] == Chat(call_id="c1", text="Guten Tag")
    await rig.post(LinkMessage(Chat(call_id="c1", text="Hallo", sender="caseworker")))
    await rig.post(LinkMessage(Chat(call_id="other", text="not ours", sender="caseworker")))
    await rig.post(PhotoTaken("c1", b"\xff\xd8jpeg", 1920, 1080))
    await rig.post(PrintChanged("c1", "printing"))
    snap = snapshot(rig)
    assert [(c["sender"], c["text"]) for c in snap["chat"]] == [  # type: ignore[attr-defined]
        ("citizen", "Guten Tag"), ("caseworker", "Hallo")
    ]  # fmt: skip
    assert snap["photo"] == {"url": "/api/photo?n=1", "width": 1920, "height": 1080}
    assert snap["print"] == {"status": "printing", "message": ""}
    assert rig.session.language == "tr"
    await rig.post(LinkMessage(Ended(call_id="c1", reason="hangup_caseworker")))
    assert rig.screen_name == "thanks" and not rig.self_view.active
    snap = snapshot(rig)
    assert snap["chat"] == [] and snap["photo"] is None and snap["print"] is None
    await wait_for(lambda: rig.screen_name == "welcome")
    assert rig.session.empty


async def test_idle_timeout_wipes_info_closed_and_no_answer_but_not_waiting(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(idle_s=0.15)
    await rig.post(LinkUp(WELCOME), CallPressed())
    rig.session.language = "uk"  # something of the citizen
    for _ in range(3):  # touches keep it
        await asyncio.sleep(0.08)
        await rig.post(Activity())
    assert rig.screen_name == "info"
    await wait_for(lambda: rig.screen_name == "welcome", within=2)
    assert rig.session.empty
    snap = snapshot(rig)
    assert snap["chat"] == [] and snap["photo"] is None and snap["callback"] is None

    await rig.post(CallPressed(), ContinuePressed("uk"), LinkMessage(Queued("c1", 1)))
    await asyncio.sleep(0.3)
    assert rig.screen_name == "waiting"  # never while waiting
    await rig.post(HangupPressed(), ResetPressed())
    assert rig.screen_name == "welcome" and rig.session.empty


async def test_idle_on_no_answer_cancels_the_call_and_wipes(
    rigs: Callable[..., Awaitable[Rig]],
) -> None:
    rig = await rigs(idle_s=0.1, no_answer_s=0.05)
    await rig.post(LinkUp(WELCOME), CallPressed(), ContinuePressed("de"))
    await rig.post(LinkMessage(Queued(call_id="c1", position=1)))
    await rig.post(CallbackRequested("X", "12345", "de", "no_answer"))
    await rig.post(LinkMessage(Error(code="unavailable", message="")))
    assert rig.session.callback_form is not None
    await wait_for(lambda: rig.screen_name == "welcome", within=2)
    assert rig.signaling.sent[-1] == CallCancel(call_id="c1")
    assert rig.session.empty and rig.coordinator.state == "idle"


async def test_office_closing_while_on_info_shows_closed_and_hangup_leaves(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), LinkMessage(OPEN), CallPressed())
    assert rig.screen_name == "info"
    await rig.post(LinkMessage(CLOSED))
    assert rig.screen_name == "closed"
    await rig.post(HangupPressed("kiosk"))
    assert rig.screen_name == "welcome"


async def test_reset_in_waiting_cancels_and_wipes(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), ContinuePressed("en"))
    await rig.post(LinkMessage(Queued(call_id="c1", position=1)), ResetPressed())
    assert rig.signaling.sent[-1] == CallCancel(call_id="c1")
    assert (rig.coordinator.state, rig.screen_name) == ("idle", "welcome")
    assert rig.session.empty
