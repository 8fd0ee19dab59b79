"""Handing a call on, on the real system: to a colleague and into another queue, with chat.

Frau A answers, opens the transfer dialog (colleagues with presence from the console's desk
message, queues with waiting calls) and hands the call to Herr C: the citizen's kiosk says
who takes over, Frau A's call ends and she goes to wrap-up, Herr C is offered the call
"transferred by Frau A", answers, and frames flow again both ways; chat goes to him now.
Then Herr C hands it into the queue of another office: it waits there, marked as
transferred, and Frau A takes it from the list.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.desk import (
    CAMERA_PC,
    KIOSK_PC,
    POST_JS,
    Desk,
    call_state,
    desk,
    hang_up,
    kiosk_text,
    make,
    media_flows,
    offers,
    presence,
    request_call,
)
from tests.e2e.harness import frames_decoded, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Desk]:
    base = tmp_path_factory.mktemp("transfer")
    other = ("Außenstelle Bedorfer Weg", "Sozialamt")
    with desk(base, artifacts, other, routing="longest_idle", ring_s=15, wrap_up_s=2) as running:
        yield running


def answered_by(d: Desk, page: Any) -> None:
    wait_for(lambda: offers(page), 5, what="offer")
    page.click("[data-test=offer-answer]")
    wait_for(lambda: d.terminal.coordinator.state == "in-call", 10, what="terminal in call")


def test_transfer_to_a_colleague_then_to_a_queue(d: Desk) -> None:
    make(d.carl, "break")
    make(d.anna, "available")
    request_call(d)
    answered_by(d, d.anna)
    media_flows(d.anna, d.kiosk)
    make(d.carl, "available")

    d.anna.click("[data-test=transfer]")
    dialog = d.anna.locator("[data-test=transfer-dialog]")
    dialog.wait_for()
    colleague = d.anna.locator("[data-test=transfer-colleague]")
    wait_for(lambda: colleague.count() == 1, 5, what="one colleague listed (not herself)")
    assert "Herr C" in colleague.inner_text()
    assert colleague.get_attribute("data-state") == "available"
    queues = d.anna.locator("[data-test=transfer-queue] .transfer-name")
    assert sorted(queues.all_inner_texts()) == [
        "Bürgerservice (Adorf)", "Sozialamt (Außenstelle Bedorfer Weg)"]  # fmt: skip
    d.shot(d.anna, "desk-transfer-dialog-de")
    assert frames_decoded(d.kiosk, KIOSK_PC) > 0
    d.kiosk.evaluate(f"{KIOSK_PC}.beforeTransfer = true")  # to tell the new leg from the old
    clicked = time.monotonic()
    d.anna.click("[data-test=transfer-to-caseworker]")

    # The citizen is told who takes over; Frau A's call is over, she wraps up.
    wait_for(lambda: "Herr C" in kiosk_text(d), 5, what="kiosk names the colleague")
    told_ms = (time.monotonic() - clicked) * 1000
    wait_for(lambda: call_state(d.anna) == "idle", 5, what="Frau A's call ended")
    assert not dialog.is_visible()
    wait_for(lambda: presence(d.anna) == "wrap_up", 5, what="Frau A in wrap-up")
    d.kiosk.screenshot(path=d.artifacts / "kiosk-transferred.png")

    wait_for(lambda: offers(d.carl), 5, what="Herr C is offered the call")
    assert "Frau A" in d.carl.inner_text("[data-test=offer-transferred-by]")
    answered = time.monotonic()
    d.carl.click("[data-test=offer-answer]")
    wait_for(lambda: frames_decoded(d.kiosk, KIOSK_PC) > 0, 15, what="kiosk frames, new leg")
    assert d.kiosk.evaluate(f"{KIOSK_PC}.beforeTransfer") is None, "the kiosk kept its old leg"
    wait_for(lambda: frames_decoded(d.carl, CAMERA_PC) > 0, 15, what="Herr C decodes frames")
    again_ms = (time.monotonic() - answered) * 1000
    wait_for(lambda: call_state(d.carl) == "in-call", 15, what="Herr C in the call")
    media_flows(d.carl, d.kiosk)
    print(f"\ntransfer click -> kiosk names the colleague: {told_ms:.0f} ms; colleague's answer"
          f" -> frames both ways again: {again_ms:.0f} ms")  # fmt: skip
    assert "Frau A" in d.carl.inner_text("[data-test=call-peer]")

    # Chat goes to the new caseworker; Frau A's log was wiped with her call.
    assert d.kiosk.evaluate(POST_JS, ["/api/chat", {"text": "Ist das jetzt das Sozialamt?"}]) == 202
    wait_for(lambda: "Sozialamt?" in d.carl.inner_text("[data-test=chat-log]"), 5,
             what="Herr C sees the citizen's chat")  # fmt: skip
    assert d.anna.inner_text("[data-test=chat-log]").strip() == ""
    d.carl.fill("[data-test=chat-input]", "Gleich, ich leite Sie weiter.")
    d.carl.press("[data-test=chat-input]", "Enter")
    wait_for(lambda: "leite Sie weiter" in d.kiosk.inner_text("[data-test=chat-log]"), 5,
             what="the citizen sees Herr C's line")  # fmt: skip

    # Into the other office's queue: it waits there, marked, and Frau A takes it.
    make(d.anna, "break")
    d.carl.click("[data-test=transfer]")
    target = d.carl.locator("[data-test=transfer-queue]", has_text="Sozialamt")
    target.locator("[data-test=transfer-to-queue]").click()
    wait_for(lambda: call_state(d.carl) == "idle", 5, what="Herr C's call ended")
    wait_for(lambda: "Sozialamt" in kiosk_text(d), 5, what="kiosk names the queue")
    item = d.anna.locator("[data-test=queue-item]")
    item.wait_for(timeout=5_000)
    assert d.anna.inner_text("[data-test=queue-service]") == "Sozialamt"
    assert "Herr C" in d.anna.inner_text("[data-test=queue-transferred-by]")
    make(d.anna, "available")
    answer = "[data-test=queue-item] [data-test=answer]"
    wait_for(lambda: offers(d.anna) or d.anna.is_enabled(answer), 5, what="Frau A can take it")
    if offers(d.anna):
        d.anna.click("[data-test=offer-answer]")
    else:
        d.anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: call_state(d.anna) == "in-call", 15, what="Frau A in the call again")
    media_flows(d.anna, d.kiosk)
    hang_up(d, d.anna)


def test_a_declined_transfer_goes_back_to_the_front_of_the_queue(d: Desk) -> None:
    make(d.carl, "break")
    make(d.anna, "available")
    request_call(d)
    answered_by(d, d.anna)
    make(d.carl, "available")
    d.anna.click("[data-test=transfer]")
    button = d.anna.locator("[data-test=transfer-colleague] [data-test=transfer-to-caseworker]")
    wait_for(button.is_enabled, 5, what="Herr C can be chosen")
    button.click()
    wait_for(lambda: offers(d.carl), 5, what="Herr C is offered the call")
    wait_for(lambda: call_state(d.anna) == "idle", 5, what="Frau A's call ended")

    d.carl.click("[data-test=offer-decline]")
    wait_for(lambda: not offers(d.carl), 5, what="declined card gone")
    # Back in the queue, marked as handed on by Frau A; the citizen still waits.
    item = d.anna.locator("[data-test=queue-item]")
    item.wait_for(timeout=5_000)
    assert "Frau A" in item.inner_text()
    assert d.terminal.coordinator.state == "queued"
    # Frau A takes it back from the list on purpose, in the middle of her wrap-up.
    if offers(d.anna):
        d.anna.click("[data-test=offer-answer]")
    else:
        d.anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: call_state(d.anna) == "in-call", 15, what="Frau A has the call again")
    media_flows(d.anna, d.kiosk)
    hang_up(d, d.anna)
