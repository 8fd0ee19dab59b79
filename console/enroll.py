"""Enrollment codes and terminal credentials.

An admin creates a terminal and gets a one-time code such as ``K7PM-Q3XD-9HTW`` (12
characters from a 31-letter alphabet without 0/O, 1/I/L: ~59 bits, typeable from a
printed sheet). The Pi trades it once for a credential ``<terminal_id>.<secret>``; the
secret is 32 random bytes, so storing its sha256 is enough (no slow hash needed against
that entropy). Codes are stored only as sha256 too; they expire (72 h default), wrong codes
are throttled per address, and online guessing of 2^59 codes is hopeless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from console.store import Store, TerminalRecord

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CODE_GROUP = 4


def new_code() -> str:
    """A fresh human-typeable code, grouped ``XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalize_code(code: str) -> str:
    """Upper-case and drop separators, so ``k7pm q3xd-9htw`` matches ``K7PM-Q3XD-9HTW``."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    """sha256 hex of the normalized code; only this is stored."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_terminal_id() -> str:
    """A short random url-safe id without dots (the credential separator).

    Never one starting with ``-``: operators type ids as command-line arguments
    (``bt-console new-code ID``), where a leading ``-`` reads as an option; base64url would
    start one id in 64 so. Drawing again keeps the others equally likely (72 bits of
    randomness less 0.02)."""
    while True:
        terminal_id = secrets.token_urlsafe(9)
        if not terminal_id.startswith("-"):
            return terminal_id


def hash_secret(secret: str) -> str:
    """sha256 hex of a credential secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_credential(credential: str) -> tuple[str, str] | None:
    """``(terminal_id, secret)`` of a well-formed credential, else None."""
    terminal_id, dot, secret = credential.partition(".")
    if not dot or not terminal_id or not secret or len(credential) > 256:
        return None
    return terminal_id, secret


def credential_matches(stored_hash: str | None, secret: str) -> bool:
    """Compare a presented secret with the stored hash in constant time."""
    if stored_hash is None:
        return False
    return hmac.compare_digest(stored_hash, hash_secret(secret))


@dataclass(frozen=True)
class Enrollment:
    """What a terminal receives when its code is accepted."""

    terminal: TerminalRecord
    credential: str


class Enroller:
    """Issues codes and redeems them against the store."""

    def __init__(self, store: Store, clock: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))

    async def add_terminal(
        self, municipality: str, name: str, ttl_hours: float, *, kind: str = "stationary"
    ) -> tuple[TerminalRecord, str]:
        """Create a terminal and return it with its one-time code (shown once)."""
        code = new_code()
        expires = self._clock() + timedelta(hours=ttl_hours)
        terminal = await self._store.add_terminal(
            municipality, new_terminal_id(), name, hash_code(code), expires, kind=kind
        )
        return terminal, code

    async def new_code(self, terminal_id: str, ttl_hours: float) -> tuple[TerminalRecord, str]:
        """Replace a terminal's unused codes with a fresh one (re-enrollment, lost code)."""
        code = new_code()
        expires = self._clock() + timedelta(hours=ttl_hours)
        terminal = await self._store.replace_code(terminal_id, hash_code(code), expires)
        return terminal, code

    async def redeem(self, code: str) -> Enrollment:
        """Trade a code for a new credential; raises CodeInvalid/Used/ExpiredError."""
        secret = secrets.token_urlsafe(32)
        terminal = await self._store.redeem_code(
            hash_code(code), self._clock(), hash_secret(secret)
        )
        return Enrollment(terminal=terminal, credential=f"{terminal.id}.{secret}")
