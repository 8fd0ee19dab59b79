"""The mobile profile with fakes: staff sign-in, staff home, calling a queue, sign-out, idle.

The coordinator in ``profile = "mobile"`` with a fake link: what it sends the console
(``staff.signin`` carrying the secrets once, nothing else holding them), which screens it
shows, that a kit without a staff member calls nothing, and the kiosk's staff intents.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
from flask.testing import FlaskClient

from appliance.config import ConfigError, load_config
from appliance.coordinator import Coordinator
from appliance.events import (
    Activity,
    CallPressed,
    CardChanged,
    ContinuePressed,
    Event,
    LinkDown,
    LinkMessage,
    LinkUp,
    PartsChanged,
    StaffCallPressed,
    StaffSignInTyped,
    StaffSignOutPressed,
)
from appliance.kiosk import KioskBridge, create_kiosk_app
from protocol.messages import (
    Answered,
    CallCancel,
    CallRequest,
    CardStatus,
    Hangup,
    Queued,
    QueueInfo,
    StaffSignedIn,
    StaffSignedOut,
    StaffSignin,
    StaffSigninFailed,
    StaffSignout,
)
from tests.appliance.fakes import FakeIndicator, FakeLegs, FakeScreen, FakeSignaling, wait_for
from tests.appliance.test_coordinator import WELCOME

QUEUES = [QueueInfo(queue_id=4, name="Wohngeld", office="Rathaus")]


class MobileRig:
    def __init__(self, coordinator: Coordinator, signaling: FakeSignaling) -> None:
        self.coordinator = coordinator
        self.signaling = signaling

    async def post(self, *events: Event) -> None:
        for event in events:
            self.coordinator.post(event)
        await self.coordinator.idle()

    @property
    def screen(self) -> str:
        return self.coordinator.view.shown

    def signins(self) -> list[StaffSignin]:
        return [m for m in self.signaling.sent if isinstance(m, StaffSignin)]

    async def signed_in(self) -> None:
        await self.post(LinkUp(WELCOME), LinkMessage(StaffSignedOut(reason="none")))
        await self.post(StaffSignInTyped(code="12345678"))
        request_id = self.signins()[-1].request_id
        answer = StaffSignedIn(name="Anna", role="caseworker", expires_at=2e9, queues=QUEUES,
                               request_id=request_id)  # fmt: skip
        await self.post(LinkMessage(answer))


async def rig_of(profile: str, staff_idle_s: float = 600.0) -> tuple[MobileRig, asyncio.Task[None]]:
    signaling = FakeSignaling()
    coordinator = Coordinator(signaling=signaling, legs=FakeLegs(), screen=FakeScreen(),
                              indicator=FakeIndicator(), ended_linger_s=0.05, profile=profile,
                              staff_idle_s=staff_idle_s)  # fmt: skip
    task = asyncio.create_task(coordinator.run())
    await asyncio.sleep(0)
    return MobileRig(coordinator, signaling), task


@pytest.fixture
async def rig() -> AsyncIterator[MobileRig]:
    made, task = await rig_of("mobile")
    yield made
    await made.coordinator.stop()
    task.cancel()


async def test_sign_in_screen_then_staff_home(
    rig: MobileRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await rig.post(LinkUp(WELCOME), LinkMessage(StaffSignedOut(reason="none")))
    assert rig.screen == "staff-signin"
    assert rig.coordinator.view.profile == "mobile"
    form = StaffSignInTyped(username="anna", password="geheim-123", totp="123456")
    await rig.post(form, form)  # a second tap while pending sends nothing more
    [sent] = rig.signins()
    assert (sent.username, sent.password, sent.totp, sent.code) == (
        "anna",
        "geheim-123",
        "123456",
        None,
    )
    staff = rig.coordinator.view.staff
    assert staff is not None and staff.pending and staff.name is None
    await rig.post(LinkMessage(StaffSigninFailed(request_id=sent.request_id, code="wrong")))
    assert rig.coordinator.view.staff is not None
    assert (rig.coordinator.view.staff.error, rig.coordinator.view.staff.pending) == (
        "wrong",
        False,
    )
    await rig.post(StaffSignInTyped(code="12345678"))
    second = rig.signins()[-1]
    assert second.code == "12345678" and second.request_id != sent.request_id
    answer = StaffSignedIn(name="Anna", role="caseworker", expires_at=2e9, queues=QUEUES,
                           request_id=second.request_id)  # fmt: skip
    await rig.post(LinkMessage(answer))
    assert rig.screen == "staff-home"
    assert rig.coordinator.view.idle_timeout_s == 600.0  # the page warns before the sign-out
    view = rig.coordinator.view.staff
    assert view is not None and view.name == "Anna" and [q.queue_id for q in view.queues] == [4]
    # Nothing of the secrets is kept or logged on the kit.
    assert "geheim-123" not in repr(rig.coordinator.view) and "12345678" not in repr(view)
    assert "geheim-123" not in caplog.text and "12345678" not in caplog.text
    assert "geheim-123" not in repr(form)


async def test_without_staff_nothing_is_called(rig: MobileRig) -> None:
    await rig.post(LinkUp(WELCOME), LinkMessage(StaffSignedOut(reason="none")))
    await rig.post(CallPressed(), CallPressed(), ContinuePressed(language=None))
    await rig.post(StaffCallPressed(4), CardChanged("eid"))
    assert rig.coordinator.state == "idle" and rig.screen == "staff-signin"
    assert rig.signaling.sent == []  # no call request, no card status
    staff = rig.coordinator.view.staff
    assert staff is not None and staff.card is None  # not shown without a staff member


async def test_staff_calls_a_listed_queue_and_signs_out_hanging_up(rig: MobileRig) -> None:
    await rig.signed_in()
    await rig.post(StaffCallPressed(99))  # not in the list: nothing
    assert rig.coordinator.state == "idle"
    await rig.post(CardChanged("egk"))
    assert rig.signaling.sent[-1] == CardStatus(card="egk", call_id=None)
    staff = rig.coordinator.view.staff
    assert staff is not None and staff.card == "egk"
    await rig.post(StaffCallPressed(4))
    assert rig.coordinator.state == "queued"
    assert rig.signaling.sent[-1] == CallRequest(language=None, queue_id=4)
    await rig.post(LinkMessage(Queued(call_id="c1", position=1)))
    await rig.post(LinkMessage(Answered(call_id="c1", caseworker="Herr Fach", ice_servers=[])))
    assert rig.coordinator.state == "in-call"
    await rig.post(StaffSignOutPressed())
    kinds = [type(m) for m in rig.signaling.sent]
    assert kinds.index(Hangup) < kinds.index(StaffSignout)
    assert rig.coordinator.state in ("ended", "idle")
    await wait_for(lambda: rig.coordinator.state == "idle")
    assert rig.screen == "staff-signin"


async def test_waiting_call_is_cancelled_when_the_console_ends_the_session(rig: MobileRig) -> None:
    await rig.signed_in()
    await rig.post(StaffCallPressed(4), LinkMessage(Queued(call_id="c1", position=2)))
    await rig.post(LinkMessage(StaffSignedOut(reason="expired")))
    assert CallCancel(call_id="c1") in rig.signaling.sent
    await wait_for(lambda: rig.screen == "staff-signin")
    staff = rig.coordinator.view.staff
    assert staff is not None and staff.error == "expired"


async def test_idle_sign_out_only_outside_calls() -> None:
    rig, task = await rig_of("mobile", staff_idle_s=0.2)
    try:
        await rig.signed_in()
        await rig.post(StaffCallPressed(4))  # queued: the idle timer waits for the call
        await asyncio.sleep(0.35)
        await rig.coordinator.idle()
        assert not any(isinstance(m, StaffSignout) for m in rig.signaling.sent)
        await rig.post(StaffSignOutPressed())
        await wait_for(lambda: rig.coordinator.state == "idle")
        await rig.signed_in()
        assert rig.screen == "staff-home"
        await asyncio.sleep(0.1)
        await rig.post(Activity())  # a touch restarts it
        await asyncio.sleep(0.15)
        await rig.coordinator.idle()
        assert rig.screen == "staff-home"
        await wait_for(lambda: rig.screen == "staff-signin", within=2)
        assert rig.signaling.sent[-1] == StaffSignout(reason="idle")
        staff = rig.coordinator.view.staff
        assert staff is not None and staff.error == "idle"
    finally:
        await rig.coordinator.stop()
        task.cancel()


async def test_link_lost_while_signing_in(rig: MobileRig) -> None:
    await rig.post(LinkUp(WELCOME))
    rig.signaling.up = False
    await rig.post(StaffSignInTyped(code="12345678"))
    staff = rig.coordinator.view.staff
    assert staff is not None and (staff.error, staff.pending) == ("offline", False)
    rig.signaling.up = True
    await rig.post(StaffSignInTyped(code="12345678"))
    await rig.post(LinkDown("gone"))
    staff = rig.coordinator.view.staff
    assert staff is not None and (staff.error, staff.pending) == ("offline", False)


async def test_staff_home_stays_without_a_link_until_the_session_expires() -> None:
    """Out of signal the staff home stays (offline capture), calls refused; the session
    ends on the kit when the console's expiry passes, link or not, but never in a call."""
    rig, task = await rig_of("mobile")
    try:
        await rig.signed_in()
        await rig.post(LinkDown("gone"))
        assert rig.coordinator.state == "offline" and rig.screen == "staff-home"
        await rig.post(StaffCallPressed(4))
        assert not any(isinstance(m, CallRequest) for m in rig.signaling.sent)
        await rig.post(LinkUp(WELCOME))
        assert rig.screen == "staff-home"  # the console keeps the session: nothing to redo

        soon = time.time() + 0.3
        await rig.post(LinkMessage(StaffSignedOut(reason="staff")))
        await rig.post(StaffSignInTyped(code="12345678"))
        request_id = rig.signins()[-1].request_id
        answer = StaffSignedIn(name="Anna", role="caseworker", expires_at=soon, queues=QUEUES,
                               request_id=request_id)  # fmt: skip
        await rig.post(LinkMessage(answer), LinkDown("gone"))
        assert rig.screen == "staff-home"
        await wait_for(lambda: rig.screen != "staff-home", within=2)
        staff = rig.coordinator.view.staff
        assert staff is not None and staff.name is None and staff.error == "expired"
        assert rig.coordinator.view.screen == "offline"  # no staff: the kit's offline screen
    finally:
        await rig.coordinator.stop()
        task.cancel()


