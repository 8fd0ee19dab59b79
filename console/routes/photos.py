"""``POST /api/v1/photos`` (terminal uploads a document photo) and ``GET /api/v1/photos/<id>``.

The photo travels over HTTP(S), not over the signaling socket or a data channel: a
12-megapixel JPEG is 3-6 MB, far beyond the 64 KiB signaling limit, and an HTTP upload
streams without blocking the terminal's signaling or the call's media.

Upload checks, cheapest first, so that a refused upload costs no body transfer:
401 without the terminal's Bearer credential (the same check as ``/ws/terminal``); 415
unless ``Content-Type: image/jpeg``; 413 above 16 MiB (announced or actual); 404 unless
the terminal is in ``call_id`` with ``request_id`` outstanding; 400 unless the bytes are a
JPEG (start and end markers, size from the frame header). Then the hub stores the photo in
memory (:class:`console.photos.PhotoStore`) and sends ``photo.ready`` to the caseworker.

Download is for caseworkers of the photo's municipality (session or API token); anyone
else gets the same 404 as for an id that never existed. Responses are ``Cache-Control:
no-store``: the browser must not keep a copy of an ID card on the caseworker's disk. The
hub reports each delivered photo (``ToolUsed``), which the audit log records as
``photo.take``. Keeping a photo beyond the call is ``POST /api/v1/documents``
(console/routes/inbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from quart import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from console.authz import require
from console.bodies import allow_body
from console.errors import NotFoundError
from console.jpeg import NotJpegError, jpeg_size
from console.roles import Role
from console.routes.enroll import api_error
from console.routes.terminal_ws import authenticate
from console.services import services

bp = Blueprint("photos", __name__)

UPLOAD_PATH = "/api/v1/photos"
MAX_PHOTO_BYTES = 16 * 1024 * 1024
"""A 12 MP JPEG at high quality is 3-6 MB; 16 MiB leaves room for a 64 MP camera."""
SWEEP_S = 30.0
"""How often expired photos are deleted even when nobody touches the store."""


@bp.record_once
def _allow_large_body(state: Any) -> None:
    """Raise the body limit for uploads on this one route (see console/bodies.py)."""
    allow_body(state.app, "POST", UPLOAD_PATH, MAX_PHOTO_BYTES)


@bp.while_app_serving
async def _sweep() -> AsyncGenerator[None, None]:
    """Delete photos past their grace period every SWEEP_S while the app serves."""
    hub = services().hub

    async def loop() -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            hub.photos.purge()

    task = asyncio.create_task(loop(), name="photo-sweep")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@bp.post(UPLOAD_PATH)
async def upload() -> tuple[Response, int]:
    """Accept a terminal's photo for an outstanding request of its current call."""
    svc = services()
    who = await authenticate(svc, request.headers.get("Authorization", ""))
    if who is None:
        return api_error(401, "unauthorized", "a terminal credential is required")
    if request.mimetype != "image/jpeg":
        return api_error(415, "unsupported_media_type", "the body must be image/jpeg")
    length = request.content_length
    if length is not None and length > MAX_PHOTO_BYTES:
        return _too_large()
    call_id = request.args.get("call_id", "")
    request_id = request.args.get("request_id", "")
    if not svc.hub.photo_expected(who.terminal_id, call_id, request_id):
        return api_error(404, "not_found", "no such photo request in a call of this terminal")
    try:
        data = await request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large()
    assert isinstance(data, bytes)
    try:
        size = jpeg_size(data)
    except NotJpegError as err:
        return api_error(400, "not_jpeg", str(err))
    photo = svc.hub.deliver_photo(
        who.terminal_id, call_id, request_id, data, size.width, size.height
    )
    if photo is None:  # the call ended or the request was answered while the body arrived
        return api_error(404, "not_found", "no such photo request in a call of this terminal")
    body = {"photo_id": photo.photo_id, "width": photo.width, "height": photo.height}
    return jsonify(body), 201


@bp.get(f"{UPLOAD_PATH}/<photo_id>")
async def download(photo_id: str) -> Response:
    """The JPEG for a caseworker of its municipality; 404 for everyone else."""
    who = await require(Role.CASEWORKER)
    photo = services().hub.photos.get(photo_id, who.municipality_id)
    if photo is None:
        raise NotFoundError("no such photo")
    response = Response(photo.jpeg, mimetype="image/jpeg")
    response.headers["Content-Disposition"] = f'inline; filename="dokument-{photo_id}.jpg"'
    return response


@bp.after_request
async def _no_store(response: Response) -> Response:
    """The browser keeps no copy of a photo, nor of an error about one."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_large() -> tuple[Response, int]:
    return api_error(413, "too_large", f"a photo may be at most {MAX_PHOTO_BYTES} bytes")


def _error(text: str) -> dict[str, Any]:
    body = {"$ref": "#/components/schemas/ErrorBody"}
    return {"description": text, "content": {"application/json": {"schema": body}}}


OPENAPI: dict[str, Any] = {
    "paths": {
        UPLOAD_PATH: {
            "post": {
                "summary": "A terminal uploads the document photo a caseworker asked for",
                "description": "Needs the Bearer credential of the terminal in the call "
                "(not an API token).",
                "tags": ["photos"],
                "parameters": [
                    {
                        "name": "call_id",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "request_id",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                },
                "responses": {
                    "201": {
                        "description": "stored in memory; the caseworker got photo.ready",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PhotoUploaded"}
                            }
                        },
                    },
                    "400": _error("not a JPEG"),
                    "401": _error("no terminal credential"),
                    "404": _error("no such outstanding request in a call of this terminal"),
                    "413": _error("larger than 16 MiB"),
                    "415": _error("not image/jpeg"),
                },
            }
        },
        UPLOAD_PATH + "/{photo_id}": {
            "get": {
                "summary": "A call's document photo, held in memory until shortly after the call",
                "tags": ["photos"],
                "parameters": [
                    {
                        "name": "photo_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the JPEG",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    "401": {"$ref": "#/components/responses/401"},
                    "404": {"$ref": "#/components/responses/404"},
                },
            }
        },
    },
    "schemas": {
        "PhotoUploaded": {
            "type": "object",
            "required": ["photo_id", "width", "height"],
            "properties": {
                "photo_id": {"type": "string"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
            },
        }
    },
}
