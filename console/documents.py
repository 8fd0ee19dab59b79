"""Encryption at rest for the case inbox: AES-256-GCM with keys the database never sees.

A document photo saved into the inbox is an ID card or a form with a citizen's name on it.
The database (SQLite file, PostgreSQL dump, backup tape) holds only ciphertext; the key
lives outside it, in ``document_key_file`` (generated with mode 0600 on first start, like
the session secret) or in ``BT_CONSOLE_DOCUMENT_KEY`` (several console instances share it).

Each document gets its own random 96-bit nonce (the size GCM is defined for; at one photo
a second the birthday bound for 2^96 nonces is never approached) and associated data that
binds the ciphertext to its document id and municipality: a row copied to another id or
another municipality fails authentication instead of decrypting.

Key rotation: a key file holds one base64 key per line, the first one encrypts, all of them
decrypt (``BT_CONSOLE_DOCUMENT_KEY`` likewise takes comma-separated keys, newest first).
Every document stores the ``key_id`` (a fingerprint of its key), so old documents stay
readable after a new key is put on top. To rotate: generate a key
(``python -c "import os,base64; print(base64.b64encode(os.urandom(32)).decode())"``),
add it as the first line, restart; once every document written with the old key has passed
``document_retention_days`` (the purge deletes them), remove the old line; or run
``bt-console reseal-documents`` (console/documents_cli.py), which re-encrypts every older
document under the new key at once, and remove the old line when it reports none unreadable.
A document whose key is gone can no longer be opened (it answers an error) and is purged on
schedule.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from console.errors import ConfigError, ConsoleError
from console.key_file import KeyKind, load_key_lines, parse_key_lines

KEY_BYTES = 32
NONCE_BYTES = 12
FILE_NAME = "document_key"
_AAD_PREFIX = b"bt-document/v1"
_KIND = KeyKind(
    noun="document key",
    env_name="BT_CONSOLE_DOCUMENT_KEY",
    size=KEY_BYTES,
    generate=lambda: os.urandom(KEY_BYTES),
    header=(
        "# Buergerterminal document key (AES-256, base64). The first line encrypts;\n"
        "# older keys below it still decrypt. Keep a copy: without it the case inbox\n"
        "# cannot be read. See console/documents.py for rotation.\n"
    ),
)


class DocumentUnreadableError(ConsoleError):
    """A stored document failed to decrypt: its key is gone or the ciphertext was altered."""

    code = "document_unreadable"
    status = 500


@dataclass(frozen=True)
class Sealed:
    """What is stored for one document: which key, the nonce and the ciphertext (with tag)."""

    key_id: str
    nonce: bytes
    ciphertext: bytes


def key_id(key: bytes) -> str:
    """A 16-hex-digit fingerprint of a key (not the key: a hash of it under a fixed label)."""
    return hashlib.sha256(b"bt-document-key-id:" + key).hexdigest()[:16]


def associated_data(document_id: str, municipality_id: int) -> bytes:
    """What the tag authenticates besides the photo: the document's identity and owner."""
    return b"%s|%s|%d" % (_AAD_PREFIX, document_id.encode("ascii"), municipality_id)


class DocumentCipher:
    """Seals and opens documents; the first key encrypts, every key decrypts."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ConfigError("no document key")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise ConfigError(f"a document key must be {KEY_BYTES} bytes, not {len(key)}")
        self._keys = {key_id(key): AESGCM(key) for key in keys}
        self.current = key_id(keys[0])

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of every key this cipher can decrypt with."""
        return tuple(self._keys)

    def seal(self, document_id: str, municipality_id: int, plaintext: bytes) -> Sealed:
        """Encrypt with the current key and a fresh random nonce."""
        nonce = os.urandom(NONCE_BYTES)
        aad = associated_data(document_id, municipality_id)
        ciphertext = self._keys[self.current].encrypt(nonce, plaintext, aad)
        return Sealed(self.current, nonce, ciphertext)

    def open(self, document_id: str, municipality_id: int, sealed: Sealed) -> bytes:
        """Decrypt and authenticate, or raise DocumentUnreadableError."""
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise DocumentUnreadableError(f"document key {sealed.key_id} is not configured")
        if len(sealed.nonce) != NONCE_BYTES:
            raise DocumentUnreadableError("stored nonce has the wrong size")
        try:
            return aead.decrypt(
                sealed.nonce, sealed.ciphertext, associated_data(document_id, municipality_id)
            )
        except InvalidTag as err:
            raise DocumentUnreadableError("document failed authentication") from err


def parse_keys(text: str, source: str) -> list[bytes]:
    """Base64 keys separated by newlines or commas; ``#`` starts a comment line."""
    return parse_key_lines(text, source, _KIND)


def load_cipher(key_text: str | None, key_file: Path) -> DocumentCipher:
    """The cipher from the configured keys, else from ``key_file`` (created if missing)."""
    return DocumentCipher(load_key_lines(key_text, key_file, _KIND))
