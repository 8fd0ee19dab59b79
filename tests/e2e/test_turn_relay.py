"""A call relayed through a real coturn, with credentials handed out by the console.

coturn (Debian's ``turnserver``) runs with ``use-auth-secret`` on 127.0.0.1; the console
process is configured with its URL and secret and ``ice_transport_policy = "relay"``, so the
caseworker's Chromium gathers relay candidates only. The terminal daemon (aiortc) uses the
ICE servers the console hands out in ``call.answered``, its own TURN credential included.
The call must connect, frames must flow, and the caseworker's ``getStats()`` must show a
selected candidate pair whose local candidate is of type ``relay``; coturn's log must show
allocations by the caseworker (``cw:``) and the terminal (``t:``). A wrong or expired
credential is refused by coturn with 401.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from console.turn import TurnCredentials
from tests.coturn import Coturn, allocate, running_coturn
from tests.e2e.harness import (
    PASSWORD,
    Console,
    chromium,
    enroll_terminal,
    frames_decoded,
    login,
    running_terminal,
    seed_console,
    wait_for,
)

pytestmark = pytest.mark.e2e

SELECTED_PAIR_JS = """async (pc) => {
  if (!pc) return null;
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) {
      pair = stats.get(r.selectedCandidatePairId);
    }
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {state: pair.state, local: local.candidateType, remote: remote.candidateType,
          relayProtocol: local.relayProtocol || null};
}"""


@dataclass
class TurnConsole(Console):
    """The harness's console process with extra environment (TURN settings)."""

    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """The harness environment plus the TURN settings."""
        return {**super().env, **self.extra_env}


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with running_coturn(tmp_path_factory.mktemp("coturn")) as server:
        yield server


@pytest.fixture(scope="module")
def relay_world(coturn: Coturn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Console (relay forced), enrolled terminal, caseworker page and kiosk page."""
    base = tmp_path_factory.mktemp("relay")
    console = TurnConsole(
        base / "console",
        heartbeat_s=2.0,
        extra_env={
            "BT_CONSOLE_TURN_URLS": coturn.url,
            "BT_CONSOLE_TURN_SECRET": coturn.secret,
            "BT_CONSOLE_ICE_TRANSPORT_POLICY": "relay",
        },
    )
    code = seed_console(console)
    console.start()
    try:
        enroll_terminal(console, code, base / "terminal")
        with running_terminal(console, base / "terminal") as terminal, chromium() as browser:
            anna = browser.new_context().new_page()
            login(anna, console.url, "anna", PASSWORD)
            kiosk = browser.new_context().new_page()
            kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
            wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
            yield {"console": console, "terminal": terminal, "anna": anna, "kiosk": kiosk}
    finally:
        console.stop()


def selected_pair(page: Any, pc_expr: str) -> dict[str, Any] | None:
    """The selected ICE candidate pair of a peer connection in ``page`` (types, state)."""
    found = page.evaluate(f"async () => ({SELECTED_PAIR_JS})({pc_expr})")
    return found if isinstance(found, dict) else None


def test_call_is_relayed_through_coturn(relay_world: dict[str, Any], coturn: Coturn) -> None:
    anna, kiosk, terminal = relay_world["anna"], relay_world["kiosk"], relay_world["terminal"]
    kiosk.click("[data-test=call]")
    kiosk.click("[data-test=continue]")
    anna.wait_for_selector("[data-test=queue-item] [data-test=answer]", timeout=10_000)
    clicked = time.monotonic()
    anna.click("[data-test=queue-item] [data-test=answer]")
    camera = "window.btConsole.pcs.camera"
    wait_for(lambda: frames_decoded(anna, camera) > 0, 20, 0.05, "caseworker decodes frames")
    setup_ms = (time.monotonic() - clicked) * 1000
    first = frames_decoded(anna, camera)
    time.sleep(1.0)
    assert frames_decoded(anna, camera) > first, "frames stopped flowing over the relay"

    policy = anna.evaluate(f"{camera}.getConfiguration().iceTransportPolicy")
    assert policy == "relay", "the console's ice_transport_policy did not reach the page"
    pair = wait_for(lambda: selected_pair(anna, camera), 5, 0.1, "a selected candidate pair")
    assert pair["local"] == "relay", pair  # the caseworker's browser used TURN only
    assert pair["relayProtocol"] == "udp", pair
    screen = wait_for(lambda: selected_pair(anna, "window.btConsole.pcs.screen"), 10, 0.1,
                      "the kiosk screen leg's pair")  # fmt: skip
    assert screen["local"] == "relay", screen
    print(f"\nanswer -> first relayed frame at the caseworker: {setup_ms:.0f} ms; pair {pair}")

    log = coturn.log_text()
    assert ":cw:" in log, "no allocation by the caseworker in coturn's log"
    assert ":t:" in log, "the terminal (aiortc) did not use the console's TURN credential"
    anna.click("[data-test=hangup]")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle again")


def test_coturn_refuses_wrong_and_expired_credentials(coturn: Coturn) -> None:
    fresh = TurnCredentials([coturn.url], coturn.secret, 3600).server_for("t:probe")
    assert fresh.username is not None and fresh.credential is not None
    assert allocate(coturn.port, fresh.username, fresh.credential) == 200
    wrong = "A" + fresh.credential[1:] if fresh.credential[0] != "A" else "B" + fresh.credential[1:]
    assert allocate(coturn.port, fresh.username, wrong) == 401
    stale = TurnCredentials([coturn.url], coturn.secret, 60, clock=lambda: time.time() - 3600)
    expired = stale.server_for("t:probe")
    assert expired.username is not None and expired.credential is not None
    assert allocate(coturn.port, expired.username, expired.credential) == 401
    other = TurnCredentials([coturn.url], "someone-elses-secret", 3600).server_for("t:probe")
    assert other.username is not None and other.credential is not None
    assert allocate(coturn.port, other.username, other.credential) == 401
