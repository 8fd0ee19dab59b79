"""OpenSSH public key lines built from their wire format (as ssh-keygen writes them)."""

from __future__ import annotations

import base64
import os


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def public_key(kind: str = "ssh-ed25519", comment: str = "admin@rathaus") -> str:
    """A well-formed public key line of ``kind`` with random key material."""
    if kind == "ssh-ed25519":
        blob = _string(kind.encode()) + _string(os.urandom(32))
    elif kind == "ssh-rsa":
        blob = _string(kind.encode()) + _string(b"\x01\x00\x01") + _string(os.urandom(257))
    else:  # ecdsa-sha2-nistp256
        blob = _string(kind.encode()) + _string(b"nistp256") + _string(b"\x04" + os.urandom(64))
    line = f"{kind} {base64.b64encode(blob).decode()}"
    return f"{line} {comment}" if comment else line
