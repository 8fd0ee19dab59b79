"""``buergerterminal.toml``: the one file municipal IT staff put on the SD card.

It is read once at first boot, so a mistake in it is found by someone standing at the
terminal with a keyboard-less touchscreen. That is why parsing collects *every* problem
(not only the first) as a (key, what to fix) pair, and why nothing is imported while any
problem remains. The ``[terminal]`` table holds keys of :class:`appliance.config.Config`;
they are checked by writing them as the terminal.toml the daemon will read and loading it
with :func:`appliance.config.load_config`, so the import accepts exactly what the daemon
accepts (no second copy of those rules).
"""

from __future__ import annotations

import difflib
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from appliance.config import Config, load_config
from appliance.errors import ConfigError, TerminalError
from appliance.provision import checks
from appliance.provision.checks import Invalid, Problem
from appliance.provision.tomlwrite import dumps, value_text

BOOT_FILE = "buergerterminal.toml"
DEFAULT_TIMEZONE = "Europe/Berlin"
TOP_KEYS = (
    "console_url",
    "enrollment_code",
    "terminal_name",
    "timezone",
    "ssh_key",
    "ca_certificates",
    "wifi",
    "terminal",
)
WIFI_KEYS = ("ssid", "psk", "country")
SET_BY_IMPORT = ("console_url", "data_dir")
"""Config keys the import sets itself: console_url from the top of the file, data_dir fixed."""
TERMINAL_KEYS = tuple(sorted(f.name for f in fields(Config) if f.name not in SET_BY_IMPORT))
_PLACEHOLDER_URL = "http://127.0.0.1"


@dataclass(frozen=True)
class Wifi:
    """The Wi-Fi network to join; ``psk`` None means an open network."""

    ssid: str
    psk: str | None = field(default=None, repr=False)
    country: str = checks.DEFAULT_COUNTRY


@dataclass(frozen=True)
class BootConfig:
    """A validated buergerterminal.toml; secrets are left out of its repr."""

    console_url: str
    enrollment_code: str | None = field(default=None, repr=False)
    terminal_name: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    ssh_keys: tuple[str, ...] = ()
    ca_certificates: str | None = None
    """The municipality's CA for HTTPS update downloads (bt-update trusts it besides the OS's)."""
    wifi: Wifi | None = None
    terminal: Mapping[str, Any] = field(default_factory=dict, hash=False)


class BootConfigError(TerminalError):
    """The file cannot be imported; ``problems`` lists everything to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def read_boot_config(path: Path, *, enrolled: bool = False) -> BootConfig:
    """Read and validate the file at ``path`` (see :func:`parse_boot_config`)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BootConfigError([Problem(BOOT_FILE, f"cannot be read ({err.strerror})")]) from err
    return parse_boot_config(data, enrolled=enrolled)


def parse_boot_config(data: bytes | str, *, enrolled: bool = False) -> BootConfig:
    """Validate the file's content; raise :class:`BootConfigError` listing every problem.

    ``enrolled``: the terminal already has a credential, so no enrollment code is needed.
    """
    raw = parse_toml(data)
    problems: list[Problem] = []
    _unknown(raw, TOP_KEYS, "", problems)
    values: dict[str, Any] = {}
    simple: list[tuple[str, Callable[[Any], str]]] = [
        ("console_url", checks.check_url),
        ("enrollment_code", checks.check_code),
        ("terminal_name", checks.check_name),
        ("timezone", checks.check_timezone),
        ("ca_certificates", checks.check_ca_certificates),
    ]
    for key, check in simple:
        if key in raw:
            _check(key, raw[key], check, values, problems)
    if "console_url" not in raw:
        problems.append(
            Problem(
                "console_url",
                "is missing; add the console's address, like "
                'console_url = "https://console.example.org"',
            )
        )
    if "enrollment_code" not in raw and not enrolled:
        problems.append(
            Problem(
                "enrollment_code",
                "is missing; add the code the console showed "
                'for this terminal, like enrollment_code = "K7PM-Q3XD-9HTW"',
            )
        )
    if "ssh_key" in raw:
        keys, ssh_problems = checks.check_ssh_keys(raw["ssh_key"])
        values["ssh_keys"] = keys
        problems.extend(Problem("ssh_key", text) for text in ssh_problems)
    if "wifi" in raw:
        values["wifi"] = _wifi(raw["wifi"], problems)
    if "terminal" in raw:
        values["terminal"] = _terminal(raw["terminal"], problems)
    if problems:
        raise BootConfigError(problems)
    return BootConfig(**values)


