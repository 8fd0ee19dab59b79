"""The case inbox over HTTP: save a call's photo, list, view and delete documents.

``POST /api/v1/documents`` with ``{"photo_id": ...}`` seals a photo still held in memory
into the caseworker's municipality's inbox (201; saving the same photo again answers 200
with the same document). ``GET /api/v1/documents`` lists the municipality's documents,
``GET /api/v1/documents/<id>`` returns the decrypted JPEG, ``DELETE`` removes one: allowed
to the caseworker who saved it, supervisors and admins.

Every caseworker of a municipality sees its whole inbox (a first-level desk hands cases
over); nobody sees another municipality's, which answers the same 404 as a missing id.
Responses are ``Cache-Control: no-store`` so browsers keep no copy of an ID card. Saving,
viewing and deleting are audited (metadata only: ids, sizes).
"""

from __future__ import annotations

import re
from typing import Any

from quart import Blueprint, Response, jsonify, request

from console.audit import Actor
from console.authz import Principal, require
from console.errors import ForbiddenError, InvalidInputError, NotFoundError
from console.roles import Role
from console.services import services
from console.store.documents import DocumentInfo

bp = Blueprint("inbox", __name__)

DOCUMENT_ID = re.compile(r"[0-9a-f]{32}")
"""Document ids are uuid4 hex; anything else cannot exist and is answered 404 unread."""


def actor(who: Principal) -> Actor:
    """The audit actor for a signed-in person or their API token."""
    return Actor("caseworker", str(who.caseworker_id), who.display_name)


def document_json(info: DocumentInfo) -> dict[str, object]:
    """A document's metadata as the API shows it."""
    return {
        "id": info.id,
        "call_id": info.call_id,
        "terminal_id": info.terminal_id,
        "terminal_name": info.terminal_name,
        "saved_by_id": info.caseworker_id,
        "saved_by_name": info.caseworker_name,
        "created_at": info.created_at.isoformat(),
        "expires_at": info.expires_at.isoformat(),
        "content_type": info.content_type,
        "size": info.size,
        "width": info.width,
        "height": info.height,
    }


@bp.after_request
async def _no_store(response: Response) -> Response:
    """No copy of a document or its metadata in the browser's cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/v1/documents")
async def save() -> tuple[Response, int]:
    """Seal a photo of a call into the case inbox."""
    who = await require(Role.CASEWORKER)
    body = await request.get_json(force=True, silent=True)
    photo_id = body.get("photo_id") if isinstance(body, dict) else None
    if not isinstance(photo_id, str) or not 0 < len(photo_id) <= 64:
        raise InvalidInputError("send a JSON object with photo_id (a string)")
    svc = services()
    photo = svc.hub.photos.get(photo_id, who.municipality_id)
    if photo is None:
        raise NotFoundError("no such photo (it may have expired after the call)")
    existing = svc.hub.photos.saved_as(photo_id)
    if existing is not None:
        info = await svc.inbox.info(existing, who.municipality_id)
        if info is not None:
            return jsonify(document_json(info)), 200
    info = await svc.inbox.save(photo, who.caseworker_id)
    svc.hub.photos.mark_saved(photo_id, info.id)
    svc.audit.record(who.municipality_id, actor(who), "document.save", "document", info.id,
                     call_id=info.call_id, size=info.size, key_id=info.key_id)  # fmt: skip
    return jsonify(document_json(info)), 201


@bp.get("/api/v1/documents")
async def listing() -> Response:
    """The municipality's documents, newest first."""
    who = await require(Role.CASEWORKER)
    docs = await services().inbox.listing(who.municipality_id)
    return jsonify({"documents": [document_json(d) for d in docs]})


