"""Short-lived TURN credentials in coturn's REST-API scheme (``use-auth-secret``).

coturn and the console share one secret and never talk to each other. For each recipient
the console mints ``username = "<expiry unix time>:<user>"`` (``user`` is ``t:<terminal
id>`` or ``cw:<caseworker id>``, so coturn's log tells whose relay it was) and
``credential = base64(HMAC-SHA1(secret, username))``. coturn recomputes the HMAC, refuses
the name with 401 once its time has passed, and ends a relayed session when the time of
the credential it was opened with runs out. So the lifetime must outlast a call: fresh
credentials travel in every ``call.answered`` and ``call.assigned``, and the default of
four hours is longer than any consultation yet short enough that a leaked credential is
useless by the next working day. The ones in ``welcome`` may have expired by the time a
long-connected terminal takes a call; the peers use those of the call.

The secret comes from ``BT_CONSOLE_TURN_SECRET`` or a file (``turn_secret_file``), never
from the repository, and is never logged or handed out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from console.config import ConsoleConfig
from console.errors import ConfigError
from protocol.messages import IceServer

TURN_SCHEMES = ("turn:", "turns:")


def rest_credential(secret: str, username: str) -> str:
    """coturn's REST-API password for ``username``: base64 of HMAC-SHA1 keyed by ``secret``."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class TurnCredentials:
    """Mints per-recipient TURN servers for the ICE server lists the console hands out."""

    def __init__(
        self,
        urls: Sequence[str],
        secret: str,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not urls:
            raise ConfigError("TURN credentials need at least one turn: URL")
        if not secret:
            raise ConfigError("TURN credentials need a shared secret")
        if ttl_s <= 0:
            raise ConfigError("turn_ttl_s must be positive")
        self.urls = list(urls)
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock

    def __repr__(self) -> str:  # the secret must not end up in a log line
        return f"TurnCredentials(urls={self.urls!r}, ttl_s={self.ttl_s})"

    def server_for(self, user: str) -> IceServer:
        """A TURN server entry valid for ``ttl_s`` seconds from now, for ``user``."""
        expiry = int(self._clock()) + self.ttl_s
        username = f"{expiry}:{user}"
        return IceServer(
            urls=list(self.urls),
            username=username,
            credential=rest_credential(self._secret, username),
        )


def ice_servers_for(
    base: Sequence[IceServer], turn: TurnCredentials | None, user: str
) -> list[IceServer]:
    """The configured ICE servers plus, when TURN is configured, ``user``'s own credential."""
    servers = list(base)
    if turn is not None:
        servers.append(turn.server_for(user))
    return servers


def terminal_user(terminal_id: str) -> str:
    """The TURN user name part of a terminal."""
    return f"t:{terminal_id}"


def caseworker_user(caseworker_id: int) -> str:
    """The TURN user name part of a caseworker."""
    return f"cw:{caseworker_id}"


def load_turn(config: ConsoleConfig) -> TurnCredentials | None:
    """TURN credentials from the config, or None when no ``turn_urls`` are set.

    The secret is ``turn_secret`` (set from ``BT_CONSOLE_TURN_SECRET``), else the first
    line of ``turn_secret_file``. URLs without a secret, or a secret file that cannot be
    read, are a configuration error: a console that silently hands out no relay would
    leave citizens behind strict NATs without a picture.
    """
    if not config.turn_urls:
        return None
    for url in config.turn_urls:
        if not url.startswith(TURN_SCHEMES):
            raise ConfigError(f"turn_urls: {url!r} is not a turn: or turns: URL")
    secret = config.turn_secret
    if not secret and config.turn_secret_file is not None:
        secret = _read_secret(config.turn_secret_file)
    if not secret:
        raise ConfigError(
            "turn_urls are set but no secret: set BT_CONSOLE_TURN_SECRET or turn_secret_file"
        )
    return TurnCredentials(config.turn_urls, secret, config.turn_ttl_s)


def _read_secret(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read turn_secret_file {path}: {err.strerror}") from err
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""
