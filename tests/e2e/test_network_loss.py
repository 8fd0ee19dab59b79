"""A terminal's network lost mid-call: noticed within 10 s, shown, and the call resumed (issue 7).

Everything real: the console as its own process on the host side of a veth pair; the terminal
daemon (``bt-terminal run``, aiortc) and the kiosk's Chromium inside a network namespace
(tests/netns.py); the caseworker's Chromium on the host. ``ns.cut()`` drops every packet of
the terminal to and from the outside (its loopback, hence daemon <-> kiosk page, keeps
working), exactly as a village DSL line going away. The console runs with its production
heartbeat (15 s) so the test shows that the in-call ping rate, not the idle one, notices the
loss. Measured times are printed (run with ``-s``); screenshots of both pages in the lost
state go to test-artifacts/e2e/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    Console,
    frames_decoded,
    wait_for,
)
from tests.e2e.terminal_process import (
    TerminalProcess,
    kiosk_and_caseworker,
    terminal_in_namespace,
)
from tests.netns import Netns, available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

CAMERA_PC = "window.btConsole.pcs.camera"
SCREEN_PC = "window.btConsole.pcs.screen"
KIOSK_PC = "window.btKiosk.pc"
HOLD_S = 60
NOTICE_LIMIT_S = 10.0


@dataclass
class Rig:
    ns: Netns
    console: Console
    terminal: TerminalProcess
    anna: Any
    kiosk: Any


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    base = tmp_path_factory.mktemp("netloss")
    settings = {"BT_CONSOLE_CALL_HOLD_S": str(HOLD_S)}
    with terminal_in_namespace(base, heartbeat_s=15.0, console_env=settings) as parts:
        ns, console, terminal = parts
        with kiosk_and_caseworker(ns, base, console, terminal) as (kiosk, anna):
            yield Rig(ns, console, terminal, anna, kiosk)


def connect(rig: Rig) -> None:
    """The citizen asks for a call, Frau A answers, frames are decoded both ways."""
    anna, kiosk = rig.anna, rig.kiosk
    rig.terminal.intent("/api/call")
    rig.terminal.intent("/api/continue", {"language": "de"})
    anna.wait_for_selector("[data-test=queue-item]", timeout=15_000)
    anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: frames_decoded(anna, CAMERA_PC) > 0, 20, 0.1, "caseworker decodes frames")
    wait_for(lambda: frames_decoded(kiosk, KIOSK_PC) > 0, 20, 0.1, "kiosk decodes frames")
    assert_frames_flow(rig)


def assert_frames_flow(rig: Rig) -> None:
    """Both legs' decoded-frame counters go up within 1.5 s."""
    before = frames_decoded(rig.anna, CAMERA_PC), frames_decoded(rig.kiosk, KIOSK_PC)
    time.sleep(1.5)
    assert frames_decoded(rig.anna, CAMERA_PC) > before[0], "caseworker stopped decoding"
    assert frames_decoded(rig.kiosk, KIOSK_PC) > before[1], "kiosk stopped decoding"


def cut_until_shown(rig: Rig, artifacts: Path | None = None) -> float:
    """Cut the network; return the seconds until the kiosk shows the loss."""
    rig.anna.evaluate(f"() => {{ window.oldCamera = {CAMERA_PC}; }}")
    cut = time.monotonic()
    rig.ns.cut()
    rig.kiosk.wait_for_selector("[data-test=reconnecting]", state="visible", timeout=20_000)
    shown = time.monotonic() - cut
    assert rig.kiosk.get_attribute("[data-test=state]", "data-state") == "in-call"
    assert rig.kiosk.is_disabled("[data-test=chat-send]")  # lines could not be sent now
    rig.anna.wait_for_selector('[data-test=held][data-state="held"]', timeout=20_000)
    held = time.monotonic() - cut
    print(f"\ncut -> kiosk shows 'reconnecting': {shown:.1f} s")
    print(f"cut -> caseworker page shows the console holding the call: {held:.1f} s")
    if artifacts is not None:
        rig.kiosk.screenshot(path=artifacts / "kiosk-network-lost.png")
        rig.anna.screenshot(path=artifacts / "console-network-lost.png")
    assert shown < NOTICE_LIMIT_S, f"the kiosk showed the loss only after {shown:.1f} s"
    return shown


