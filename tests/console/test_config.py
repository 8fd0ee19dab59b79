"""Configuration loading and the failure throttle."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.config import ConsoleConfig, load_config
from console.errors import ConfigError
from console.throttle import Throttle
from protocol.messages import IceServer


def test_defaults_file_then_env(tmp_path: Path) -> None:
    assert load_config().port == 8080
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('port = 9000\nheartbeat_s = 5\nice_servers = [{urls = ["stun:a"]}]\n')
    cfg = load_config(cfg_file, {"BT_CONSOLE_PORT": "9001", "BT_CONSOLE_DATA_DIR": "/srv/bt"})
    assert cfg.port == 9001 and cfg.heartbeat_s == 5 and cfg.data_dir == Path("/srv/bt")
    assert cfg.ice_servers == (IceServer(urls=["stun:a"]),)
    assert cfg.url == "sqlite+aiosqlite:////srv/bt/console.db"
    env = {"BT_CONSOLE_ICE_SERVERS": '[{"urls": ["turn:t"], "username": "u", "credential": "c"}]'}
    assert load_config(env=env).ice_servers[0].username == "u"
    with pytest.raises(ConfigError):
        load_config(env={"BT_CONSOLE_ICE_SERVERS": '[{"url": "x"}]'})
    with pytest.raises(ConfigError):
        load_config(env={"BT_CONSOLE_HEARTBEAT_S": "-1"})


def test_database_url_names_a_driver_the_console_ships(tmp_path: Path) -> None:
    pg = "postgresql+asyncpg://bt:geheim@db.example.org/bt"
    assert load_config(env={"BT_CONSOLE_DATABASE_URL": pg}).url == pg
    for plain in ("postgresql://bt:geheim@db.example.org/bt", "postgres://bt:geheim@db/bt"):
        assert load_config(env={"BT_CONSOLE_DATABASE_URL": plain}).url.startswith(
            "postgresql+asyncpg://bt:geheim@"
        )
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('database_url = "sqlite+aiosqlite:////srv/bt/other.db"\n')
    assert load_config(cfg_file).url == "sqlite+aiosqlite:////srv/bt/other.db"
    assert load_config(env={"BT_CONSOLE_DATABASE_URL": " "}).database_url is None
    for bad in ("mysql+aiomysql://bt:geheim@db/bt", "postgresql+psycopg://bt:geheim@db/bt", "x"):
        with pytest.raises(ConfigError, match="postgresql\\+asyncpg://") as refused:
            load_config(env={"BT_CONSOLE_DATABASE_URL": bad})
        assert "geheim" not in str(refused.value)
    assert "geheim" not in repr(load_config(env={"BT_CONSOLE_DATABASE_URL": pg}))


def test_cookie_secure_auto() -> None:
    assert not ConsoleConfig(host="127.0.0.1").secure_cookies
    assert ConsoleConfig(host="0.0.0.0").secure_cookies
    assert not ConsoleConfig(host="0.0.0.0", cookie_secure=False).secure_cookies
    assert load_config(env={"BT_CONSOLE_COOKIE_SECURE": "true"}).cookie_secure is True


def test_throttle_doubles_and_resets() -> None:
    now = [0.0]
    t = Throttle(limit=5, window_s=900, base_delay_s=60, max_delay_s=900, clock=lambda: now[0])
    for _ in range(4):
        t.failure("k")
    assert t.retry_after("k") == 0
    t.failure("k")
    assert t.retry_after("k", "other") == 60
    now[0] = 61
    t.failure("k")
    assert t.retry_after("k") == 120
    for _ in range(10):
        t.failure("k")
    assert t.retry_after("k") == 900
    t.reset("k")
    assert t.retry_after("k") == 0


def test_call_hold_and_call_heartbeat() -> None:
    defaults = load_config(env={})
    assert (defaults.call_hold_s, defaults.call_heartbeat_s) == (60.0, 2.0)
    env = {"BT_CONSOLE_CALL_HOLD_S": "0", "BT_CONSOLE_CALL_HEARTBEAT_S": "1.5"}
    cfg = load_config(env=env)
    assert (cfg.call_hold_s, cfg.call_heartbeat_s) == (0.0, 1.5)  # 0: ends at once, as before
    for bad in ({"BT_CONSOLE_CALL_HOLD_S": "-1"}, {"BT_CONSOLE_CALL_HOLD_S": "7200"},
                {"BT_CONSOLE_CALL_HEARTBEAT_S": "0"}):  # fmt: skip
        with pytest.raises(ConfigError):
            load_config(env=bad)
