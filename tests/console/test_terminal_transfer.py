"""The real terminal daemon against the real console hub: a call handed to a colleague.

Caseworker pages are WebSocket clients speaking the protocol; the terminal is the daemon
(aiortc legs, mock GPIO) on its own loop. After ``call.transfer`` the terminal must close
its first camera leg, show whom it is handed to, and offer new legs to the colleague under
the same call id once the colleague answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from appliance.config import Config
from appliance.events import CallPressed
from protocol.messages import Answer, Assigned, QueueUpdate, RtcOffer, Transfer
from tests.appliance.fakes import wait_for
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker
from tests.terminal_thread import terminal_in_thread


@pytest.fixture
def daemon(console: RunningConsole, seed: Seed, tmp_path: Path) -> Iterator[Any]:
    config = replace(
        Config(),
        console_url=console.base,
        data_dir=tmp_path / "terminal",
        kiosk_port=0,
        pin_factory="mock",
        ice_host_addresses=("127.0.0.1",),
        printer="fake",
        card_reader="fake",
    )
    with terminal_in_thread(config, seed.a1) as term:
        yield term


async def next_of(peer: Peer, kind: type[Any], within: float = 5.0) -> Any:
    """The next message of ``kind`` (others are skipped)."""
    while True:
        msg = await peer.recv(within)
        if isinstance(msg, kind):
            return msg


async def test_transfer_to_a_colleague_renegotiates_under_the_same_call_id(
    console: RunningConsole, daemon: Any
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    anton_http, anton, _ = await caseworker(console, "anton")
    anton_id = (await console.store.caseworker_by_username("anton")).id  # type: ignore[union-attr]
    try:
        await wait_for(lambda: daemon.coordinator.state == "idle", 10)
        daemon.coordinator.post_threadsafe(CallPressed("button"))  # welcome -> info
        daemon.coordinator.post_threadsafe(CallPressed("button"))  # info -> call
        await wait_for(lambda: daemon.coordinator.call_id is not None, 10)
        call_id = daemon.coordinator.call_id
        update = await next_of(alice, QueueUpdate)
        while not update.entries:
            update = await next_of(alice, QueueUpdate)
        await alice.send(Answer(call_id=call_id))
        await next_of(alice, Assigned)
        first = await next_of(alice, RtcOffer, 10)
        assert first.call_id == call_id and first.leg == "camera"
        await wait_for(lambda: daemon.coordinator.state == "in-call", 10)

        await alice.send(Transfer(call_id=call_id, to_caseworker_id=anton_id))
        await wait_for(lambda: daemon.coordinator.view.transfer_to == "Anton Amt", 10)
        assert daemon.coordinator.state == "queued" and daemon.coordinator.call_id == call_id
        await anton.send(Answer(call_id=call_id))  # takes the call offered to him
        await next_of(anton, Assigned)
        second = await next_of(anton, RtcOffer, 10)
        assert second.call_id == call_id and second.leg == "camera"
        assert second.sdp != first.sdp  # a new peer connection, not the old one resent
        await wait_for(lambda: daemon.coordinator.view.caseworker == "Anton Amt", 10)
        assert daemon.coordinator.view.transfer_to is None
    finally:
        for peer, http in ((alice, alice_http), (anton, anton_http)):
            await peer.close()
            await http.close()
