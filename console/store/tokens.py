"""Bearer tokens for the admin API: only a sha256 of each token is stored.

A token is 32 random bytes (URL-safe base64), so a fast hash is enough, as for terminal
credentials. It acts with its owner's current role and municipality: demoting or
deactivating the person takes effect on their tokens at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from console.errors import NotFoundError, StoreError
from console.store.database import Database
from console.store.models import ApiToken

TOKEN_PREFIX = "btk_"  # noqa: S105 - a marker for secret scanners, not a secret


@dataclass(frozen=True)
class TokenRecord:
    """A token's metadata (never the token itself)."""

    id: str
    caseworker_id: int
    name: str
    created_at: datetime
    expires_at: datetime | None


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Creates, finds and revokes API tokens."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, caseworker_id: int, name: str, now: datetime, expires_at: datetime | None
    ) -> tuple[TokenRecord, str]:
        """A new token for a caseworker; the clear token is returned once, here only."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(
            id=uuid.uuid4().hex,
            caseworker_id=caseworker_id,
            name=name,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expires_at,
        )
        try:
            async with self._db.session() as s, s.begin():
                s.add(row)
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        return _record(row), token

    async def owner(self, token: str, now: datetime) -> int | None:
        """The caseworker id a valid, unexpired token belongs to."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        try:
            async with self._db.session() as s:
                row = await s.scalar(
                    select(ApiToken).where(ApiToken.token_hash == token_hash(token))
                )
        except SQLAlchemyError as err:
            raise StoreError(f"database error: {err}") from err
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        return row.caseworker_id

    async def of(self, caseworker_id: int) -> list[TokenRecord]:
        """The tokens of one caseworker."""
        async with self._db.session() as s:
            rows = await s.scalars(
                select(ApiToken)
                .where(ApiToken.caseworker_id == caseworker_id)
                .order_by(ApiToken.created_at)
            )
            return [_record(row) for row in rows]

    async def revoke(self, caseworker_id: int, token_id: str) -> None:
        """Delete one of a caseworker's tokens (NotFoundError if it is not theirs)."""
        async with self._db.session() as s, s.begin():
            result = await s.execute(
                delete(ApiToken).where(
                    ApiToken.id == token_id, ApiToken.caseworker_id == caseworker_id
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise NotFoundError("no such token")


def _record(row: ApiToken) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        caseworker_id=row.caseworker_id,
        name=row.name,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
