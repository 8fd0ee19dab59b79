"""Caseworker passwords (argon2id) and CSRF tokens for the login and logout forms.

argon2-cffi's defaults (RFC 9106 low-memory profile, ~50 ms per hash) make offline
guessing slow; the hasher is passed in so tests can use cheap parameters. Verification runs
in a worker thread because 50 ms on the event loop would stall every heartbeat. Unknown
usernames are verified against a dummy hash so response time does not tell which
usernames exist.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from console.errors import WeakPasswordError

MIN_PASSWORD_LENGTH = 8
CSRF_KEY = "csrf"


class Passwords:
    """Hashes and verifies passwords with one argon2 hasher."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """Hash a new password after checking its length."""
        check_password_strength(password)
        return self._hasher.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; ``None`` (unknown user) costs the same and fails."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            await asyncio.to_thread(self._check, self._dummy, password)
            return False
        return await asyncio.to_thread(self._check, password_hash, password)

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than :data:`MIN_PASSWORD_LENGTH` characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"password too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def csrf_valid(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    """Whether a submitted form token matches the session's token (constant time)."""
    expected = session.get(CSRF_KEY)
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
