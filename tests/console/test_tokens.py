"""API tokens: only a hash is stored; expiry, ownership and revocation hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.config import ConsoleConfig
from console.errors import NotFoundError
from console.store import Store
from console.store.tokens import TOKEN_PREFIX, TokenStore, token_hash
from tests.console.conftest import Seed
from tests.console.sql import sql

pytestmark = pytest.mark.both_backends

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


async def test_token_finds_its_owner_and_is_stored_only_as_hash(
    store: Store, seed: Seed, config: ConsoleConfig
) -> None:
    tokens = TokenStore(store.db)
    alice = await store.caseworker_by_username("alice")
    assert alice is not None
    record, token = await tokens.create(alice.id, "backup script", NOW, None)
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert await tokens.owner(token, NOW) == alice.id
    assert await tokens.owner(token + "x", NOW) is None
    assert await tokens.owner("not-a-token", NOW) is None
    stored = (await sql(config, "SELECT token_hash FROM api_tokens")).rows
    assert stored == [(token_hash(token),)]
    assert token not in str(stored)
    assert [t.id for t in await tokens.of(alice.id)] == [record.id]


async def test_expired_and_revoked_tokens_stop_working(store: Store, seed: Seed) -> None:
    tokens = TokenStore(store.db)
    alice = await store.caseworker_by_username("alice")
    bert = await store.caseworker_by_username("bert")
    assert alice is not None and bert is not None
    record, token = await tokens.create(alice.id, "short", NOW, NOW + timedelta(hours=1))
    assert await tokens.owner(token, NOW + timedelta(minutes=59)) == alice.id
    assert await tokens.owner(token, NOW + timedelta(hours=1)) is None
    with pytest.raises(NotFoundError):
        await tokens.revoke(bert.id, record.id)  # not bert's
    await tokens.revoke(alice.id, record.id)
    assert await tokens.owner(token, NOW) is None
