"""Typed console configuration: defaults, then an optional TOML file, then ``BT_CONSOLE_*``.

All defaults live in :class:`ConsoleConfig`. The file uses the field names as top-level keys
(``port = 8080``, ``heartbeat_s = 15``, ``ice_servers = [{urls = ["stun:..."]}]``); the
environment variable for a field is ``BT_CONSOLE_`` plus its upper-case name, and JSON for
``ice_servers``. Unknown keys are an error rather than silently ignored: a mistyped
``hearbeat_s`` would otherwise leave the default in place without anyone noticing.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NoReturn

import msgspec

from console.client_address import parse_networks
from console.errors import ConfigError
from console.floods import FloodLimits
from protocol.messages import IceServer

ENV_PREFIX = "BT_CONSOLE_"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CookieSecure = Literal["auto"] | bool
MAX_AUDIT_RETENTION_DAYS = 90.0
"""Audit metadata is kept at most three months (issue 5): larger values are refused."""


def default_web_dir() -> Path:
    """``<repo>/web/console``: templates and static files of the caseworker page."""
    return Path(__file__).resolve().parents[1] / "web" / "console"


@dataclass(frozen=True)
class ConsoleConfig:
    """Everything the console reads at start; built once by :func:`load_config`."""

    data_dir: Path = Path("var/console")
    """SQLite database and the generated session secret live here."""
    database_url: str | None = field(default=None, repr=False)
    """Overrides the SQLite default: ``postgresql+asyncpg://user:password@host/db`` for
    several console instances on one PostgreSQL database (docs/deploy.md). ``postgresql://``
    and ``postgres://`` mean the same (asyncpg is the driver the console ships with). It may
    hold a password: kept out of ``repr``, and messages show it as ``***``."""
    redis_url: str | None = field(default=None, repr=False)  # may hold a password
    """``redis://host:6379/0``: run as one of several instances sharing calls, queues and
    presence through Redis (console/bus/). None: one process with an in-process bus."""
    advertise_url: str | None = None
    """How the other instances reach this one over HTTP (with ``redis_url``), e.g.
    ``http://10.0.0.5:8080``; default ``http://<host>:<port>``. Requests that need the
    calls' owner (photos, printing, fleet) are passed there (console/bus/http.py)."""
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: str | None = None
    """Signs session cookies; generated into ``<data_dir>/secret_key`` when unset."""
    cookie_secure: CookieSecure = "auto"
    """``auto``: Secure cookies unless served on loopback, where plain http is the norm.
    Behind a TLS-terminating proxy on localhost set it to ``true``."""
    heartbeat_s: float = 15.0
    """Clients ping this often; a socket silent for three intervals is closed. 15 s keeps
    NAT bindings of LTE links alive (typical UDP/TCP idle timeouts are 30-60 s)."""
    call_heartbeat_s: float = 2.0
    """Terminals ping this often during an answered call (``welcome``), and their socket is
    closed after three silent intervals: a lost network is then noticed within 4-6 s on the
    terminal and 6 s here, instead of two or three 15 s heartbeats (issue 7). One small message
    every 2 s is far below the flood limits (console/floods.py: 20 per second)."""
    call_hold_s: float = 60.0
    """How long an answered call is held after its terminal's socket was lost, while the
    caseworker stays, for the terminal to resume it. A Wi-Fi access point restarting or an LTE
    modem re-attaching takes 10-40 s; much longer keeps the caseworker from other citizens
    while the one on hold may already have walked away. 0: the call ends at once."""
    ice_servers: tuple[IceServer, ...] = ()
    """Handed to both sides of a call; empty means host candidates only (LAN, tests)."""
    turn_urls: tuple[str, ...] = ()
    """coturn URLs (``turn:host:3478?transport=udp``); each terminal and caseworker gets its
    own short-lived credential for them (console/turn.py). Env: JSON list or comma-separated."""
    turn_secret: str | None = field(default=None, repr=False)
    """coturn's ``static-auth-secret``: from ``BT_CONSOLE_TURN_SECRET``, never the repository."""
    turn_secret_file: Path | None = None
    """A file whose first line is the secret (0600, outside the repository)."""
    turn_ttl_s: int = 4 * 3600
    """Lifetime of a TURN credential: coturn ends a relay when it expires, so it must outlast a
    call; four hours is longer than any consultation and expires within the working day."""
    ice_transport_policy: Literal["all", "relay"] = "all"
    """``relay`` makes the caseworker's browser use TURN only (hides its address, or a network
    that lets only the relay through); ``all`` lets ICE pick the direct path when it works."""
    web_dir: Path = field(default_factory=default_web_dir)
    session_max_age_s: int = 12 * 3600
    """One working day: caseworkers sign in each morning."""
    session_idle_s: int = 2 * 3600
    """A session unused this long ends (each request and, on the console page, keyboard or
    pointer use counts). Two hours outlast a lunch break but not an afternoon away from a
    shared desk; the open console socket keeps delivering calls meanwhile."""
    require_second_factor: bool = True
    """Password sign-in needs a TOTP code too; people without one are led through setup.
    On by default (security by default); tests and the demo turn it off explicitly."""
    code_ttl_hours: float = 72.0
    """Enrollment codes expire after three days: long enough to ship a Pi and plug it in."""
    photo_budget_bytes: int = 64 * 1024 * 1024
    """Memory for document photos per municipality (never written to disk); beyond it the
    oldest photos go, those of finished calls first. 64 MiB holds a dozen 12 MP JPEGs."""
    photo_grace_s: float = 600.0
    """A call's photos are deleted this long after it ends: time for one more look."""
    document_key: str | None = field(default=None, repr=False)
    """Base64 AES-256 key(s) for the case inbox, comma-separated, newest first, from
    ``BT_CONSOLE_DOCUMENT_KEY`` (console/documents.py explains rotation)."""
    document_key_file: Path | None = None
    """Where the inbox key is kept when ``document_key`` is unset; default
    ``<data_dir>/document_key``, generated with mode 0600 on first start."""
    document_retention_days: float = 30.0
    """Documents saved into the case inbox are deleted this many days after saving."""
    kit_key: str | None = field(default=None, repr=False)
    """Base64 X25519 private key(s) that open documents mobile office kits captured offline,
    comma-separated, newest first, from ``BT_CONSOLE_KIT_KEY`` (console/kit_keys.py)."""
    kit_key_file: Path | None = None
    """Where the kit key is kept when ``kit_key`` is unset; default ``<data_dir>/kit_key``,
    generated with mode 0600 on first start."""
    kit_document_max_bytes: int = 16 * 1024 * 1024
    """Largest sealed kit document taken (413 above): the in-call photo's 16 MiB limit."""
    callback_retention_days: float = 30.0
    """A callback request (a citizen's name and phone number) is deleted this many days after
    it was marked done or failed: long enough to answer a "you never called me" within a
    month, short enough not to become an address book."""
    audit_retention_days: float = 90.0
    """Audit entries are deleted this many days after they were written. At most 90: rules for
    video consultation keep such metadata no longer than three months (larger is refused)."""
    usage_retention_days: float = 90.0
    """Call records behind the usage figures (times, terminal, queue; no person) are deleted
    this many days after the call."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies (addresses or CIDR networks) whose ``X-Forwarded-For`` names the
    client (console/client_address.py). None by default: any client could send the header.
    Behind a proxy, list it, or every client counts as the proxy's address for the flood
    limits and sign-in throttles. Env: JSON list or comma-separated."""
    flood: FloodLimits = field(default_factory=FloodLimits)
    """Per-address limits on new connections and messages (console/floods.py): a TOML table
    ``[flood]`` with any of its fields, or JSON in ``BT_CONSOLE_FLOOD``."""

    @property
    def url(self) -> str:
        """The database URL actually used."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'console.db').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        """Whether session cookies get the Secure flag."""
        if self.cookie_secure == "auto":
            return self.host not in LOOPBACK_HOSTS
        return bool(self.cookie_secure)


_FIELDS = {f.name: f for f in dataclasses.fields(ConsoleConfig)}


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> ConsoleConfig:
    """Build the configuration from defaults, the optional TOML file and the environment."""
    values: dict[str, object] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigError(f"cannot read config file {path}: {err.strerror}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"config file {path} is not valid TOML: {err}") from err
        for key, value in raw.items():
            values[key] = _convert(key, value, source=str(path))
    for key, text in (env or {}).items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in _FIELDS:
            continue  # other BT_CONSOLE_* variables are not ours to judge
        values[name] = _convert(name, _parse_env(name, text), source=key)
    return ConsoleConfig(**values)  # type: ignore[arg-type]


def _parse_env(name: str, text: str) -> object:
    """Environment values are text; ice_servers is JSON."""
    if name == "ice_servers":
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{ENV_PREFIX}ICE_SERVERS is not valid JSON: {err}") from err
    if name == "flood":
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{ENV_PREFIX}FLOOD is not valid JSON: {err}") from err
    if name in {"turn_urls", "trusted_proxies"}:
        if text.lstrip().startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as err:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} is not valid JSON: {err}") from err
        return [url.strip() for url in text.split(",") if url.strip()]
    return text


def _convert(name: str, value: object, source: str) -> object:
    """Check and convert one value to the field's type."""
    if name not in _FIELDS:
        raise ConfigError(f"{source}: unknown setting {name!r}")
    try:
        if name in {"data_dir", "web_dir"}:
            return Path(_text(value))
        if name == "database_url":
            return _database_url(_text(value).strip(), source)
        if name == "secret_key":
            return _text(value) or None
        if name == "redis_url":
            return _redis_url(_text(value))
        if name == "advertise_url":
            url = _text(value).strip().rstrip("/")
            if not url:
                return None
            return url if url.startswith(("http://", "https://")) else _fail()
        if name == "host":
            return _text(value)
        if name in {"port", "session_max_age_s", "session_idle_s"}:
            number = int(value) if isinstance(value, int | str) else _fail()
            if name == "port" and not 0 < number < 65536:
                _fail()
            if number <= 0:
                _fail()
            return number
        if name == "photo_budget_bytes":
            number = int(value) if isinstance(value, int | str) else _fail()
            return number if number > 0 else _fail()
        if name in {"audit_retention_days", "usage_retention_days"}:
            days = float(value) if isinstance(value, int | float | str) else _fail()
            limit = MAX_AUDIT_RETENTION_DAYS if name == "audit_retention_days" else 3660.0
            return days if 0 < days <= limit else _fail()
        if name == "callback_retention_days":
            days = float(value) if isinstance(value, int | float | str) else _fail()
            return days if days >= 0 else _fail()
        if name == "photo_grace_s":
            seconds = float(value) if isinstance(value, int | float | str) else _fail()
            return seconds if seconds >= 0 else _fail()
        if name == "document_key":
            return _text(value) or None
        if name in {"document_key_file", "kit_key_file"}:
            return Path(_text(value)) if _text(value) else None
        if name == "kit_key":
            return _text(value) or None
        if name == "kit_document_max_bytes":
            number = int(value) if isinstance(value, int | str) else _fail()
            return number if 1024 <= number <= 1024**3 else _fail()
        if name == "document_retention_days":
            days = float(value) if isinstance(value, int | float | str) else _fail()
            return days if 0 < days <= 3660 else _fail()
        if name == "call_hold_s":
            seconds = float(value) if isinstance(value, int | float | str) else _fail()
            return seconds if 0 <= seconds <= 3600 else _fail()
        if name in {"heartbeat_s", "code_ttl_hours", "call_heartbeat_s"}:
            seconds = float(value) if isinstance(value, int | float | str) else _fail()
            return seconds if seconds > 0 else _fail()
        if name == "cookie_secure":
            return _cookie_secure(value)
        if name == "require_second_factor":
            flag = _cookie_secure(value)
            return flag if isinstance(flag, bool) else _fail()
        if name == "ice_servers":
            return tuple(msgspec.convert(value, type=list[IceServer]))
        if name in _TURN_FIELDS:
            return _turn_setting(name, value)
        if name == "trusted_proxies":
            entries = tuple(msgspec.convert(value, type=list[str]))
            parse_networks(entries)
            return entries
        if name == "flood":
            return msgspec.convert(value, type=FloodLimits)
    except (ValueError, msgspec.ValidationError) as err:
        raise ConfigError(f"{source}: invalid value for {name}: {value!r}") from err
    raise AssertionError(name)


