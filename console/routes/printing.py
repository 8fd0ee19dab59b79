"""``POST /api/v1/calls/<call_id>/print`` (caseworker sends a PDF) and the terminal's download.

The PDF travels over HTTP(S), not over the signaling socket (64 KiB per message): the page
uploads it, the hub keeps it in memory (:class:`console.printing.PrintJobs`) and sends
``print.request`` to the call's terminal, which fetches ``GET /api/v1/print-jobs/<job_id>``
with its Bearer credential. Progress comes back as ``print.status`` over the sockets.

Upload checks, cheapest first: 401 without a signed-in caseworker or API token
(:func:`console.authz.require`); 403 for a session request unless its CSRF token is in
``X-CSRF-Token`` (a cross-site form could otherwise post a PDF with the caseworker's
cookie); 415 unless ``Content-Type: application/pdf``; 413 above 20 MiB
(announced or actual); 400 unless the body starts with ``%PDF-``; 404 unless the caseworker
has the live call ``call_id``; 429/503 when the store's bounds are hit. Deeper checks of the
PDF happen on the terminal, right before printing.

The download answers 404 to anyone but the call's terminal, and for a job already fetched
once or whose call has ended: a job is handed out exactly once.
"""

from __future__ import annotations

import re
from typing import Any

from quart import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from console.authz import require
from console.bodies import SizedRequest
from console.printing import MAX_PDF_BYTES, PrintRefusedError
from console.roles import Role
from console.routes.enroll import api_error
from console.routes.terminal_ws import authenticate
from console.services import services

bp = Blueprint("printing", __name__)

UPLOAD_PATH = re.compile(r"/api/v1/calls/[^/]{1,128}/print")


@bp.record_once
def _allow_large_body(state: Any) -> None:
    """Raise the body limit for PDF uploads on the upload route only."""
    state.app.request_class = print_sized_request(state.app.request_class)


def print_sized_request(current: type[Any]) -> type[SizedRequest]:
    """A request class taking PDFs up to 20 MiB on :data:`UPLOAD_PATH` (path has an id in it).

    console/bodies.py keys limits by exact path; this route's path names the call, so it
    is matched by pattern here. The class stays a SizedRequest sharing the app's limits
    table, so exact-path limits other routes register (before or after) keep working.
    """
    base: type[SizedRequest] = current if issubclass(current, SizedRequest) else SizedRequest
    table: dict[tuple[str, str], int] = {} if base is SizedRequest else base.limits

    class PrintSizedRequest(base):  # type: ignore[valid-type,misc]
        limits = table

        def __init__(self, method: str, scheme: str, path: str, *a: Any, **kw: Any) -> None:
            if method.upper() == "POST" and UPLOAD_PATH.fullmatch(path):
                kw["max_content_length"] = MAX_PDF_BYTES
            super().__init__(method, scheme, path, *a, **kw)

    return PrintSizedRequest


@bp.post("/api/v1/calls/<call_id>/print")
async def upload(call_id: str) -> tuple[Response, int]:
    """Accept a PDF for the caseworker's current call and tell the terminal to fetch it."""
    svc = services()
    who = await require(Role.CASEWORKER)
    if request.mimetype != "application/pdf":
        return api_error(415, "unsupported_media_type", "the body must be application/pdf")
    length = request.content_length
    if length is not None and length > MAX_PDF_BYTES:
        return _too_large()
    try:
        pdf = await request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large()
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF-"):
        return api_error(400, "not_pdf", "the body is not a PDF (it must start with %PDF-)")
    try:
        job = svc.hub.send_print(who.caseworker_id, call_id, pdf)
    except PrintRefusedError as err:
        return api_error(err.status, err.code, err.message)
    if job is None:
        return api_error(404, "not_found", "no such call of yours")
    return jsonify({"job_id": job.job_id, "size": len(job.pdf)}), 202


@bp.get("/api/v1/print-jobs/<job_id>")
async def download(job_id: str) -> tuple[Response, int]:
    """Hand a waiting PDF to its call's terminal, once."""
    svc = services()
    who = await authenticate(svc, request.headers.get("Authorization", ""))
    if who is None:
        return api_error(401, "unauthorized", "a terminal credential is required")
    job = svc.hub.take_print(who.terminal_id, job_id)
    if job is None:
        return api_error(404, "not_found", "no such print job")
    response = Response(job.pdf, mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store"
    return response, 200


def _too_large() -> tuple[Response, int]:
    return api_error(413, "too_large", f"a PDF may be at most {MAX_PDF_BYTES} bytes")


def _error(text: str) -> dict[str, Any]:
    body = {"$ref": "#/components/schemas/ErrorBody"}
    return {"description": text, "content": {"application/json": {"schema": body}}}


_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/calls/{call_id}/print": {
            "post": {
                "summary": "Send a PDF to the printer of the terminal in the caseworker's call",
                "tags": ["printing"],
                "security": [{"bearer": []}, {"session": []}],
                "parameters": [
                    {
                        "name": "call_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                    }
                ],
                "requestBody": {"required": True, "content": _PDF},
                "responses": {
                    "202": {
                        "description": "the terminal was told to fetch and print it",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PrintAccepted"}
                            }
                        },
                    },
                    "400": _error("the body is not a PDF"),
                    "401": _error("no session or API token"),
                    "403": _error("CSRF header missing for a session request"),
                    "404": _error("no such call of yours"),
                    "413": _error("larger than 20 MiB"),
                    "415": _error("not application/pdf"),
                    "429": _error("too many print jobs waiting"),
                    "503": _error("print store full"),
                },
            }
        },
        "/api/v1/print-jobs/{job_id}": {
            "get": {
                "summary": "The call's terminal fetches a waiting PDF, once",
                "description": "Needs the terminal's Bearer credential (not an API token).",
                "tags": ["printing"],
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "name": "job_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                    }
                ],
                "responses": {
                    "200": {"description": "the PDF", "content": _PDF},
                    "401": _error("no terminal credential"),
                    "404": _error("no such job for this terminal, or already fetched"),
                },
            }
        },
    },
    "schemas": {
        "PrintAccepted": {
            "type": "object",
            "properties": {"job_id": {"type": "string"}, "size": {"type": "integer"}},
            "required": ["job_id", "size"],
        }
    },
}
