"""Choosing the bus from the configuration, and which HTTP requests go to the calls' owner."""

from __future__ import annotations

import pytest

from console.bus.choose import make_bus
from console.bus.http import needs_owner
from console.bus.local import LocalBus
from console.bus.redis import HOLD_WAITING_S, RedisBus
from console.config import load_config
from console.errors import ConfigError
from console.hub import Hub


def test_without_redis_url_the_bus_is_in_process_and_calls_end_with_their_terminal() -> None:
    hub = Hub()
    bus = make_bus(load_config(env={}), hub)
    assert isinstance(bus, LocalBus) and bus.owner_url() is None and bus.health() == {}
    assert hub.hold_waiting_s == 0


def test_redis_url_selects_the_redis_bus_advertising_where_it_serves() -> None:
    hub = Hub()
    env = {"BT_CONSOLE_REDIS_URL": "redis://10.0.0.9:6379/0", "BT_CONSOLE_PORT": "8090"}
    bus = make_bus(load_config(env=env), hub)
    assert isinstance(bus, RedisBus)
    assert bus.advertise_url == "http://127.0.0.1:8090"
    assert hub.hold_waiting_s == HOLD_WAITING_S
    assert bus.health()["ok"] is False  # nothing connected before run()
    env["BT_CONSOLE_ADVERTISE_URL"] = "http://10.0.0.5:8090/"
    other = make_bus(load_config(env=env), Hub())
    assert isinstance(other, RedisBus) and other.advertise_url == "http://10.0.0.5:8090"


@pytest.mark.parametrize(
    ("name", "value"),
    [("REDIS_URL", "http://redis:6379"), ("REDIS_URL", "localhost:6379"),
     ("ADVERTISE_URL", "10.0.0.5:8080")],
)  # fmt: skip
def test_unusable_urls_are_refused_at_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name.lower()):
        load_config(env={f"BT_CONSOLE_{name}": value})


def test_an_empty_redis_url_means_none() -> None:
    assert load_config(env={"BT_CONSOLE_REDIS_URL": " "}).redis_url is None


@pytest.mark.parametrize(
    ("method", "path", "owner"),
    [
        ("POST", "/api/v1/photos", True),
        ("GET", "/api/v1/photos/abc123", True),
        ("POST", "/api/v1/calls/c1/print", True),
        ("GET", "/api/v1/print-jobs/j1", True),
        ("POST", "/api/v1/documents", True),
        ("GET", "/api/v1/documents", False),
        ("POST", "/api/v1/terminals/t1/restart", True),
        ("GET", "/api/v1/fleet", True),
        ("PUT", "/api/v1/fleet/update", True),
        ("GET", "/api/v1/fleet/update", False),
        ("DELETE", "/api/v1/admin/terminals/t1", True),
        ("PATCH", "/api/v1/admin/terminals/t1", False),
        ("PUT", "/api/v1/offices/3/hours", True),
        ("GET", "/api/v1/offices/3/hours", False),
        ("POST", "/login", False),
        ("GET", "/api/v1/photos/a/b", False),
    ],
)
def test_which_requests_need_the_owner(method: str, path: str, owner: bool) -> None:
    assert needs_owner(method, path) is owner
