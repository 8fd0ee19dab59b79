"""Routing between two caseworkers of one municipality, on the real system.

Console process, terminal daemon with aiortc, kiosk page and two caseworker pages (Frau A
and Herr C of Adorf) in their own browser contexts. Longest-idle offers the call to the
caseworker idle longest and, when she declines, to the next; ring-all offers it to both at
once and takes it away from the other when one answers. A caseworker on break gets nothing.
Screenshots of the page's states in German and English go to test-artifacts/e2e/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.desk import (
    Desk,
    call_state,
    desk,
    hang_up,
    make,
    media_flows,
    no_offer_for,
    offers,
    request_call,
)
from tests.e2e.harness import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Desk]:
    with desk(tmp_path_factory.mktemp("routing"), artifacts, routing="longest_idle",
              ring_s=8, wrap_up_s=1) as running:  # fmt: skip
        yield running


def idle_order(d: Desk, first: Any, second: Any) -> None:
    """``first`` becomes available before ``second``: first is idle longest."""
    make(first, "break")
    make(second, "break")
    make(first, "available")
    time.sleep(0.1)  # distinct "idle since" times
    make(second, "available")


def test_longest_idle_offers_to_one_then_the_next(d: Desk) -> None:
    idle_order(d, d.anna, d.carl)
    d.shot(d.anna, "desk-available-de")
    asked = time.monotonic()
    request_call(d)
    wait_for(lambda: offers(d.anna), 5, what="offer to the caseworker idle longest")
    rang_ms = (time.monotonic() - asked) * 1000
    print(f"\ncitizen calls -> offer card rings at the caseworker: {rang_ms:.0f} ms")
    card = d.anna.locator("[data-test=offer]")
    assert "Rathaus Adorf" in card.inner_text()
    assert d.anna.inner_text("[data-test=offer-queue]") == "Bürgerservice"
    assert "s" in d.anna.inner_text("[data-test=offer-countdown]")
    assert not offers(d.carl), "longest-idle rang both"
    # The queue list shows the service of the waiting call too.
    assert "Bürgerservice" in d.carl.inner_text("[data-test=queue-item]")
    d.shot(d.anna, "desk-offer-de")

    declined = time.monotonic()
    d.anna.click("[data-test=offer-decline]")
    wait_for(lambda: offers(d.carl), 5, what="offer moves to the next caseworker")
    moved_ms = (time.monotonic() - declined) * 1000
    print(f"decline -> offer rings at the next caseworker: {moved_ms:.0f} ms")
    wait_for(lambda: not offers(d.anna), 5, what="declined card gone")
    d.carl.click("[data-test=offer-answer]")
    wait_for(lambda: d.terminal.coordinator.state == "in-call", 10, what="terminal in call")
    media_flows(d.carl, d.kiosk)
    wait_for(lambda: d.carl.get_attribute("[data-test=presence]", "data-state") == "busy", 5,
             what="carl busy")  # fmt: skip
    assert call_state(d.anna) == "idle"
    hang_up(d, d.carl)


def test_a_caseworker_on_break_gets_no_offer(d: Desk) -> None:
    make(d.carl, "available")
    make(d.anna, "break")
    d.shot(d.anna, "desk-break-de")
    request_call(d)
    wait_for(lambda: offers(d.carl), 5, what="offer to the available caseworker")
    no_offer_for(d.anna, 1.0)
    # Herr C is a supervisor: he sees the team's presence and the queue's length.
    assert d.anna.is_hidden("[data-test=team]")
    anna_row = d.carl.locator("[data-test=team-colleague]", has_text="Frau A")
    assert anna_row.get_attribute("data-state") == "break"
    waiting = d.carl.locator("[data-test=team-queue]", has_text="Bürgerservice")
    assert waiting.locator("[data-test=team-queue-waiting]").inner_text() == "1 wartend"
    d.shot(d.carl, "desk-supervisor-offer-de")
    d.carl.click("[data-test=offer-answer]")
    wait_for(lambda: d.terminal.coordinator.state == "in-call", 10, what="terminal in call")
    hang_up(d, d.carl)
    make(d.anna, "available")


def test_ring_all_offers_to_both_and_the_other_card_goes(d: Desk) -> None:
    d.reconfigure(routing="ring_all")
    make(d.anna, "available")
    make(d.carl, "available")
    request_call(d)
    wait_for(lambda: offers(d.anna) and offers(d.carl), 5, what="both ring")
    assert offers(d.anna) == offers(d.carl)
    d.carl.click("[data-test=offer-answer]")
    wait_for(lambda: not offers(d.anna), 5, what="offer ended for the other")
    wait_for(lambda: d.terminal.coordinator.state == "in-call", 10, what="terminal in call")
    assert call_state(d.anna) == "idle"
    media_flows(d.carl, d.kiosk)
    hang_up(d, d.carl)
