"""``/api/v1/tokens``: the signed-in person's API tokens for scripts.

A token acts with its owner's current role and municipality (demotion or deactivation
applies at once). The clear token (``btk_...``) is in the creation answer only; the console
keeps its sha256. Anyone signed in may hold tokens; nobody sees another person's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from quart import Blueprint, Response

from console.api.jsonio import actor, body, no_content, reply
from console.api.openapi import operation, path_param
from console.authz import require
from console.roles import Role
from console.services import services

bp = Blueprint("api_tokens", __name__)
TokenName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
PATH = "/api/v1/tokens"


class TokenNew(msgspec.Struct, forbid_unknown_fields=True):
    """A new token; without ``expires_in_days`` it lasts until revoked."""

    name: TokenName
    expires_in_days: Days | None = None


class TokenOut(msgspec.Struct):
    """A token's metadata (never the token itself)."""

    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None


class TokenCreated(msgspec.Struct):
    """The new token: ``token`` is shown this once."""

    token: str
    info: TokenOut


class TokenList(msgspec.Struct):
    """Your tokens."""

    tokens: list[TokenOut]


@bp.get(PATH)
async def list_tokens() -> Response:
    """The signed-in person's tokens."""
    who = await require(Role.CASEWORKER)
    found = await services().tokens.of(who.caseworker_id)
    out = [TokenOut(t.id, t.name, t.created_at, t.expires_at) for t in found]
    return reply(TokenList(out))


@bp.post(PATH)
async def create_token() -> Response:
    """Create a token; its clear text is in this answer only."""
    who = await require(Role.CASEWORKER)
    new = await body(TokenNew)
    svc = services()
    now = datetime.now(UTC)
    expires = None if new.expires_in_days is None else now + timedelta(days=new.expires_in_days)
    record, token = await svc.tokens.create(who.caseworker_id, new.name, now, expires)
    svc.audit.record(who.municipality_id, actor(who), "token.create", "token", record.id)
    info = TokenOut(record.id, record.name, record.created_at, record.expires_at)
    return reply(TokenCreated(token, info), 201)


@bp.delete(f"{PATH}/<string(maxlength=32):token_id>")
async def revoke_token(token_id: str) -> Response:
    """Revoke one of your tokens."""
    who = await require(Role.CASEWORKER)
    svc = services()
    await svc.tokens.revoke(who.caseworker_id, token_id)
    svc.audit.record(who.municipality_id, actor(who), "token.revoke", "token", token_id)
    return no_content()


OPENAPI: dict[str, Any] = {
    "paths": {
        PATH: {
            "get": operation("Your API tokens", role="caseworker", tag="tokens", ok=TokenList),
            "post": operation(
                "Create an API token (shown once)", role="caseworker", tag="tokens",
                body=TokenNew, ok=TokenCreated, status=201,
            ),
        },
        PATH + "/{token_id}": {
            "delete": operation(
                "Revoke one of your API tokens", role="caseworker", tag="tokens", status=204,
                params=[path_param("token_id", str)], errors=[404],
            ),
        },
    },
    "schemas": {
        "TokenNew": TokenNew, "TokenOut": TokenOut, "TokenCreated": TokenCreated,
        "TokenList": TokenList,
    },
}  # fmt: skip