def test_call_resumes_with_the_same_caseworker(rig: Rig, artifacts: Path) -> None:
    anna, kiosk = rig.anna, rig.kiosk
    connect(rig)
    anna.fill("[data-test=chat-input]", "Guten Tag, ich sehe Sie.")
    anna.click("[data-test=chat-send]")
    kiosk.wait_for_selector("[data-test=chat-log] >> text=Guten Tag, ich sehe Sie.")

    cut_until_shown(rig, artifacts)
    held_text = anna.inner_text("[data-test=held]")
    assert "Terminal" in held_text and " s " in held_text, held_text
    time.sleep(2.0)  # a few seconds without network
    restored = time.monotonic()
    rig.ns.restore()

    kiosk.wait_for_selector("[data-test=reconnecting]", state="hidden", timeout=20_000)
    back = time.monotonic() - restored
    wait_for(lambda: anna.evaluate(f"() => {CAMERA_PC} !== window.oldCamera"), 20, 0.1,
             "a fresh camera leg")  # fmt: skip
    wait_for(lambda: frames_decoded(anna, CAMERA_PC) > 0, 20, 0.1, "caseworker decodes again")
    wait_for(lambda: frames_decoded(kiosk, KIOSK_PC) > 0, 20, 0.1, "kiosk decodes again")
    flowing = time.monotonic() - restored
    print(f"restore -> call resumed on the kiosk: {back:.1f} s")
    print(f"restore -> frames decoded again on both legs: {flowing:.1f} s")
    assert_frames_flow(rig)
    anna.wait_for_selector("[data-test=held]", state="hidden", timeout=10_000)
    assert "Frau A" in kiosk.inner_text("[data-test=state]")  # the same caseworker
    assert anna.get_attribute("[data-test=call-state]", "data-state") == "in-call"
    assert anna.evaluate(f"() => {SCREEN_PC}.connectionState") == "connected"

    # the chat history stays on the kiosk, and the chat goes on both ways
    assert "Guten Tag, ich sehe Sie." in kiosk.inner_text("[data-test=chat-log]")
    anna.fill("[data-test=chat-input]", "Da sind Sie wieder.")
    anna.click("[data-test=chat-send]")
    kiosk.wait_for_selector("[data-test=chat-log] >> text=Da sind Sie wieder.")
    kiosk.fill("[data-test=chat-input]", "Ja, danke.")
    kiosk.click("[data-test=chat-send]")
    anna.wait_for_selector("[data-test=chat-log] >> text=Ja, danke.", timeout=5_000)

    anna.click("[data-test=hangup]")
    wait_for(lambda: rig.terminal.state() == "idle", 15, 0.2, "terminal idle")
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]', timeout=10_000)


def test_caseworker_hangs_up_during_the_cut(rig: Rig) -> None:
    anna, kiosk = rig.anna, rig.kiosk
    connect(rig)
    cut_until_shown(rig)
    anna.click("[data-test=hangup]")
    anna.wait_for_selector('[data-test=call-state][data-state="idle"]', timeout=5_000)
    time.sleep(1.0)
    restored = time.monotonic()
    rig.ns.restore()
    # state and screen in one selector: the test terminal's thanks screen lingers only 0.5 s
    # (tests/e2e/harness.py), and read one after the other the screen was once welcome already
    kiosk.wait_for_selector(
        '[data-test=state][data-state="ended"][data-screen="thanks"]', timeout=20_000
    )
    print(f"\nrestore -> kiosk shows the end of the call: {time.monotonic() - restored:.1f} s")
    assert not kiosk.is_visible("[data-test=reconnecting]")
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]', timeout=15_000)
    assert kiosk.inner_text("[data-test=chat-log]").strip() == ""  # session wiped
    assert rig.terminal.state() == "idle"
