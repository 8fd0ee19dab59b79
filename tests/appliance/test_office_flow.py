"""Issue 5 on the terminal: service choice, transfer, the console's no-answer, restart requests.

The coordinator is driven with fakes (no network); the restart is also checked end to end:
the real ``bt-terminal run`` process against a fake console exits with status 75, which
systemd's ``Restart=`` in systemd/bt-terminal.service restarts.
"""

from __future__ import annotations

import asyncio
import configparser
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from appliance.coordinator import Coordinator
from appliance.events import (
    CallbackRequested,
    CallPressed,
    ContinuePressed,
    Event,
    HangupPressed,
    LinkMessage,
    LinkUp,
)
from appliance.kiosk import KioskBridge, create_kiosk_app
from appliance.restart import RESTART_EXIT_STATUS
from protocol.messages import (
    Answered,
    CallbackRequest,
    CallRequest,
    Ended,
    Message,
    OfficeStatus,
    Queued,
    RtcOffer,
    ServiceOption,
    TerminalRestart,
    Transferred,
)
from tests.appliance.fakes import (
    FakeConsole,
    FakeIndicator,
    FakeLegs,
    FakeScreen,
    FakeSignaling,
    wait_for,
)
from tests.appliance.test_coordinator import WELCOME

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [ServiceOption(queue_id=4, name="Bürgerservice"), ServiceOption(7, "Standesamt")]
OFFICE = OfficeStatus(open=True, timezone="Europe/Berlin", hours=[], services=SERVICES)


@dataclass
class Rig:
    coordinator: Coordinator
    signaling: FakeSignaling
    legs: FakeLegs
    screen: FakeScreen
    restarts: list[str] = field(default_factory=list)

    async def post(self, *events: Event) -> None:
        for event in events:
            self.coordinator.post(event)
        await self.coordinator.idle()

    async def message(self, *messages: Message) -> None:
        await self.post(*(LinkMessage(m) for m in messages))  # type: ignore[arg-type]

    @property
    def view(self):  # type: ignore[no-untyped-def]
        return self.coordinator.view

    async def to_in_call(self, call_id: str = "c1") -> None:
        await self.post(LinkUp(WELCOME), CallPressed(), CallPressed())
        await self.message(Queued(call_id=call_id, position=1, queue="Bürgerservice"))
        await self.message(Answered(call_id=call_id, caseworker="Frau Schmidt", ice_servers=[]))
        await wait_for(lambda: any(isinstance(m, RtcOffer) for m in self.signaling.sent))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    signaling, legs, screen = FakeSignaling(), FakeLegs(), FakeScreen()
    restarts: list[str] = []
    coordinator = Coordinator(
        signaling=signaling,
        legs=legs,
        screen=screen,
        indicator=FakeIndicator(),
        ended_linger_s=0.05,
        on_restart=restarts.append,
    )
    task = asyncio.create_task(coordinator.run())
    await asyncio.sleep(0)
    yield Rig(coordinator, signaling, legs, screen, restarts)
    await coordinator.stop()
    task.cancel()


