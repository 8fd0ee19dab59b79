"""Request bodies in, JSON out: the shared plumbing of the admin API's route modules.

Bodies are decoded with msgspec straight into the Struct a route expects, so the same
Struct is the validation *and* (through :mod:`console.api.openapi`) the documented schema:
unknown fields, wrong types, too-long strings and bad patterns all answer 400 with
msgspec's message naming the field, never a 500. NUL characters are refused everywhere,
because PostgreSQL cannot store them in text columns.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from quart import Response, request

from console.audit import Actor
from console.authz import Principal
from console.errors import InvalidInputError

T = TypeVar("T")

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
"""A display name: 1-200 characters, at least one of them not blank."""

_encoder = msgspec.json.Encoder()


async def body(kind: type[T]) -> T:
    """The request's JSON body decoded as ``kind``; 400 with the reason otherwise."""
    raw = await request.get_data()
    if not raw:
        raise InvalidInputError("a JSON body is required")
    if b"\\u0000" in raw:  # PostgreSQL text cannot hold NUL; refuse it on SQLite too
        raise InvalidInputError("NUL characters are not allowed")
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as err:
        raise InvalidInputError(f"invalid body: {err}") from err
    except msgspec.DecodeError as err:
        raise InvalidInputError(f"malformed JSON: {err}") from err


def reply(payload: Any, status: int = 200) -> Response:
    """A JSON response (msgspec-encoded: Structs, dataclasses and datetimes work)."""
    response = Response(_encoder.encode(payload), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def no_content() -> Response:
    """An empty 204 response."""
    return Response(b"", status=204)


def actor(who: Principal) -> Actor:
    """The audit log's actor for a principal."""
    return Actor("caseworker", str(who.caseworker_id), who.display_name)


def changed(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body sets (everything not left UNSET)."""
    return {
        name: value
        for name in patch.__struct_fields__
        if (value := getattr(patch, name)) is not msgspec.UNSET
    }