DATABASE_DRIVERS = {
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
"""URL schemes taken, and the SQLAlchemy driver each means: only drivers the console ships."""


def _database_url(text: str, source: str) -> str | None:
    """The URL with its driver made explicit; the error names the scheme, never a password."""
    if not text:
        return None
    scheme, sep, rest = text.partition("://")
    driver = DATABASE_DRIVERS.get(scheme.lower()) if sep else None
    if driver is None:
        shown = f"{scheme}://" if sep else "no scheme"
        raise ConfigError(
            f"{source}: database_url must start with postgresql+asyncpg:// or"
            f" sqlite+aiosqlite:/// (found {shown})"
        )
    return f"{driver}://{rest}"


def _cookie_secure(value: object) -> CookieSecure:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text == "auto":
        return "auto"
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    return _fail()


def _redis_url(text: str) -> str | None:
    """A ``redis://``, ``rediss://`` or ``unix://`` URL, or None for an empty one."""
    text = text.strip()
    if not text:
        return None
    return text if text.split("://", 1)[0] in {"redis", "rediss", "unix"} else _fail()


def _text(value: object) -> str:
    return value if isinstance(value, str) else _fail()


def _fail() -> NoReturn:
    raise ValueError("invalid")


_TURN_FIELDS = frozenset(
    {"turn_urls", "turn_secret", "turn_secret_file", "turn_ttl_s", "ice_transport_policy"}
)


def _turn_setting(name: str, value: object) -> object:
    """TURN and ICE policy settings (console/turn.py)."""
    if name == "turn_urls":
        return tuple(msgspec.convert(value, type=list[str]))
    if name == "turn_secret":
        return _text(value) or None
    if name == "turn_secret_file":
        return Path(_text(value)) if _text(value) else None
    if name == "turn_ttl_s":
        number = int(value) if isinstance(value, int | str) else _fail()
        return number if number > 0 else _fail()
    policy = _text(value).strip().lower()
    return policy if policy in {"all", "relay"} else _fail()