async def test_the_chosen_service_goes_into_the_call_request(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    await rig.message(OFFICE)
    await rig.post(CallPressed("kiosk"))
    assert rig.view.shown == "info"
    await rig.post(ContinuePressed(language="ar", queue_id=7))
    assert rig.signaling.sent == [CallRequest(language="ar", queue_id=7)]
    await rig.message(Queued(call_id="c1", position=2, queue="Standesamt"))
    assert (rig.view.queue, rig.view.position) == ("Standesamt", 2)


async def test_a_service_the_office_does_not_offer_and_the_arcade_button_choose_none(
    rig: Rig,
) -> None:
    await rig.post(LinkUp(WELCOME))
    await rig.message(OFFICE)
    await rig.post(CallPressed(), ContinuePressed(language="de", queue_id=99))
    assert rig.signaling.sent == [CallRequest(language="de", queue_id=None)]
    await rig.post(HangupPressed(), HangupPressed())  # cancel, back to idle
    await wait_for(lambda: rig.coordinator.state == "idle")
    await rig.post(CallPressed(), CallPressed())  # the arcade button: no choice possible
    assert rig.signaling.sent[-1] == CallRequest(language=None, queue_id=None)


async def test_transfer_closes_both_legs_keeps_the_call_and_negotiates_new_ones(
    rig: Rig,
) -> None:
    await rig.to_in_call()
    first_leg = rig.legs.legs[-1]
    await rig.message(Transferred(call_id="c1", to="Anna Amt", kind="caseworker"))
    assert first_leg.closed and rig.screen.closes == 1  # camera leg and the page's screen leg
    assert rig.coordinator.state == "queued" and rig.coordinator.call_id == "c1"
    assert (rig.view.transfer_to, rig.view.transfer_kind) == ("Anna Amt", "caseworker")
    assert rig.view.shown == "waiting" and rig.view.caseworker is None
    await rig.message(Queued(call_id="c1", position=1))  # position updates keep the text
    assert rig.view.position == 1 and rig.view.transfer_to == "Anna Amt"
    offers = len([m for m in rig.signaling.sent if isinstance(m, RtcOffer)])
    await rig.message(Answered(call_id="c1", caseworker="Anna Amt", ice_servers=[]))
    assert rig.coordinator.state == "in-call" and rig.view.caseworker == "Anna Amt"
    assert rig.view.transfer_to is None
    assert len(rig.legs.legs) == 2 and rig.legs.legs[-1] is not first_leg
    await wait_for(
        lambda: len([m for m in rig.signaling.sent if isinstance(m, RtcOffer)]) == offers + 1
    )
    await rig.message(Transferred(call_id="other", to="X", kind="queue"))  # not ours: ignored
    assert rig.coordinator.state == "in-call"


async def test_transfer_into_a_queue(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.message(Transferred(call_id="c1", to="Standesamt", kind="queue"))
    await rig.message(Queued(call_id="c1", position=3, queue="Standesamt"))
    assert (rig.view.transfer_kind, rig.view.queue, rig.view.position) == (
        "queue",
        "Standesamt",
        3,
    )


async def test_console_no_answer_offers_the_callback_form(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed())
    await rig.message(Queued(call_id="c1", position=1))
    await rig.message(Ended(call_id="c1", reason="no_answer"))
    assert rig.coordinator.state == "idle" and rig.view.shown == "no-answer"
    assert rig.coordinator.call_id is None
    await rig.post(CallbackRequested("Erika Muster", "03591 1234", "de", "no_answer"))
    sent = rig.signaling.sent[-1]
    assert isinstance(sent, CallbackRequest) and sent.reason == "no_answer"
    await rig.post(HangupPressed("kiosk"))  # "cancel" on no-answer: back to welcome, wiped
    assert rig.view.shown == "welcome" and rig.coordinator.desk.session.empty


async def test_the_call_button_on_the_consoles_no_answer_tries_again(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed())
    await rig.message(Queued(call_id="c1", position=1))
    await rig.message(Ended(call_id="c1", reason="no_answer"))
    await rig.post(CallPressed())
    assert rig.view.shown == "info"
    await rig.post(CallPressed())
    assert rig.coordinator.state == "queued" and rig.signaling.sent[-1] == CallRequest()


async def test_restart_at_once_when_idle(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    await rig.message(TerminalRestart(reason="update"))
    assert rig.restarts == ["update"]
    await rig.message(TerminalRestart(reason="again"))
    assert rig.restarts == ["update"]  # once


async def test_restart_waits_until_the_call_is_over(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.message(TerminalRestart())
    assert rig.restarts == [] and rig.coordinator.state == "in-call"
    await rig.message(Ended(call_id="c1", reason="hangup_caseworker"))
    assert rig.coordinator.state == "ended" and rig.restarts == []  # the thanks screen shows
    await wait_for(lambda: rig.coordinator.state == "idle")
    assert rig.restarts == [""]


def test_systemd_restarts_the_daemon_on_the_restart_status() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "systemd" / "bt-terminal.service")
    service = unit["Service"]
    # always and on-failure both restart after a non-zero exit status such as 75.
    assert service["Restart"] in ("always", "on-failure")
    assert str(RESTART_EXIT_STATUS) not in service.get("SuccessExitStatus", "")


async def test_the_daemon_process_exits_75_after_a_restart_request(tmp_path: Path) -> None:
    console = FakeConsole(heartbeat_s=0.5)
    await console.start()
    (tmp_path / "credential").write_text("secret")
    config = tmp_path / "terminal.toml"
    config.write_text(
        f'console_url = "{console.url}"\ndata_dir = "{tmp_path}"\nkiosk_port = 0\n'
        'pin_factory = "mock"\nprinter = "fake"\ncard_reader = "fake"\n'
        'camera = "synthetic"\naudio = "synthetic"\n'
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "appliance", "--config", str(config), "run",
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_for(lambda: console.ws is not None and console.connections == 1, within=20)
        await asyncio.sleep(0.3)  # welcome sent, the coordinator idle
        await console.send(TerminalRestart(reason="test"))
        status = await asyncio.wait_for(proc.wait(), 20)
        assert proc.stderr is not None
        log = (await proc.stderr.read()).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await console.stop()
    assert status == RESTART_EXIT_STATUS, log
    assert "restart requested by the console (test)" in log
    assert "terminal stopped" in log  # stopped cleanly, not killed


@pytest.mark.parametrize(
    ("body", "status", "queue_id"),
    [
        ({"language": "de", "queue_id": 7}, 202, 7),
        ({"language": "de"}, 202, None),
        ({"language": "de", "queue_id": None}, 202, None),
        ({"queue_id": 0}, 400, None),
        ({"queue_id": -3}, 400, None),
        ({"queue_id": "7"}, 400, None),
        ({"queue_id": True}, 400, None),
        ({"queue_id": 1.5}, 400, None),
    ],
)
def test_the_kiosk_continue_intent_carries_the_service(
    body: dict[str, object], status: int, queue_id: int | None
) -> None:
    posted: list[Event] = []
    bridge = KioskBridge(post=posted.append, parts=dict)
    bridge.running = True
    client = create_kiosk_app(bridge).test_client()
    answer = client.post("/api/continue", json=body, base_url="http://127.0.0.1:8081")
    assert answer.status_code == status, answer.get_json()
    if status == 202:
        assert posted == [ContinuePressed(language=body.get("language"), queue_id=queue_id)]  # type: ignore[arg-type]
    else:
        assert posted == [] and "queue_id" in answer.get_json()["error"]["message"]
