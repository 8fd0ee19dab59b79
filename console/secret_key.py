"""The key that signs session cookies: given by the operator, or generated once and kept.

Generated keys go to ``<data_dir>/secret_key`` with mode 0600, created atomically
(O_EXCL), so restarts keep sessions valid and two processes starting together agree on
one key. Several console instances behind a balancer must share BT_CONSOLE_SECRET_KEY.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from console.config import ConsoleConfig
from console.errors import ConfigError

FILE_NAME = "secret_key"


def load_secret_key(config: ConsoleConfig) -> str:
    """The configured key, else the one in the data dir, creating it if missing."""
    if config.secret_key:
        return config.secret_key
    path = config.data_dir / FILE_NAME
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        return _create(path) or _read(path)
    except OSError as err:
        raise ConfigError(f"cannot read or create {path}: {err.strerror}") from err


def _create(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds no usable key; delete it to generate a new one")
    return key