@bp.get("/api/v1/documents/<document_id>")
async def view(document_id: str) -> Response:
    """The decrypted JPEG of one of the municipality's documents."""
    who = await require(Role.CASEWORKER)
    svc = services()
    if not DOCUMENT_ID.fullmatch(document_id):
        raise NotFoundError("no such document")
    try:
        info, jpeg = await svc.inbox.open(document_id, who.municipality_id)
    except LookupError as err:
        raise NotFoundError("no such document") from err
    svc.audit.record(who.municipality_id, actor(who), "document.view", "document", document_id)
    response = Response(jpeg, mimetype=info.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="dokument-{document_id}.jpg"'
    return response


@bp.delete("/api/v1/documents/<document_id>")
async def remove(document_id: str) -> tuple[str, int]:
    """Delete a document: its saver, a supervisor or an admin."""
    who = await require(Role.CASEWORKER)
    svc = services()
    info = None
    if DOCUMENT_ID.fullmatch(document_id):
        info = await svc.inbox.info(document_id, who.municipality_id)
    if info is None:
        raise NotFoundError("no such document")
    if info.caseworker_id != who.caseworker_id and not who.can(Role.SUPERVISOR):
        raise ForbiddenError("only who saved it, a supervisor or an admin may delete it")
    if await svc.inbox.delete(document_id):
        svc.audit.record(who.municipality_id, actor(who), "document.delete", "document",
                         document_id, call_id=info.call_id)  # fmt: skip
    return "", 204


_UNREADABLE = {
    "description": "The document failed to decrypt (its key is gone or the data was altered).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def _errors(*statuses: int) -> dict[str, Any]:
    """Shared error answers (components of console/api/openapi.py), 500 described here."""
    return {
        str(s): _UNREADABLE if s == 500 else {"$ref": f"#/components/responses/{s}"}
        for s in statuses
    }


_ID_PARAM = {
    "name": "document_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}
_DOC_REF = {"$ref": "#/components/schemas/Document"}

OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/documents": {
            "get": {
                "summary": "The municipality's case inbox (metadata, newest first)",
                "tags": ["documents"],
                "responses": {
                    "200": {
                        "description": "documents",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/DocumentList"}
                            }
                        },
                    },
                    **_errors(401, 403),
                },
            },
            "post": {
                "summary": "Save a call's document photo into the case inbox, encrypted",
                "tags": ["documents"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/SaveDocument"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "already saved: the same document",
                        "content": {"application/json": {"schema": _DOC_REF}},
                    },
                    "201": {
                        "description": "saved",
                        "content": {"application/json": {"schema": _DOC_REF}},
                    },
                    **_errors(400, 401, 403, 404),
                },
            },
        },
        "/api/v1/documents/{document_id}": {
            "get": {
                "summary": "A document's decrypted JPEG",
                "tags": ["documents"],
                "parameters": [_ID_PARAM],
                "responses": {
                    "200": {
                        "description": "the photo",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **_errors(401, 403, 404, 500),
                },
            },
            "delete": {
                "summary": "Delete a document (its saver, a supervisor or an admin)",
                "tags": ["documents"],
                "parameters": [_ID_PARAM],
                "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404)},
            },
        },
    },
    "schemas": {
        "SaveDocument": {
            "type": "object",
            "required": ["photo_id"],
            "properties": {"photo_id": {"type": "string", "minLength": 1, "maxLength": 64}},
        },
        "Document": {
            "type": "object",
            "required": [
                "id",
                "call_id",
                "terminal_id",
                "terminal_name",
                "saved_by_id",
                "saved_by_name",
                "created_at",
                "expires_at",
                "content_type",
                "size",
                "width",
                "height",
            ],
            "properties": {
                "id": {"type": "string"},
                "call_id": {"type": "string"},
                "terminal_id": {"type": ["string", "null"]},
                "terminal_name": {"type": ["string", "null"]},
                "saved_by_id": {"type": ["integer", "null"]},
                "saved_by_name": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "expires_at": {"type": "string", "format": "date-time"},
                "content_type": {"type": "string"},
                "size": {"type": "integer"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
            },
        },
        "DocumentList": {
            "type": "object",
            "required": ["documents"],
            "properties": {"documents": {"type": "array", "items": _DOC_REF}},
        },
    },
}