async def test_session_expiring_in_a_call_ends_after_it() -> None:
    rig, task = await rig_of("mobile")
    try:
        await rig.post(LinkUp(WELCOME), LinkMessage(StaffSignedOut(reason="none")))
        await rig.post(StaffSignInTyped(code="12345678"))
        answer = StaffSignedIn(name="Anna", role="caseworker", expires_at=time.time() + 0.2,
                               queues=QUEUES, request_id=rig.signins()[-1].request_id)  # fmt: skip
        await rig.post(LinkMessage(answer), StaffCallPressed(4))
        assert rig.coordinator.state == "queued"
        await asyncio.sleep(0.4)
        await rig.coordinator.idle()
        assert rig.coordinator.state == "queued" and rig.coordinator.staff.signed_in
        assert not any(isinstance(m, CallCancel) for m in rig.signaling.sent)
    finally:
        await rig.coordinator.stop()
        task.cancel()


async def test_a_kit_clock_off_by_hours_leaves_the_expiry_to_the_console() -> None:
    """A Pi without a real-time clock may be hours off before its time sync: a session the
    console just granted is not ended at once (nor kept for days) because of it."""
    rig, task = await rig_of("mobile")
    try:
        await rig.post(LinkUp(WELCOME), LinkMessage(StaffSignedOut(reason="none")))
        for expires_at in (time.time() - 3600, time.time() + 40 * 3600):
            await rig.post(StaffSignInTyped(code="12345678"))
            request_id = rig.signins()[-1].request_id
            answer = StaffSignedIn(name="Anna", role="caseworker", expires_at=expires_at,
                                   queues=QUEUES, request_id=request_id)  # fmt: skip
            await rig.post(LinkMessage(answer))
            await asyncio.sleep(0.05)
            await rig.coordinator.idle()
            assert rig.screen == "staff-home"
            assert not rig.coordinator._timers.running("staff-expired")
            await rig.post(StaffSignOutPressed())
    finally:
        await rig.coordinator.stop()
        task.cancel()