def parse_toml(data: bytes | str) -> dict[str, Any]:
    """Decode and parse TOML; errors become one problem naming the line."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BootConfigError(
                [
                    Problem(
                        BOOT_FILE,
                        "is not saved as UTF-8 text; save it again choosing the UTF-8 encoding",
                    )
                ]
            ) from err
    data = data.removeprefix("\ufeff")  # Windows editors may start UTF-8 files with a BOM
    try:
        return tomllib.loads(data)
    except tomllib.TOMLDecodeError as err:
        raise BootConfigError([Problem(BOOT_FILE, _syntax(str(err)))]) from err


def _syntax(message: str) -> str:
    where = re.search(r"\(at line (\d+), column (\d+)\)", message)
    detail = re.sub(r"\s*\(at [^)]*\)$", "", message)
    hint = "check the double quotes and the = sign"
    if where:
        return f"line {where[1]} (column {where[2]}) is not understood: {detail}; {hint}"
    return f"ends unexpectedly ({detail}); a text value probably misses its closing quote"


def _check(
    key: str,
    value: Any,
    check: Callable[[Any], str],
    out: dict[str, Any],
    problems: list[Problem],
    name: str | None = None,
) -> None:
    try:
        out[name or key] = check(value)
    except Invalid as err:
        problems.append(Problem(key, str(err)))


def _unknown(
    raw: Mapping[str, Any], known: tuple[str, ...], prefix: str, problems: list[Problem]
) -> None:
    for key in raw:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known keys are: {', '.join(known)}"
        problems.append(Problem(prefix + key, f"is not a known setting ({hint})"))


def _table(raw: Any, name: str, problems: list[Problem]) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    problems.append(
        Problem(
            name,
            f"must be a section: write [{name}] on a line of its own "
            "at the end of the file, and its settings below it",
        )
    )
    return None


def _wifi(raw: Any, problems: list[Problem]) -> Wifi | None:
    table = _table(raw, "wifi", problems)
    if table is None:
        return None
    _unknown(table, WIFI_KEYS, "wifi.", problems)
    values: dict[str, Any] = {}
    before = len(problems)
    if "ssid" not in table:
        problems.append(
            Problem("wifi.ssid", 'is missing; add the network name, like ssid = "Rathaus-Gast"')
        )
    for key, check in (
        ("ssid", checks.check_ssid),
        ("psk", checks.check_psk),
        ("country", checks.check_country),
    ):
        if key in table:
            _check(f"wifi.{key}", table[key], check, values, problems, key)
    return Wifi(**values) if len(problems) == before else None


def _terminal(raw: Any, problems: list[Problem]) -> dict[str, Any]:
    table = _table(raw, "terminal", problems)
    if table is None:
        return {}
    _unknown(
        {k: v for k, v in table.items() if k not in SET_BY_IMPORT},
        TERMINAL_KEYS,
        "terminal.",
        problems,
    )
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in SET_BY_IMPORT:
            where = "at the top of the file" if key == "console_url" else "by the import"
            problems.append(
                Problem(f"terminal.{key}", f"is set {where}; remove it from [terminal]")
            )
        elif key in TERMINAL_KEYS:
            try:
                value_text(value)
            except TypeError:
                problems.append(
                    Problem(
                        f"terminal.{key}", "must be text, a number, true/false or a list of texts"
                    )
                )
            else:
                values[key] = value
    problems.extend(check_terminal_values(values))
    return values


def check_terminal_values(values: Mapping[str, Any]) -> list[Problem]:
    """Load ``values`` as terminal.toml with load_config; every key it refuses is a problem.

    load_config stops at the first bad key, so a refused key is dropped and the rest loaded
    again until it passes: independent mistakes are all reported at once. A refusal naming a
    key that is not in the file (``led_pin`` clashing with a changed ``button_pin``) cannot
    be dropped; the remaining keys are then loaded one at a time.
    """
    remaining = dict(values)
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="bt-firstboot-") as tmp:
        path = Path(tmp) / "terminal.toml"
        for _ in range(len(remaining) + 1):
            err = _load(path, remaining)
            if err is None:
                break
            problems.append(_problem(err))
            if remaining.pop(err.key, None) is None:
                for key, value in remaining.items():
                    alone = _load(path, {key: value})
                    if alone is not None and alone.key == key:
                        problems.append(_problem(alone))
                break
    return problems


def _load(path: Path, values: Mapping[str, Any]) -> ConfigError | None:
    path.write_text(dumps({"console_url": _PLACEHOLDER_URL, **values}), "utf-8")
    try:
        load_config(path, env={})
    except ConfigError as err:
        return err
    return None


def _problem(err: ConfigError) -> Problem:
    return Problem(f"terminal.{err.key}", str(err).removeprefix(f"config {err.key!r}: "))
