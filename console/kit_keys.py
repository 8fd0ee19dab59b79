"""The console's key pair for documents that mobile office kits capture offline.

A kit keeps captured documents on its SD card until it reaches the console, sometimes for
days, and it is carried around: it can be lost. So the kit must not be able to read what it
stored. It seals each document for this key pair's public half (``protocol/kit_document.py``:
a fresh AES-256-GCM key per document, wrapped by X25519 and HKDF), and only the console,
which holds the private half, opens it. The public key reaches the terminals over their
authenticated HTTPS API (``GET /api/v1/kit-key``), so a kit that has been online once can
capture offline afterwards.

The private key is kept like the case inbox's document key: ``kit_key_file`` (default
``<data_dir>/kit_key``, generated with mode 0600 on first start) or ``BT_CONSOLE_KIT_KEY``
(base64 raw X25519 private keys, comma-separated; several instances must share it).
Rotation: put a new key first (``python -c "import os,base64;
print(base64.b64encode(os.urandom(32)).decode())"``) and restart; kits fetch the new public
key within an hour (or at their next upload, whose answer names the current key), and the
older key stays below it until every kit's documents sealed for it have arrived or expired
(``outbox_max_age_h`` on the kits, 72 h by default).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from console.errors import ConfigError
from protocol.kit_document import ALGORITHM, KEY_BYTES, Header, open_sealed, public_key_id

FILE_NAME = "kit_key"


class KitKeys:
    """The console's kit key pairs: the first is current (handed out), all of them open."""

    def __init__(self, private_keys: Sequence[X25519PrivateKey]) -> None:
        if not private_keys:
            raise ConfigError("no kit key")
        self._keys: dict[str, X25519PrivateKey] = {}
        for key in private_keys:
            self._keys.setdefault(public_key_id(key.public_key().public_bytes_raw()), key)
        self.public_key = private_keys[0].public_key().public_bytes_raw()
        self.key_id = public_key_id(self.public_key)

    def public_json(self, max_bytes: int) -> dict[str, object]:
        """What ``GET /api/v1/kit-key`` answers."""
        return {
            "algorithm": ALGORITHM,
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_key).decode(),
            "max_bytes": max_bytes,
        }

    def open(self, sealed: bytes) -> tuple[Header, bytes]:
        """Header and plaintext; protocol.kit_document.EnvelopeError if it cannot be opened."""
        return open_sealed(sealed, self._keys)


def parse_kit_keys(text: str, source: str) -> list[X25519PrivateKey]:
    """Base64 raw private keys separated by newlines or commas; ``#`` starts a comment line."""
    keys: list[X25519PrivateKey] = []
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        for item in (part.strip() for part in line.split(",")):
            if not item:
                continue
            try:
                raw = base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError) as err:
                raise ConfigError(f"{source}: a kit key is not valid base64") from err
            if len(raw) != KEY_BYTES:
                raise ConfigError(f"{source}: a kit key must be {KEY_BYTES} bytes, not {len(raw)}")
            keys.append(X25519PrivateKey.from_private_bytes(raw))
    if not keys:
        raise ConfigError(f"{source}: no kit key")
    return keys


def load_kit_keys(key_text: str | None, key_file: Path) -> KitKeys:
    """The configured keys, else those in ``key_file`` (created with a new key if missing)."""
    if key_text:
        return KitKeys(parse_kit_keys(key_text, "BT_CONSOLE_KIT_KEY"))
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        _create(key_file)
        text = key_file.read_text(encoding="ascii")
    except OSError as err:
        raise ConfigError(f"cannot read or create {key_file}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{key_file} is not a text file of base64 keys") from err
    return KitKeys(parse_kit_keys(text, str(key_file)))


def _create(path: Path) -> None:
    """Write a new private key with mode 0600 unless the file exists (O_EXCL: one winner)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    raw = X25519PrivateKey.generate().private_bytes_raw()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(
            "# Buergerterminal kit key (X25519 private key, base64). The first line is handed\n"
            "# to the kits; older keys below it still open what kits sealed for them. Keep a\n"
            "# copy: without it documents waiting on kits cannot be read (console/kit_keys.py).\n"
            + base64.b64encode(raw).decode("ascii")
            + "\n"
        )
