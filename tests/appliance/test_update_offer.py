"""The daemon hands the console's ``update.offer`` to the installer: /data/update/request.json.

Written atomically, only while no call runs (else once the call is over), only when it
differs from what is there, never for a malformed offer, and not at all when updates are
disabled. Checked on the gate, through the coordinator, and in a real daemon process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.coordinator import Coordinator
from appliance.events import CallPressed, Event, LinkMessage, LinkUp
from appliance.update_request import UpdateGate, read_request, request_of, update_gate
from protocol.messages import Answered, Ended, Message, Queued, RtcOffer, UpdateOffer
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
SHA = "ab" * 32
OFFER = UpdateOffer(url="https://updates.example.org/bt-0.2.0.raucb", version="0.2.0", sha256=SHA)


def on_disk(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text()))


# --- the gate --------------------------------------------------------------------------------


def test_idle_terminal_writes_the_request_at_once(tmp_path: Path) -> None:
    path = tmp_path / "update" / "request.json"  # the folder is made if missing
    gate = UpdateGate(path)
    gate.offer(OFFER, "idle")
    assert on_disk(path) == {"url": OFFER.url, "sha256": SHA, "version": "0.2.0"}
    assert gate.written == 1 and gate.pending is None
    assert [p.name for p in path.parent.iterdir()] == ["request.json"]  # no temporary left
    assert path.stat().st_mode & 0o777 == 0o644


def test_offline_counts_as_no_call(tmp_path: Path) -> None:
    gate = UpdateGate(tmp_path / "request.json")
    gate.offer(OFFER, "offline")
    assert gate.written == 1


@pytest.mark.parametrize("state", ["queued", "in-call", "ended"])
def test_during_a_call_the_request_waits(tmp_path: Path, state: str) -> None:
    path = tmp_path / "request.json"
    gate = UpdateGate(path)
    gate.offer(OFFER, state)  # type: ignore[arg-type]
    assert not path.exists() and gate.pending is not None
    gate.check("in-call")
    assert not path.exists()
    gate.check("idle")
    assert on_disk(path)["version"] == "0.2.0"


def test_a_newer_offer_replaces_the_waiting_one(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    gate = UpdateGate(path)
    gate.offer(OFFER, "in-call")
    gate.offer(UpdateOffer(url="https://u.example.org/b3.raucb", version="0.3.0"), "in-call")
    gate.check("idle")
    assert on_disk(path) == {
        "url": "https://u.example.org/b3.raucb",
        "sha256": "",
        "version": "0.3.0",
    }
    assert gate.written == 1


def test_the_same_offer_is_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    gate = UpdateGate(path)
    gate.offer(OFFER, "idle")
    first = path.stat().st_ino
    gate.offer(OFFER, "idle")  # the console repeats it on every connect
    assert gate.written == 1 and path.stat().st_ino == first
    # A restarted daemon (new gate) compares with the file, not with its memory.
    again = UpdateGate(path)
    again.offer(UpdateOffer(url=OFFER.url, version=OFFER.version, sha256=SHA.upper()), "idle")
    assert again.written == 0
    again.offer(UpdateOffer(url=OFFER.url, version="0.2.1", sha256=SHA), "idle")
    assert again.written == 1 and on_disk(path)["version"] == "0.2.1"


def test_a_broken_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text("{half")
    assert read_request(path) is None
    UpdateGate(path).offer(OFFER, "idle")
    assert on_disk(path)["url"] == OFFER.url


@pytest.mark.parametrize(
    "offer",
    [
        UpdateOffer(url="http://updates.example.org/b.raucb", version="1"),
        UpdateOffer(url="ftp://updates.example.org/b.raucb", version="1"),
        UpdateOffer(url="https:///b.raucb", version="1"),
        UpdateOffer(url="https://user:pw@updates.example.org/b.raucb", version="1"),
        UpdateOffer(url="https://updates.example.org/a b.raucb", version="1"),
        UpdateOffer(url="https://[::1/b", version="1"),
        UpdateOffer(url="https://updates.example.org/b.raucb", version="1 2"),
        UpdateOffer(url="https://updates.example.org/b.raucb", version=" "),
        UpdateOffer(url="https://updates.example.org/b.raucb", version="1", sha256="ab" * 31),
        UpdateOffer(url="https://updates.example.org/b.raucb", version="1", sha256="zz" * 32),
    ],
)
def test_malformed_offers_are_ignored(
    tmp_path: Path, offer: UpdateOffer, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "request.json"
    assert request_of(offer) is None
    with caplog.at_level(logging.WARNING):
        UpdateGate(path).offer(offer, "idle")
    assert not path.exists()
    assert "malformed update offer" in caplog.text


def test_disabled_updates_write_nothing(tmp_path: Path) -> None:
    gate = update_gate("")
    gate.offer(OFFER, "idle")
    gate.check("idle")
    assert gate.written == 0 and gate.pending is None
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "update").write_text("a file where the folder should be")
    gate = UpdateGate(tmp_path / "update" / "request.json")
    with caplog.at_level(logging.ERROR):
        gate.offer(OFFER, "idle")
    assert gate.written == 0 and "could not write the update request" in caplog.text


def test_config_key_defaults_to_disabled(tmp_path: Path) -> None:
    assert load_config(env={}).update_request_file == ""
    env = {"BT_TERMINAL_UPDATE_REQUEST_FILE": "/data/update/request.json"}
    assert load_config(env=env).update_request_file == "/data/update/request.json"
    toml = tmp_path / "terminal.toml"
    toml.write_text('update_request_file = "/data/update/request.json"\n')
    assert load_config(toml, env={}).update_request_file == "/data/update/request.json"


# --- through the coordinator -----------------------------------------------------------------


@dataclass
class Rig:
    coordinator: Coordinator
    signaling: FakeSignaling
    path: Path

    async def post(self, *events: Event) -> None:
        for event in events:
            self.coordinator.post(event)
        await self.coordinator.idle()

    async def message(self, *messages: Message) -> None:
        await self.post(*(LinkMessage(m) for m in messages))  # type: ignore[arg-type]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    path = tmp_path / "request.json"
    signaling = FakeSignaling()
    coordinator = Coordinator(
        signaling=signaling, legs=FakeLegs(), screen=FakeScreen(), indicator=FakeIndicator(),
        ended_linger_s=0.05, updates=UpdateGate(path),
    )  # fmt: skip
    task = asyncio.create_task(coordinator.run())
    await asyncio.sleep(0)
    yield Rig(coordinator, signaling, path)
    await coordinator.stop()
    task.cancel()


async def test_coordinator_hands_an_offer_over_when_idle(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    await rig.message(OFFER)
    assert on_disk(rig.path)["version"] == "0.2.0"
    assert rig.coordinator.state == "idle"  # nothing else happens on the terminal


async def test_coordinator_waits_for_the_call_to_end(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed())
    await rig.message(Queued(call_id="c1", position=1))
    await rig.message(Answered(call_id="c1", caseworker="Frau Schmidt", ice_servers=[]))
    await wait_for(lambda: any(isinstance(m, RtcOffer) for m in rig.signaling.sent))
    await rig.message(OFFER)
    assert rig.coordinator.state == "in-call" and not rig.path.exists()
    await rig.message(Ended(call_id="c1", reason="hangup_caseworker"))
    assert rig.coordinator.state == "ended" and not rig.path.exists()  # thanks screen
    await wait_for(lambda: rig.coordinator.state == "idle")
    await wait_for(rig.path.exists)
    assert on_disk(rig.path)["url"] == OFFER.url


# --- a real daemon process -------------------------------------------------------------------


async def test_the_daemon_writes_the_request_and_survives_bad_offers(tmp_path: Path) -> None:
    console = FakeConsole(heartbeat_s=0.5)
    await console.start()
    (tmp_path / "credential").write_text("secret")
    request = tmp_path / "update" / "request.json"
    config = tmp_path / "terminal.toml"
    config.write_text(
        f'console_url = "{console.url}"\ndata_dir = "{tmp_path}"\nkiosk_port = 0\n'
        'pin_factory = "mock"\nprinter = "fake"\ncard_reader = "fake"\n'
        f'camera = "synthetic"\naudio = "synthetic"\nupdate_request_file = "{request}"\n'
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "appliance", "--config", str(config), "run",
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_for(lambda: console.ws is not None and console.connections == 1, within=20)
        await asyncio.sleep(0.3)  # welcome sent, the coordinator idle
        await console.send_raw('{"type": "update.offer", "url": 5, "version": []}')
        await console.send_raw('{"type": "update.offer", "url": "https://x.example"}')
        await console.send(UpdateOffer(url="http://plain.example.org/b.raucb", version="9"))
        await console.send(OFFER)
        await wait_for(request.exists, within=10)
        assert on_disk(request) == {"url": OFFER.url, "sha256": SHA, "version": "0.2.0"}
        assert proc.returncode is None and console.connections == 1  # still the same link
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await console.stop()
    assert proc.stderr is not None
    log = (await proc.stderr.read()).decode()
    assert "malformed update offer" in log and "update 0.2.0 requested" in log, log
    assert "Traceback" not in log, log
