"""Mobile office kits: ``GET /api/v1/kit-key`` and ``PUT /api/v1/kit-documents/<id>``.

Both answer a terminal's Bearer credential only (the same check as ``/ws/terminal``; a
person's session or API token is refused with 401), and only a mobile kit's: a terminal an
admin enrolled as ``stationary`` is refused with 403 ``not_mobile`` (the same test of the
kind as staff sign-in, console/kits.py; the terminal's own claim counts for nothing). The
key answer is the console's public kit key and the upload limit; the kit caches it and
seals documents for it while offline (console/kit_keys.py explains why the private key
never leaves the console).

Upload checks, cheapest first: 401 without the credential; 403 unless the terminal is a
mobile kit; 400 unless the id is 32 lowercase hex digits; 415 unless
``application/octet-stream``; 413 above ``kit_document_max_bytes`` (announced or actual).
An id this kit delivered before is acknowledged with 200 and the same document, without
reading the body again: the kit may delete its copy. Otherwise 400 if the body does not
open with the console's key, names another id or is no JPEG (never a 500); 201 when it is
stored in the case inbox of the kit's municipality (encrypted at rest with the document
key; console/kit_inbox.py) and audited as ``kit.document`` (metadata only). Both answers
name the console's current ``key_id``, so a kit with an old key fetches the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from quart import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from console.audit import Actor
from console.bodies import allow_body
from console.calls import TerminalIdentity
from console.routes.enroll import api_error
from console.routes.terminal_ws import authenticate
from console.services import EXTENSION_KEY, Services, services
from protocol.kit_document import EnvelopeError, valid_id

bp = Blueprint("kit_documents", __name__)

KEY_PATH = "/api/v1/kit-key"
UPLOAD_PREFIX = "/api/v1/kit-documents/"


@bp.record_once
def _allow_large_body(state: Any) -> None:
    """Raise the body limit for uploads on this one route (see console/bodies.py)."""
    svc: Services = state.app.extensions[EXTENSION_KEY]
    limit = svc.config.kit_document_max_bytes
    allow_body(state.app, "PUT", UPLOAD_PREFIX, limit, prefix=True)


@bp.while_app_serving
async def _purge_receipts() -> AsyncGenerator[None, None]:
    """Old receipts go hourly while the app serves."""
    kit_inbox = services().kit_inbox
    task = None if kit_inbox is None else asyncio.create_task(kit_inbox.run(), name="kit-receipts")
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@bp.after_request
async def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(KEY_PATH)
async def kit_key() -> Response | tuple[Response, int]:
    """The console's public kit key for a mobile kit."""
    svc = services()
    who = await _kit(svc)
    if not isinstance(who, TerminalIdentity):
        return who
    if svc.kit_inbox is None:
        return api_error(503, "unavailable", "this console takes no kit documents")
    return jsonify(svc.kit_inbox.keys.public_json(svc.config.kit_document_max_bytes))


@bp.put(UPLOAD_PREFIX + "<document_id>")
async def upload(document_id: str) -> tuple[Response, int]:
    """Store a kit's sealed document in its municipality's case inbox, once."""
    svc = services()
    who = await _kit(svc)
    if not isinstance(who, TerminalIdentity):
        return who
    kit_inbox = svc.kit_inbox
    if kit_inbox is None:
        return api_error(503, "unavailable", "this console takes no kit documents")
    if not valid_id(document_id):
        return api_error(400, "bad_id", "a kit document id is 32 lowercase hex digits")
    if request.mimetype != "application/octet-stream":
        return api_error(415, "unsupported_media_type", "the body must be application/octet-stream")
    limit = svc.config.kit_document_max_bytes
    length = request.content_length
    if length is not None and length > limit:
        return _too_large(limit)
    key_id = kit_inbox.keys.key_id
    earlier = await kit_inbox.known(who.terminal_id, document_id)
    if earlier is not None:
        return jsonify({"document_id": earlier, "created": False, "key_id": key_id}), 200
    try:
        data = await request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large(limit)
    assert isinstance(data, bytes)
    if len(data) > limit:
        return _too_large(limit)
    try:
        got = await kit_inbox.receive(who.terminal_id, who.municipality_id, document_id, data)
    except EnvelopeError as err:
        return api_error(400, "malformed", str(err))
    body = {"document_id": got.document_id, "created": got.created, "key_id": key_id}
    if not got.created:
        return jsonify(body), 200
    captured = datetime.fromtimestamp(got.captured_at, UTC).isoformat(timespec="seconds")
    svc.audit.record(who.municipality_id, Actor("terminal", who.terminal_id, who.name),
                     "kit.document", "document", got.document_id, kit_document_id=document_id,
                     size=got.size, width=got.width, height=got.height,
                     captured_at=captured)  # fmt: skip
    return jsonify(body), 201


async def _kit(svc: Services) -> TerminalIdentity | tuple[Response, int]:
    """The mobile kit the request's Bearer credential belongs to, or the refusal."""
    who = await authenticate(svc, request.headers.get("Authorization", ""))
    if who is None:
        return api_error(401, "unauthorized", "a terminal credential is required")
    if not who.mobile:
        return api_error(403, "not_mobile", "only a mobile kit may send kit documents")
    return who


def _too_large(limit: int) -> tuple[Response, int]:
    return api_error(413, "too_large", f"a kit document may be at most {limit} bytes")


def _error(text: str) -> dict[str, Any]:
    body = {"$ref": "#/components/schemas/ErrorBody"}
    return {"description": text, "content": {"application/json": {"schema": body}}}


def _stored(text: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/KitStored"}
    return {"description": text, "content": {"application/json": {"schema": schema}}}


_ID = {
    "name": "document_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}

OPENAPI: dict[str, Any] = {
    "paths": {
        KEY_PATH: {
            "get": {
                "summary": "The console's public key for documents kits capture offline",
                "description": "Needs a mobile kit's Bearer credential (not an API token).",
                "tags": ["kits"],
                "responses": {
                    "200": {
                        "description": "the current public key and the upload limit",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/KitKey"}}
                        },
                    },
                    "401": _error("no terminal credential"),
                    "403": _error("the terminal is not enrolled as a mobile kit"),
                },
            }
        },
        UPLOAD_PREFIX + "{document_id}": {
            "put": {
                "summary": "A kit uploads a document it sealed for the console's kit key",
                "description": "Needs a mobile kit's Bearer credential. Idempotent by id: a "
                "repeated upload answers 200 with the same document.",
                "tags": ["kits"],
                "parameters": [_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "responses": {
                    "200": _stored("already stored (a repeated upload)"),
                    "201": _stored("stored in the municipality's case inbox"),
                    "400": _error(
                        "bad id, or the body does not open, names another id or is no JPEG"
                    ),
                    "401": _error("no terminal credential"),
                    "403": _error("the terminal is not enrolled as a mobile kit"),
                    "413": _error("larger than kit_document_max_bytes"),
                    "415": _error("not application/octet-stream"),
                },
            }
        },
    },
    "schemas": {
        "KitKey": {
            "type": "object",
            "required": ["algorithm", "key_id", "public_key", "max_bytes"],
            "properties": {
                "algorithm": {"type": "string"},
                "key_id": {"type": "string"},
                "public_key": {"type": "string", "description": "raw X25519, base64"},
                "max_bytes": {"type": "integer"},
            },
        },
        "KitStored": {
            "type": "object",
            "required": ["document_id", "created", "key_id"],
            "properties": {
                "document_id": {"type": "string"},
                "created": {"type": "boolean"},
                "key_id": {"type": "string"},
            },
        },
    },
}
