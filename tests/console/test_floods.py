"""Flood limits with a driven clock: connections and messages per address, and their config.

The same limits against a running console, with a second address measured while one
floods, are in tests/console/test_flood_sockets.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app import create_app
from console.config import ConsoleConfig, load_config
from console.errors import ConfigError
from console.floods import FloodGuard, FloodLimits, Verdict, address_key
from console.routes.flood_gate import ATTEMPTS
from console.store import Store
from protocol.messages import MAX_MESSAGE_BYTES

LIMITS = FloodLimits(
    connections_per_min=60,
    connection_burst=3,
    messages_per_s=10,
    message_burst=5,
    address_messages_per_s=15,
    address_message_burst=8,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_connections_burst_then_wait_per_address() -> None:
    clock = Clock()
    guard = FloodGuard(LIMITS, clock)
    assert [guard.admit("192.0.2.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = guard.admit("192.0.2.1")
    assert wait >= 1.0
    assert guard.admit("192.0.2.2") == 0.0, "another address is not affected"
    clock.now += 1.0  # one per second refills
    assert guard.admit("192.0.2.1") == 0.0
    assert guard.admit("192.0.2.1") > 0


def test_ipv6_counts_per_64() -> None:
    guard = FloodGuard(LIMITS, Clock())
    for host in range(3):
        assert guard.admit(f"2001:db8:1:2::{host + 1}") == 0.0
    assert guard.admit("2001:db8:1:2:ffff::9") > 0, "same /64, same budget"
    assert guard.admit("2001:db8:1:3::1") == 0.0
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("unknown") == "unknown"


def test_messages_refused_once_then_dropped_then_closed() -> None:
    clock = Clock()
    budget = FloodGuard(LIMITS, clock).budget("192.0.2.1")
    verdicts = [budget.take(10) for _ in range(5 + 5 + 1)]
    assert verdicts[:5] == [Verdict.ACCEPT] * 5
    assert verdicts[5] is Verdict.REFUSE
    assert verdicts[6:10] == [Verdict.DROP] * 4
    assert verdicts[10] is Verdict.CLOSE, "a burst's worth refused: closed"


def test_a_client_that_slows_down_recovers() -> None:
    clock = Clock()
    budget = FloodGuard(LIMITS, clock).budget("192.0.2.1")
    for _ in range(5):
        assert budget.take(10) is Verdict.ACCEPT
    assert budget.take(10) is Verdict.REFUSE
    clock.now += 0.125  # a token back at 10 per second
    assert budget.take(10) is Verdict.ACCEPT
    assert budget.take(10) is Verdict.DROP, "told at most once a second"
    for _ in range(100):  # at the steady rate nothing is refused
        clock.now += 0.125
        assert budget.take(10) is Verdict.ACCEPT
    verdict = budget.take(10)
    while verdict is Verdict.ACCEPT:  # what the steady rate left over
        verdict = budget.take(10)
    assert verdict is Verdict.REFUSE, "a second later it is told again"


def test_twice_the_rate_is_slowed_down_far_more_is_closed() -> None:
    clock = Clock()
    budget = FloodGuard(LIMITS, clock).budget("192.0.2.1")
    verdicts = []
    for _ in range(400):  # 20 per second for 20 s: half of them over the limit of 10
        clock.now += 0.05
        verdicts.append(budget.take(10))
    assert Verdict.CLOSE not in verdicts
    assert 190 <= verdicts.count(Verdict.ACCEPT) <= 210
    budget = FloodGuard(LIMITS, clock).budget("192.0.2.2")
    taken = 0
    while budget.take(10) is not Verdict.CLOSE:  # 1000 per second
        clock.now += 0.001
        taken += 1
    assert taken < 20, "closed within a few hundredths of a second"


def test_sockets_of_one_address_share_its_budget() -> None:
    clock = Clock()
    guard = FloodGuard(LIMITS, clock)
    first, second = guard.budget("192.0.2.1"), guard.budget("192.0.2.1")
    other = guard.budget("192.0.2.2")
    assert [first.take(1) for _ in range(5)] == [Verdict.ACCEPT] * 5
    got = [second.take(1) for _ in range(5)]
    assert got == [Verdict.ACCEPT] * 3 + [Verdict.REFUSE, Verdict.DROP], "8 per address"
    assert [other.take(1) for _ in range(5)] == [Verdict.ACCEPT] * 5


def test_large_frames_cost_more() -> None:
    budget = FloodGuard(LIMITS, Clock()).budget("192.0.2.1")
    assert budget.take(4 * MAX_MESSAGE_BYTES) is Verdict.ACCEPT  # 5 tokens: the whole burst
    assert budget.take(1) is Verdict.REFUSE


def test_idle_addresses_are_forgotten() -> None:
    clock = Clock()
    guard = FloodGuard(LIMITS, clock)
    for n in range(999):
        guard.admit(f"10.0.{n // 256}.{n % 256}")
    assert guard.addresses == 999
    clock.now += 10  # every bucket is full again
    guard.admit("192.0.2.1")  # the 1000th operation sweeps
    assert guard.addresses == 1


@pytest.mark.parametrize(
    "bad",
    [{"messages_per_s": 0}, {"connection_burst": 0}, {"address_messages_per_s": -1}, {"x": 1}],
)
def test_bad_flood_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        load_config(env={"BT_CONSOLE_FLOOD": str(bad).replace("'", '"')})


def test_flood_and_proxy_settings_from_file_and_env(tmp_path: Path) -> None:
    path = tmp_path / "console.toml"
    path.write_text('trusted_proxies = ["10.0.0.0/8"]\n[flood]\nmessages_per_s = 50\n')
    cfg = load_config(path)
    assert cfg.trusted_proxies == ("10.0.0.0/8",)
    assert cfg.flood.messages_per_s == 50 and cfg.flood.message_burst == 100
    env = {
        "BT_CONSOLE_TRUSTED_PROXIES": "10.0.0.1, ::1",
        "BT_CONSOLE_FLOOD": '{"connection_burst": 5}',
    }
    cfg = load_config(env=env)
    assert cfg.trusted_proxies == ("10.0.0.1", "::1") and cfg.flood.connection_burst == 5
    assert load_config().trusted_proxies == (), "no proxy is trusted by default"
    with pytest.raises(ConfigError):
        load_config(env={"BT_CONSOLE_TRUSTED_PROXIES": "proxy.local"})
    with pytest.raises(ConfigError):
        load_config(env={"BT_CONSOLE_FLOOD": "{not json"})


def test_counted_endpoints_exist(config: ConsoleConfig, store: Store) -> None:
    app = create_app(config, store, secret_key="k" * 48)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= ATTEMPTS, f"renamed? {ATTEMPTS - endpoints}"
