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
from appliance.parts.modem import MODEMS
from appliance.parts.power import POWERS
from appliance.pins import DEFAULT_PINS, pins_from_file

KIOSK_HOST = "127.0.0.1"
"""The kiosk server's only address (see the module docstring)."""

ENV_PREFIX = "BT_TERMINAL_"
PIN_FACTORIES = ("native", "mock")
CAMERAS = ("auto", "picamera2", "v4l2", "synthetic", "none")
AUDIO_BACKENDS = ("pulse", "alsa", "synthetic", "wav", "none")
PRINTERS = ("cups", "fake", "none")
CARD_READERS = ("pcsc", "fake", "none")
PROFILES = ("kiosk", "mobile")


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
    pins_file: Path | None = None
    """A pin map in hw/pins.toml's format; None = the built-in map (equal to hw/pins.toml).
    Single ``*_pin`` keys in the file or environment still win over it."""
    button_pin: int = DEFAULT_PINS["button_pin"]
    """BCM number of the call button (to ground; the internal pull-up is used)."""
    led_pin: int = DEFAULT_PINS["led_pin"]
    """BCM number of the button's LED ring; 18 is hardware-PWM capable."""
    hook_pin: int = DEFAULT_PINS["hook_pin"]
    """BCM number of the handset's hook switch (to ground, internal pull-up)."""
    status_led_pin: int = DEFAULT_PINS["status_led_pin"]
    """BCM number of the status LED (steady = connected, fast blink = offline)."""
    camera_led_pin: int = DEFAULT_PINS["camera_led_pin"]
    """BCM number of the camera-active LED, lit exactly while camera frames are sent."""
    button_bounce_s: float = 0.05
    """Edges within this time of the last one are contact bounce, not presses. Arcade
    microswitches bounce for 1-10 ms (more when worn); a deliberate second press takes
    well over 100 ms, so 50 ms drops every bounce and no real press."""
    camera: str = "synthetic"
    """``auto`` (picamera2, then a V4L2 webcam, else no camera: audio-only calls),
    ``picamera2``, ``v4l2``, ``synthetic`` (moving test picture: demo and tests) or ``none``.
    The default stays ``synthetic`` for the demo and the end-to-end tests; a real terminal's
    config sets ``auto``."""
    camera_device: str = "/dev/video0"
    """The V4L2 webcam's device node."""
    camera_size: str = "640x480"
    """Video size WxH sent in calls (EN 301 549 sign language: >= 20 fps; 640x480 at 25 fps
    is what a Pi 4 encodes in hardware with room to spare)."""
    camera_fps: int = 25
    audio_bitrate: int = 32000
    """Opus bitrate of the microphone in calls (bit/s). aiortc's own is 96 kbit/s stereo; 32 is
    what Chromium sends for speech, and on a 300 kbit/s mobile line the 64 kbit/s saved are
    the difference between a small picture and none (docs/architecture.md, "A poor link")."""
    """Camera frame rate."""
    audio: str = "synthetic"
    """Microphone backend: ``pulse`` (PipeWire/PulseAudio via PyAV), ``alsa``, ``synthetic``
    (a tone), ``wav`` (``audio_wav`` looped in real time) or ``none``. The caseworker's voice
    is played by the kiosk's Chromium, which must output to ``audio_sink``: the image's
    PipeWire config makes the echo-cancel sink the default (see appliance/parts/audio/README.md)."""
    audio_source: str = "echo-cancel-source"
    """Pulse source captured (PipeWire's echo-cancel source: the citizen without the speaker)."""
    audio_sink: str = "echo-cancel-sink"
    """Pulse sink for the start-up self-test tone; the same sink Chromium plays the call into."""
    alsa_device: str = "default"
    """ALSA device for ``audio = "alsa"`` (capture and self-test playback)."""
    audio_wav: str = ""
    """WAV file for ``audio = "wav"`` (tests, demos)."""
    handset_source: str = ""
    """Source while the handset is lifted (pulse source, ALSA device, WAV path); empty: none."""
    handset_sink: str = ""
    """Pulse sink the call's playback moves to while the handset is lifted."""
    hook_lifted_when: str = "open"
    """Hook switch state meaning "handset lifted": ``open`` (the resting handset holds the
    switch closed, the usual cradle contact) or ``closed``."""
    ice_host_addresses: tuple[str, ...] = field(default_factory=tuple)
    """Host addresses aioice gathers; empty = aioice's choice. Loopback demos: 127.0.0.1."""
    ca_file: Path = Path("/data/config/ca.pem")
    """The municipality's own CA (PEM), trusted besides the system CAs for TLS the terminal
    opens itself: TURN over TLS (``turns:``). Provisioning copies it from the boot partition;
    a missing file means the system CAs alone."""
    link_probe_s: float = 60.0
    """While no call runs, the link measures its round trip and loss with a burst of five pings
    this often (and at each connect) for the kiosk's link indicator (appliance/link_quality.py).
    0: only the heartbeat's own pings are measured."""
    ended_linger_s: float = 3.0
    """How long the ``thanks`` (and ``callback-sent``) screen stays before everything of the
    citizen is wiped and ``welcome`` shows again."""
    no_answer_s: float = 180.0
    """After this long in the queue the ``no-answer`` screen offers a callback request or
    to keep waiting (the call stays queued meanwhile). Three minutes: long enough for a
    caseworker finishing a call, short enough that nobody stands there wondering."""
    idle_timeout_s: float = 90.0
    """Without a touch for this long on ``info``, ``closed`` or ``no-answer`` the terminal
    wipes everything of the citizen (a waiting call is cancelled) and shows ``welcome``.
    Never while waiting or in a call. 90 s: reading the info screen slowly takes under a
    minute; a citizen who walked away should not leave their language or form behind."""
    office_phone: str = ""
    """The office's phone number, shown when the terminal cannot reach the console."""
    office_address: str = ""
    """The office's postal address, shown beside the phone number (offline screen)."""
    hold_to_cancel_s: float = 3.0
    """Holding the button this long cancels a waiting call or hangs up."""
    printer: str = "cups"
    """``cups`` (a CUPS destination; health ``missing`` if there is none), ``fake`` (demo,
    tests) or ``none`` (print requests are answered ``failed``)."""
    printer_name: str = ""
    """CUPS destination to print on; empty = the CUPS server's default destination."""
    cups_server: str = ""
    """CUPS scheduler as ``host:port`` or a socket path; empty = libcups's default (the local
    cupsd, or ``CUPS_SERVER``/client.conf). Tests point it at their own cupsd."""
    power: str = "none"
    """The mobile kit's battery: ``sysfs`` (the fuel gauge under ``power_supply_dir``;
    ``battery: missing`` when there is none), ``fake`` (demo, tests) or ``none`` (a
    stationary terminal on mains: no battery entries in the parts report)."""
    power_supply_dir: Path = Path("/sys/class/power_supply")
    """Where the kernel publishes power supplies; tests point it at a fake tree."""
    modem: str = "none"
    """The mobile kit's LTE modem: ``mmcli`` (ModemManager; ``modem: missing`` when there is
    none or ModemManager is not installed), ``fake`` (demo, tests) or ``none`` (a terminal
    on a wired or Wi-Fi network: no modem entries in the parts report)."""
    mmcli: str = "mmcli"
    """The mmcli program to run (a path; tests point it at a script printing samples)."""
    card_reader: str = "pcsc"
    """``pcsc`` (any reader pcscd offers, via pyscard; health ``missing`` while pyscard,
    pcscd or a reader is absent, retried with backoff), ``fake`` (demo, tests) or ``none``
    (the terminal has no card reader: no ``card_reader`` health entry)."""
    atr_database: Path = Path("/usr/share/pcsc/smartcard_list.txt")
    """pcsc-tools' ATR list (Debian package pcsc-tools), used to tell eID, eGK and girocard
    apart; if it is missing every card is reported ``unknown``."""
    update_request_file: str = ""
    """Where the daemon hands an ``update.offer`` to the root-side installer (``bt-update``),
    as JSON ``{"url", "sha256", "version"}``; empty = updates disabled (tests, demos). The
    image sets ``/data/update/request.json``."""
    outbox_max_age_h: float = 72.0
    """Documents captured on a mobile office kit (appliance/outbox/) that could not be uploaded
    within this many hours are deleted unsent, logged and counted: three days cover a weekend
    of outposts without signal, and no citizen's paper lies on a kit longer than that."""
    profile: str = "kiosk"
    """``kiosk``: a citizen presses the button (a town hall, a shop). ``mobile``: the same
    appliance as a staff kit in a carrying case (outposts, home visits): the page shows a
    staff sign-in, then the staff home (queues to call, card check, printer); no citizen
    button. The console must have the terminal enrolled as a mobile kit too
    (``bt-console add-terminal --mobile``): it decides, not this setting."""
    staff_idle_s: float = 600.0
    """(mobile) Without a touch on the staff home for this long the kit signs the staff
    member out: a case left open on a table must not stay signed in. Never during a call."""

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
    if raw.get("pins_file"):
        # A pin map fills the pins that no single *_pin key sets.
        raw = {**pins_from_file(Path(_str(raw, "pins_file"))), **raw}
    for key in _KEYS:
        if key not in raw:
            continue
        if key in ("kiosk_port",):
            values[key] = _int(raw, key, 0, 65535)
        elif key in DEFAULT_PINS:
            values[key] = _int(raw, key, 0, 27)
        elif key == "button_bounce_s":
            values[key] = _float(raw, key, 0.0, 1.0)
        elif key == "camera_fps":
            values[key] = _int(raw, key, 1, 120)
        elif key == "audio_bitrate":
            values[key] = _int(raw, key, 6000, 510000)
        elif key == "pins_file":
            values[key] = Path(_str(raw, key))
        elif key in ("ended_linger_s", "link_probe_s"):
            values[key] = _float(raw, key, 0.0, 3600.0)
        elif key in ("no_answer_s", "idle_timeout_s", "staff_idle_s"):
            values[key] = _float(raw, key, 1.0, 86400.0)
        elif key == "outbox_max_age_h":
            values[key] = _float(raw, key, 0.01, 24.0 * 90)
        elif key in ("hold_to_cancel_s",):
            values[key] = _float(raw, key, 0.05, 60.0)
        elif key in ("data_dir", "atr_database", "ca_file", "power_supply_dir"):
            values[key] = Path(_str(raw, key))
        elif key == "ice_host_addresses":
            values[key] = _addresses(raw[key])
        elif key in ("audio_wav", "handset_source", "handset_sink", "printer_name", "cups_server",
                     "office_phone", "office_address", "update_request_file"):  # fmt: skip
            values[key] = _optional_str(raw, key)
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
    _check_pins(config)
    _check_camera(config)
    if config.audio not in AUDIO_BACKENDS:
        raise ConfigError("audio", f"must be one of {', '.join(AUDIO_BACKENDS)}")
    if config.audio == "wav" and not config.audio_wav:
        raise ConfigError("audio_wav", 'is required with audio = "wav"')
    if config.printer not in PRINTERS:
        raise ConfigError("printer", f"must be one of {', '.join(PRINTERS)}")
    if config.power not in POWERS:
        raise ConfigError("power", f"must be one of {', '.join(POWERS)}")
    if config.modem not in MODEMS:
        raise ConfigError("modem", f"must be one of {', '.join(MODEMS)}")
    if config.card_reader not in CARD_READERS:
        raise ConfigError("card_reader", f"must be one of {', '.join(CARD_READERS)}")
    if config.hook_lifted_when not in ("open", "closed"):
        raise ConfigError("hook_lifted_when", "must be open or closed")
    if config.profile not in PROFILES:
        raise ConfigError("profile", f"must be one of {', '.join(PROFILES)}")
    return config


def _check_pins(config: Config) -> None:
    seen: dict[int, str] = {}
    for key in DEFAULT_PINS:
        pin = getattr(config, key)
        if pin in seen:
            raise ConfigError(key, f"BCM {pin} is already {seen[pin]}")
        seen[pin] = key


def _check_camera(config: Config) -> None:
    if config.camera not in CAMERAS:
        raise ConfigError("camera", f"must be one of {', '.join(CAMERAS)}")
    width, _, height = config.camera_size.partition("x")
    sizes = (width, height)
    if not all(part.isdigit() and 16 <= int(part) <= 4096 for part in sizes):
        raise ConfigError("camera_size", f"must be WIDTHxHEIGHT, got {config.camera_size!r}")


def _optional_str(raw: dict[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str):
        raise ConfigError(key, "must be a string")
    return value.strip()


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


def camera_size(config: Config) -> tuple[int, int]:
    """``camera_size`` as (width, height) (validated by :func:`load_config`)."""
    width, _, height = config.camera_size.partition("x")
    return int(width), int(height)
