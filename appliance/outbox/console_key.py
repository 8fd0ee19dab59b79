"""The console's public key for kit documents: fetched over the authenticated API, cached.

The kit seals each document for this key (``protocol/kit_document.py``). It asks
``GET {console_url}/api/v1/kit-key`` with its Bearer credential whenever the link is there
(at start, then every ``REFRESH_S``, and when an upload answer names a newer key), and keeps
the answer in ``<data_dir>/outbox/console-key.json`` so that it can capture while offline,
also after a restart. The key is public: the file needs no secrecy, only integrity, which
the TLS connection to the console gives when it is fetched.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from appliance.files import replace_file
from protocol.kit_document import ALGORITHM, KEY_BYTES, public_key_id

log = logging.getLogger(__name__)

FILE_NAME = "console-key.json"
FETCH_TIMEOUT_S = 10.0


class ConsoleKeyError(ValueError):
    """The console's key answer or the cached file is unusable."""


@dataclass(frozen=True)
class ConsoleKey:
    """The console's current kit key and its upload limit."""

    public_key: bytes
    key_id: str
    max_bytes: int

    @classmethod
    def from_json(cls, data: Any) -> ConsoleKey:
        """Parse and check ``{"algorithm", "public_key", "key_id", "max_bytes"}``."""
        try:
            if data["algorithm"] != ALGORITHM:
                raise ConsoleKeyError(f"unknown algorithm {data['algorithm']!r}")
            public = base64.b64decode(data["public_key"], validate=True)
            max_bytes = data["max_bytes"]
            key_id = data["key_id"]
        except (KeyError, TypeError, binascii.Error, ValueError) as err:
            raise ConsoleKeyError(f"malformed console key: {err}") from err
        if len(public) != KEY_BYTES or public_key_id(public) != key_id:
            raise ConsoleKeyError("the console key does not match its id")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
            raise ConsoleKeyError("max_bytes must be a positive integer")
        return cls(public, key_id, max_bytes)

    def to_json(self) -> dict[str, Any]:
        """The cache file's content."""
        return {
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(self.public_key).decode(),
            "key_id": self.key_id,
            "max_bytes": self.max_bytes,
        }


def load_cached(folder: Path) -> ConsoleKey | None:
    """The cached key, or None (missing or unreadable: logged, fetched again)."""
    path = folder / FILE_NAME
    try:
        return ConsoleKey.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("outbox: cached console key %s unusable (%s)", path, err)
        return None


def save_cached(folder: Path, key: ConsoleKey) -> None:
    """Cache the key atomically."""
    replace_file(folder / FILE_NAME, json.dumps(key.to_json()).encode(), 0o644)


def kit_key_url(console_url: str) -> str:
    """``.../api/v1/kit-key``."""
    return console_url.rstrip("/") + "/api/v1/kit-key"


async def fetch(session: aiohttp.ClientSession, console_url: str, credential: str) -> ConsoleKey:
    """Ask the console for its key; raises aiohttp.ClientError, TimeoutError or ConsoleKeyError."""
    headers = {"Authorization": f"Bearer {credential}"}
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    async with session.get(kit_key_url(console_url), headers=headers, timeout=timeout) as resp:
        if resp.status != 200:
            raise ConsoleKeyError(f"the console answered {resp.status} for its kit key")
        return ConsoleKey.from_json(await resp.json(content_type=None))