async def test_printer_health_on_the_staff_home(rig: MobileRig) -> None:
    await rig.signed_in()
    await rig.post(PartsChanged({"printer": "missing", "camera": "ok"}))
    staff = rig.coordinator.view.staff
    assert staff is not None and staff.printer == "missing"


async def test_kiosk_profile_ignores_staff_intents() -> None:
    rig, task = await rig_of("kiosk")
    try:
        await rig.post(LinkUp(WELCOME), StaffSignInTyped(code="12345678"), StaffCallPressed(4))
        assert rig.signaling.sent == [] and rig.screen == "welcome"
        assert rig.coordinator.view.staff is None and rig.coordinator.view.profile == "kiosk"
    finally:
        await rig.coordinator.stop()
        task.cancel()


def test_profile_config() -> None:
    assert load_config(env={}).profile == "kiosk"
    config = load_config(env={"BT_TERMINAL_PROFILE": "mobile", "BT_TERMINAL_STAFF_IDLE_S": "300"})
    assert (config.profile, config.staff_idle_s) == ("mobile", 300.0)
    with pytest.raises(ConfigError, match="profile"):
        load_config(env={"BT_TERMINAL_PROFILE": "truck"})


# --- the kiosk's staff intents ------------------------------------------------------------


@pytest.fixture
def posted() -> list[Event]:
    return []


