"""A whole call across two console instances sharing Redis (console/bus/).

The terminal daemon (aiortc, button on MockFactory) talks to the instance that owns the
calls; the caseworker's Chromium signs in at the other one, whose socket messages and the
owner's answers travel over a real redis-server. The call is answered there, video is
decoded both ways, and the caseworker hangs up: the signaling between instances carries a
real call, not only protocol-level test messages (tests/console/test_bus_redis.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.cluster import Template, instances, make_template, wait_owner
from tests.e2e.harness import PASSWORD, chromium, login, running_terminal, wait_for
from tests.e2e.test_call import (
    answer_and_connect,
    assert_media_flows_both_ways,
    request_call,
    wait_both_idle,
)
from tests.redis_server import running_redis

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("instances-template"))


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def test_call_from_a_terminal_on_the_owner_answered_in_chromium_on_the_other_instance(
    template: Template, tmp_path: Path, browser: Any
) -> None:
    with (
        running_redis(tmp_path / "redis") as redis,
        instances(template, tmp_path, redis) as (consoles),
    ):
        owner = wait_owner(consoles)
        other = next(c for c in consoles if c is not owner)
        with running_terminal(owner, template.terminal_dirs[0]) as terminal:
            anna = browser.new_context().new_page()
            login(anna, other.url, "anna", PASSWORD)
            kiosk = browser.new_context().new_page()
            kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
            wait_for(lambda: terminal.coordinator.state == "idle", 15, what="terminal idle")
            kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
            pages = {"anna": anna, "kiosk": kiosk}

            request_call(terminal)
            anna.wait_for_selector("[data-test=queue-item]", timeout=10_000)
            timings = answer_and_connect(pages, terminal)
            assert_media_flows_both_ways(pages, terminal)
            for name, value in timings.items():
                print(f"\nacross instances, {name}: {value:.0f} ms")
            anna.click("[data-test=hangup]")
            wait_both_idle(pages, terminal)
