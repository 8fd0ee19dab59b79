"""Typed configuration of the terminal: defaults, then a TOML file, then environment.

The file is the one municipalities put on the SD card's boot partition; environment
variables (``BT_TERMINAL_<KEY>``) win over it so that tests and demos can change a
value without writing a file. Everything is validated once at start and an invalid
value raises :class:`ConfigError` naming the key, instead of failing later mid-call.

The kiosk web server always binds to 127.0.0.1: it accepts intents (call, hang up)
without authentication, so it must never be reachable from the network. That is why
its host is not configurable at all.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from appliance.errors import ConfigError

KIOSK_HOST = "127.0.0.1"
"""The kiosk server's only address (see the module docstring)."""

ENV_PREFIX = "BT_TERMINAL_"
PIN_FACTORIES = ("native", "mock")


@dataclass(frozen=True)
class Config:
    """The terminal's whole configuration; built by :func:`load_config`."""

    console_url: str = "http://127.0.0.1:8080"
    """Base URL of the console; ``/ws/terminal`` and ``/api/v1/enroll`` are appended."""
    data_dir: Path = Path("var/terminal")
    """Where the credential lives (mode 0600); relative paths are taken from the cwd."""
    kiosk_port: int = 8081
    """Port of the local kiosk page; 0 picks a free one (tests)."""
    pin_factory: str = "native"
    """gpiozero pin factory: ``native`` (the Pi's GPIO) or ``mock`` (no hardware)."""
    button_pin: int = 17
    """BCM number of the call button (to ground; the internal pull-up is used)."""
    led_pin: int = 18
    """BCM number of the button's LED ring; 18 is hardware-PWM capable."""
    camera: str = "synthetic"
    microphone: str = "synthetic"
    ice_host_addresses: tuple[str, ...] = field(default_factory=tuple)
    """Host addresses aioice gathers; empty = aioice's choice. Loopback demos: 127.0.0.1."""
    ended_linger_s: float = 3.0
    """How long the "call ended" screen stays before the terminal is idle again."""
    hold_to_cancel_s: float = 3.0
    """Holding the button this long cancels a waiting call or hangs up."""

    @property
    def kiosk_host(self) -> str:
        """Always 127.0.0.1: the kiosk API has no authentication."""
        return KIOSK_HOST


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the optional TOML file and ``BT_TERMINAL_*`` variables into a validated Config."""
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        raw.update(_read_file(path))
    raw.update(_from_env(environ))
    return _build(raw)


_KEYS = {f.name for f in fields(Config)}


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise ConfigError("--config", f"cannot read {path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("--config", f"{path} is not valid TOML: {err}") from err
    # Accept both a flat file and one with a [terminal] table.
    table = data.get("terminal", data)
    if not isinstance(table, dict):
        raise ConfigError("terminal", "must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(unknown[0], f"unknown key in {path}")
    return dict(table)


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "KIOSK_PORT" in env:
        out["kiosk_port"] = env["KIOSK_PORT"]
    for key in _KEYS:
        name = ENV_PREFIX + key.upper()
        if name in env:
            value: Any = env[name]
            if key == "ice_host_addresses":
                value = [part.strip() for part in value.split(",") if part.strip()]
            out[key] = value
    return out


def _int(raw: dict[str, Any], key: str, lo: int, hi: int) -> int:
    value = raw[key]
    if isinstance(value, bool):
        raise ConfigError(key, "must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(key, f"must be an integer, got {value!r}") from err
    if not lo <= number <= hi:
        raise ConfigError(key, f"must be between {lo} and {hi}, got {number}")
    return number


def _float(raw: dict[str, Any], key: str, lo: float, hi: float) -> float:
    value = raw[key]
    if isinstance(value, bool):
        raise ConfigError(key, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(key, f"must be a number, got {value!r}") from err
    if not lo <= number <= hi:
        raise ConfigError(key, f"must be between {lo} and {hi}, got {number}")
    return number


def _str(raw: dict[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, "must be a non-empty string")
    return value.strip()


def _build(raw: dict[str, Any]) -> Config:
    defaults = Config()
    values: dict[str, Any] = {}
    for key in _KEYS:
        if key not in raw:
            continue
        if key in ("kiosk_port",):
            values[key] = _int(raw, key, 0, 65535)
        elif key in ("button_pin", "led_pin"):
            values[key] = _int(raw, key, 0, 27)
        elif key in ("ended_linger_s",):
            values[key] = _float(raw, key, 0.0, 3600.0)
        elif key in ("hold_to_cancel_s",):
            values[key] = _float(raw, key, 0.05, 60.0)
        elif key == "data_dir":
            values[key] = Path(_str(raw, key))
        elif key == "ice_host_addresses":
            values[key] = _addresses(raw[key])
        else:
            values[key] = _str(raw, key)
    config = Config(**{**{f.name: getattr(defaults, f.name) for f in fields(Config)}, **values})
    url = urlsplit(config.console_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError("console_url", f"must be an http(s) URL, got {config.console_url!r}")
    if config.pin_factory not in PIN_FACTORIES:
        raise ConfigError("pin_factory", f"must be one of {', '.join(PIN_FACTORIES)}")
    if config.button_pin == config.led_pin:
        raise ConfigError("led_pin", "must differ from button_pin")
    return config


def _addresses(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ConfigError("ice_host_addresses", "must be a list of IP addresses")
    out = []
    for item in value:
        try:
            out.append(str(ipaddress.ip_address(str(item))))
        except ValueError as err:
            raise ConfigError("ice_host_addresses", f"{item!r} is not an IP address") from err
    return tuple(out)
