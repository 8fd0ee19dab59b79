"""sd_notify over a real unix datagram socket, the watchdog rule, and journal fields."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.coordinator import Coordinator
from appliance.events import CallPressed, LinkMessage, LinkUp
from appliance.ports import View
from appliance.systemd import (
    NullNotifier,
    SystemdNotifier,
    Watchdog,
    configure_logging,
    notifier_from_env,
    status_text,
    systemd_service,
    watchdog_interval,
)
from protocol.messages import PROTOCOL_VERSION, Answered, Queued, Welcome
from tests.appliance.fakes import FakeIndicator, FakeLegs, FakeScreen, FakeSignaling, wait_for


class NotifySocket:
    """What systemd listens on: a unix datagram socket; records (time, message)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.received: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            for line in data.decode().splitlines():
                self.received.append((time.monotonic(), line))

    def messages(self, prefix: str = "") -> list[str]:
        return [m for _, m in self.received if m.startswith(prefix)]

    def times(self, message: str) -> list[float]:
        return [t for t, m in self.received if m == message]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def notify_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    # A short directory: unix socket paths are limited to 107 bytes.
    directory = Path(tempfile.mkdtemp(prefix="bt-notify-"))
    sock = NotifySocket(directory / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", str(sock.path))
    yield sock
    sock.close()
    sock.path.unlink(missing_ok=True)
    directory.rmdir()


def test_status_lines() -> None:
    assert status_text(View("idle")) == "idle"
    assert status_text(View("queued")) == "queued"
    assert status_text(View("queued", position=2)) == "queued (position 2)"
    assert status_text(View("in-call", caseworker="Frau Schmidt")) == "in call with Frau Schmidt"
    assert status_text(View("ended", reason="hangup_terminal")) == "call ended (hangup_terminal)"
    offline = View("offline", reason="cannot connect: ClientConnectorError")
    assert status_text(offline) == "offline: console unreachable"
    assert (
        status_text(View("offline", reason="credential refused")) == "offline: credential refused"
    )


def test_watchdog_interval_from_environment() -> None:
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    own = {"WATCHDOG_USEC": "400000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(own) == 0.4
    assert watchdog_interval({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"}, pid=2) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_no_notify_socket_means_no_op() -> None:
    assert isinstance(notifier_from_env({}), NullNotifier)
    NullNotifier().notify("READY=1")
    service = systemd_service(stalled_s=lambda: 0.0, env={})
    assert service.watchdog is None


def test_watchdog_rule() -> None:
    dog = Watchdog(NullNotifier(), 0.4)  # period and max lag 0.2 s
    assert dog.decide(0.01)
    assert not dog.decide(0.5)  # blocked: withheld...
    assert not dog.decide(0.01)  # ...and one good wake-up is not enough
    assert dog.decide(0.01)  # two in a row: healthy again
    stalled = [0.0]
    dog = Watchdog(NullNotifier(), 0.4, stalled_s=lambda: stalled[0], stuck_after_s=5)
    assert dog.decide(0.0)
    stalled[0] = 6.0
    assert not dog.decide(0.0)
    stalled[0] = 0.0
    assert not dog.decide(0.0)
    assert dog.decide(0.0)


async def test_ready_status_and_pings_reach_the_socket(notify_socket: NotifySocket) -> None:
    service = systemd_service(stalled_s=lambda: 0.0, env={**os.environ, "WATCHDOG_USEC": "400000"})
    assert isinstance(service._notifier, SystemdNotifier)
    started = asyncio.Event()
    task = asyncio.create_task(service.run(started))
    service.show(View("offline", reason="starting"))
    await asyncio.sleep(0.1)
    assert "READY=1" not in notify_socket.messages()  # not before the terminal runs
    started.set()
    service.show(View("idle"))
    service.show(View("idle"))  # unchanged: not sent again
    service.show(View("queued", position=2))
    await wait_for(lambda: len(notify_socket.times("WATCHDOG=1")) >= 6, within=5)
    task.cancel()
    service.stopping()
    await wait_for(lambda: "STOPPING=1" in notify_socket.messages())
    assert notify_socket.messages("STATUS=") == [
        "STATUS=offline: connecting to the console",
        "STATUS=idle",
        "STATUS=queued (position 2)",
    ]
    assert notify_socket.messages("READY") == ["READY=1"]
    pings = notify_socket.times("WATCHDOG=1")
    gaps = sorted(b - a for a, b in itertools.pairwise(pings))
    assert 0.15 < gaps[len(gaps) // 2] < 0.3  # half of WATCHDOG_USEC


async def test_blocked_loop_stops_the_pings(notify_socket: NotifySocket) -> None:
    dog = Watchdog(SystemdNotifier(), 0.4)
    task = asyncio.create_task(dog.run())
    await wait_for(lambda: len(notify_socket.times("WATCHDOG=1")) >= 3, within=5)
    block: dict[str, float] = {}

    def freeze() -> None:
        block["start"] = time.monotonic()
        time.sleep(1.0)  # the event loop is stuck: longer than the whole interval
        block["end"] = time.monotonic()

    asyncio.get_running_loop().call_soon(freeze)
    await asyncio.sleep(0)
    await wait_for(lambda: "end" in block, within=5)
    resumed_before = len(notify_socket.times("WATCHDOG=1"))
    await wait_for(lambda: len(notify_socket.times("WATCHDOG=1")) > resumed_before, within=5)
    task.cancel()
    pings = notify_socket.times("WATCHDOG=1")
    during = [t for t in pings if block["start"] < t < block["end"] + dog.period_s]
    assert during == []  # none in the block, none at the late wake-up after it
    after = [t for t in pings if t >= block["end"]]
    assert after and after[0] - block["end"] >= 2 * dog.period_s - 0.05  # two good wakes first
    assert dog.withheld >= 1


async def test_coordinator_publishes_status_and_reports_a_stall() -> None:
    coordinator = Coordinator(
        signaling=FakeSignaling(), legs=FakeLegs(), screen=FakeScreen(), indicator=FakeIndicator()
    )
    views: list[View] = []
    coordinator.observe(views.append)
    runner = asyncio.create_task(coordinator.run())
    welcome = Welcome(
        protocol=PROTOCOL_VERSION, name="T1", municipality="M", ice_servers=[], heartbeat_s=15
    )
    queued = LinkMessage(Queued(call_id="c1", position=2))
    for event in (LinkUp(welcome), CallPressed(), CallPressed(), queued):
        coordinator.post(event)
    await coordinator.idle()
    coordinator.post(LinkMessage(Answered(call_id="c1", caseworker="Frau S", ice_servers=[])))
    await coordinator.idle()
    assert [status_text(v) for v in views][-3:] == [
        "queued",
        "queued (position 2)",
        "in call with Frau S",
    ]
    assert coordinator.call_id == "c1"
    assert coordinator.stalled_for() == 0.0
    runner.cancel()


def test_journal_handler_under_systemd_with_fields() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    sent: list[tuple[str, dict[str, Any]]] = []
    try:
        fields = configure_logging(
            "info",
            {"JOURNAL_STREAM": "8:1234"},
            journal_sender=lambda MESSAGE, **kw: sent.append((MESSAGE, kw)),
        )
        fields.context = lambda: {"BT_STATE": "in-call", "BT_CALL_ID": "c7"}
        logging.getLogger("appliance.test").info("hello", extra={"BT_PART": "audio"})
        handler = root.handlers[0]
        assert type(handler).__name__ == "JournalHandler"
        msg, kw = sent[-1]
        assert msg == "appliance.test: hello"
        assert (kw["BT_STATE"], kw["BT_CALL_ID"], kw["BT_PART"]) == ("in-call", "c7", "audio")
        assert kw["SYSLOG_IDENTIFIER"] == "bt-terminal"
        configure_logging("info", {})
        assert isinstance(root.handlers[0], logging.StreamHandler)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