@pytest.fixture
def client(posted: list[Event]) -> FlaskClient:
    bridge = KioskBridge(post=posted.append, parts=dict)
    bridge.running = True
    return create_kiosk_app(bridge).test_client()


def test_staff_intents(client: FlaskClient, posted: list[Event]) -> None:
    assert client.post("/api/staff/signin", json={"code": "1234 5678"}).status_code == 202
    body = {"username": " anna ", "password": "geheim-123", "totp": "123 456"}
    assert client.post("/api/staff/signin", json=body).status_code == 202
    assert client.post("/api/staff/call", json={"queue_id": 4}).status_code == 202
    assert client.post("/api/staff/signout", json={}).status_code == 202
    assert posted == [
        StaffSignInTyped(code="12345678"),
        StaffSignInTyped(username="anna", password="geheim-123", totp="123456"),
        StaffCallPressed(4),
        StaffSignOutPressed(),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"code": "1234567"},
        {"code": "abcdefgh"},
        {"code": "12345678", "username": "anna", "password": "x"},
        {"username": "anna"},
        {"password": "geheim-123"},
        {"username": "anna", "password": "geheim-123", "totp": "12345"},
        {"username": "a" * 101, "password": "geheim-123"},
        {},
    ],
)
def test_bad_sign_in_forms_are_400_without_echoing_secrets(
    client: FlaskClient, posted: list[Event], body: dict[str, str]
) -> None:
    resp = client.post("/api/staff/signin", json=body)
    assert resp.status_code == 400
    assert "geheim" not in resp.get_data(as_text=True)
    assert "abcdefgh" not in resp.get_data(as_text=True)
    assert posted == []


@pytest.mark.parametrize("body", [{"queue_id": 0}, {"queue_id": "4"}, {"queue_id": True}, {}])
def test_bad_call_is_400(client: FlaskClient, posted: list[Event], body: dict[str, object]) -> None:
    assert client.post("/api/staff/call", json=body).status_code == 400
    assert posted == []
