"""The sealed kit document: a photo a mobile office kit keeps until the console has it.

A kit (the terminal in a case, on LTE) captures documents with or without a connection and
keeps them on its SD card until they are uploaded. A kit is carried around and can be lost
or stolen, so the card must never hold a readable ID card or form. The kit therefore
encrypts each document for the console's public key, and only the console's private key
(``console/kit_keys.py``) opens it: the kit itself cannot decrypt what it stored.

Format (version 1), all in one file and one upload body::

    b"BTKD" | 0x01 | header length (2 bytes, big-endian) | header (JSON, UTF-8)
    | ephemeral X25519 public key (32) | wrap nonce (12) | wrapped key (32 + 16 tag)
    | data nonce (12) | ciphertext with its 16-byte tag

- A fresh random AES-256-GCM key (the content key) encrypts the JPEG.
- The content key is wrapped with AES-256-GCM under a key-encryption key derived by
  HKDF-SHA256 from X25519(fresh ephemeral key, console public key); the ephemeral private
  key and the content key are forgotten at once.
- Everything before the wrap nonce (magic, version, header, ephemeral public key) is the
  associated data of both encryptions: the clear header (document id, capture time, which
  console key, size of the picture) cannot be changed without the console noticing.

This module is imported by both sides; it holds no keys.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"BTKD"
VERSION = 1
ALGORITHM = "X25519-HKDF-SHA256/AES-256-GCM"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_HEADER_BYTES = 1024
_PREFIX = struct.Struct(">4sBH")
_INFO = b"bt-kit-document/v1 key wrap"
_HEX = frozenset("0123456789abcdef")


class EnvelopeError(ValueError):
    """A sealed document that is malformed, for another key, or fails authentication."""


@dataclass(frozen=True)
class Header:
    """What stays readable on the kit (no content): enough to upload, expire and route."""

    id: str
    """uuid4 hex chosen at capture; the upload is idempotent by it."""
    captured_at: float
    """Unix seconds at capture (the kit's clock)."""
    key_id: str
    """Which console key it was sealed for (:func:`public_key_id`)."""
    content_type: str = "image/jpeg"
    width: int = 0
    height: int = 0

    def to_json(self) -> bytes:
        """The header as the file stores it."""
        fields = {
            "id": self.id,
            "captured_at": self.captured_at,
            "key_id": self.key_id,
            "content_type": self.content_type,
            "width": self.width,
            "height": self.height,
        }
        return json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()


def valid_id(document_id: str) -> bool:
    """Whether ``document_id`` is a uuid4 hex string (32 lowercase hex digits)."""
    return len(document_id) == 32 and set(document_id) <= _HEX


def public_key_id(public: bytes) -> str:
    """A 16-hex-digit fingerprint of a console public key (raw 32 bytes)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"bt-kit-key-id:" + public)
    return digest.finalize().hex()[:16]


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=_INFO + ephemeral + recipient)
    return hkdf.derive(shared)


def seal(header: Header, plaintext: bytes, console_public: bytes) -> bytes:
    """Encrypt ``plaintext`` for the console key ``console_public`` (raw 32 bytes)."""
    if not valid_id(header.id):
        raise EnvelopeError("a kit document id is 32 lowercase hex digits")
    recipient = X25519PublicKey.from_public_bytes(console_public)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    kek = _kek(ephemeral.exchange(recipient), ephemeral_public, console_public)
    head = header.to_json()
    if len(head) > MAX_HEADER_BYTES:
        raise EnvelopeError("header too long")
    aad = _PREFIX.pack(MAGIC, VERSION, len(head)) + head + ephemeral_public
    content_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce, data_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
    wrapped = AESGCM(kek).encrypt(wrap_nonce, content_key, aad)
    body = AESGCM(content_key).encrypt(data_nonce, plaintext, aad)
    return aad + wrap_nonce + wrapped + data_nonce + body


def read_header(sealed: bytes) -> Header:
    """The clear header of a sealed document (no key needed); EnvelopeError if malformed."""
    return _split(sealed)[0]


def open_sealed(sealed: bytes, private_keys: dict[str, X25519PrivateKey]) -> tuple[Header, bytes]:
    """Header and plaintext, with the private key the header names; EnvelopeError otherwise."""
    header, aad, rest = _split(sealed)
    key = private_keys.get(header.key_id)
    if key is None:
        raise EnvelopeError(f"sealed for console key {header.key_id}, which is not configured")
    ephemeral = aad[-KEY_BYTES:]
    recipient = key.public_key().public_bytes_raw()
    wrap_nonce = rest[:NONCE_BYTES]
    wrapped = rest[NONCE_BYTES : NONCE_BYTES + KEY_BYTES + TAG_BYTES]
    data_nonce_at = NONCE_BYTES + KEY_BYTES + TAG_BYTES
    data_nonce = rest[data_nonce_at : data_nonce_at + NONCE_BYTES]
    body = rest[data_nonce_at + NONCE_BYTES :]
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        content_key = AESGCM(_kek(shared, ephemeral, recipient)).decrypt(wrap_nonce, wrapped, aad)
        return header, AESGCM(content_key).decrypt(data_nonce, body, aad)
    except (InvalidTag, ValueError) as err:
        raise EnvelopeError("the document failed authentication") from err


def _split(sealed: bytes) -> tuple[Header, bytes, bytes]:
    """(header, associated data, the rest) of a sealed document."""
    if len(sealed) < _PREFIX.size:
        raise EnvelopeError("too short to be a sealed kit document")
    magic, version, length = _PREFIX.unpack_from(sealed)
    if magic != MAGIC:
        raise EnvelopeError("not a sealed kit document")
    if version != VERSION:
        raise EnvelopeError(f"unknown kit document version {version}")
    if length > MAX_HEADER_BYTES:
        raise EnvelopeError("header too long")
    aad_end = _PREFIX.size + length + KEY_BYTES
    minimum = aad_end + NONCE_BYTES + KEY_BYTES + TAG_BYTES + NONCE_BYTES + TAG_BYTES
    if len(sealed) < minimum:
        raise EnvelopeError("truncated sealed kit document")
    raw = sealed[_PREFIX.size : _PREFIX.size + length]
    try:
        fields: Any = json.loads(raw)
        header = Header(
            id=_str(fields, "id"),
            captured_at=_number(fields, "captured_at"),
            key_id=_str(fields, "key_id"),
            content_type=_str(fields, "content_type"),
            width=int(_number(fields, "width")),
            height=int(_number(fields, "height")),
        )
    except (ValueError, UnicodeDecodeError, TypeError, KeyError) as err:
        raise EnvelopeError(f"unreadable header: {err}") from err
    if not valid_id(header.id):
        raise EnvelopeError("the header's id is not 32 lowercase hex digits")
    return header, sealed[:aad_end], sealed[aad_end:]


def _str(fields: Any, name: str) -> str:
    value = fields[name]
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"{name} must be a short string")
    return value


def _number(fields: Any, name: str) -> float:
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a non-negative number")
    return float(value)
