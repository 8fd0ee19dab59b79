"""Wrap-up after a call, on the real system.

After every call the console gives the caseworker the queue's wrap-up time (here 30 s)
before routing offers her the next; the page counts it down. A call that arrives during
wrap-up is not offered to her (she could still take it from the list on purpose); "Ready
for the next call" ends wrap-up at once and the waiting call rings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.desk import (
    Desk,
    call_state,
    desk,
    hang_up,
    make,
    no_offer_for,
    offers,
    presence,
    request_call,
)
from tests.e2e.harness import wait_for

pytestmark = pytest.mark.e2e
WRAP_UP_S = 30


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Desk]:
    with desk(tmp_path_factory.mktemp("wrapup"), artifacts, routing="longest_idle",
              ring_s=15, wrap_up_s=WRAP_UP_S) as running:  # fmt: skip
        yield running


def left_s(text: str) -> int:
    """Seconds left in "Nachbearbeitung: noch 0:27"."""
    found = re.search(r"(\d+):(\d\d)", text)
    assert found, text
    return int(found.group(1)) * 60 + int(found.group(2))


def test_no_offer_during_wrap_up_and_ready_ends_it(d: Desk) -> None:
    make(d.carl, "break")
    make(d.anna, "available")
    request_call(d)
    wait_for(lambda: offers(d.anna), 5, what="offer")
    d.anna.click("[data-test=offer-answer]")
    wait_for(lambda: call_state(d.anna) == "in-call", 15, what="in call")
    hang_up(d, d.anna)

    wait_for(lambda: presence(d.anna) == "wrap_up", 5, what="wrap-up after the call")
    d.anna.wait_for_selector("[data-test=wrap-up]:visible")
    first = left_s(d.anna.inner_text("[data-test=wrap-up-left]"))
    assert WRAP_UP_S - 5 <= first <= WRAP_UP_S
    d.shot(d.anna, "desk-wrap-up-de")

    request_call(d)
    d.anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    no_offer_for(d.anna, 2.0)
    assert left_s(d.anna.inner_text("[data-test=wrap-up-left]")) < first, "countdown stands still"
    assert presence(d.anna) == "wrap_up"

    d.anna.click("[data-test=wrap-up-ready]")
    wait_for(lambda: offers(d.anna), 5, what="offer once ready")
    assert presence(d.anna) == "available"
    d.anna.click("[data-test=offer-answer]")
    wait_for(lambda: call_state(d.anna) == "in-call", 15, what="second call")
    hang_up(d, d.anna)
