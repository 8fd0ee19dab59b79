"""Configuration: defaults, file, environment, and errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import Config, load_config
from appliance.errors import ConfigError


def test_defaults() -> None:
    config = load_config(None, env={})
    assert config == Config()
    assert config.console_url == "http://127.0.0.1:8080"
    assert config.kiosk_port == 8081
    assert config.kiosk_host == "127.0.0.1"
    assert (config.button_pin, config.led_pin) == (17, 18)
    assert config.ice_host_addresses == ()


def test_file_then_env(tmp_path: Path) -> None:
    path = tmp_path / "terminal.toml"
    path.write_text(
        '[terminal]\nconsole_url = "https://console.example"\nkiosk_port = 9000\n'
        'ice_host_addresses = ["127.0.0.1"]\nended_linger_s = 1.5\n'
    )
    config = load_config(
        path, env={"BT_TERMINAL_KIOSK_PORT": "0", "BT_TERMINAL_PIN_FACTORY": "mock"}
    )
    assert config.console_url == "https://console.example"
    assert config.kiosk_port == 0
    assert config.pin_factory == "mock"
    assert config.ice_host_addresses == ("127.0.0.1",)
    assert config.ended_linger_s == 1.5


def test_kiosk_port_env_alias() -> None:
    assert load_config(None, env={"KIOSK_PORT": "8999"}).kiosk_port == 8999
    env = {"KIOSK_PORT": "8999", "BT_TERMINAL_KIOSK_PORT": "8998"}
    assert load_config(None, env=env).kiosk_port == 8998


def test_env_addresses_are_comma_separated() -> None:
    env = {"BT_TERMINAL_ICE_HOST_ADDRESSES": "127.0.0.1, ::1"}
    assert load_config(None, env=env).ice_host_addresses == ("127.0.0.1", "::1")


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"BT_TERMINAL_KIOSK_PORT": "http"}, "kiosk_port"),
        ({"BT_TERMINAL_KIOSK_PORT": "70000"}, "kiosk_port"),
        ({"BT_TERMINAL_BUTTON_PIN": "40"}, "button_pin"),
        ({"BT_TERMINAL_PIN_FACTORY": "rpi"}, "pin_factory"),
        ({"BT_TERMINAL_CONSOLE_URL": "ftp://x"}, "console_url"),
        ({"BT_TERMINAL_ICE_HOST_ADDRESSES": "localhost"}, "ice_host_addresses"),
        ({"BT_TERMINAL_ENDED_LINGER_S": "-1"}, "ended_linger_s"),
        ({"BT_TERMINAL_HOLD_TO_CANCEL_S": "soon"}, "hold_to_cancel_s"),
        ({"BT_TERMINAL_LED_PIN": "17"}, "led_pin"),
    ],
)
def test_invalid_values_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(None, env=env)
    assert err.value.key == key
    assert key in str(err.value)


def test_unknown_key_and_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('kiosk_host = "0.0.0.0"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert err.value.key == "kiosk_host"
    path.write_text("this is = = not toml")
    with pytest.raises(ConfigError):
        load_config(path, env={})
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.toml", env={})
