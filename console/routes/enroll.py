"""``POST /api/v1/enroll``: a terminal trades its one-time code for a credential.

Errors are JSON ``{"error": {"code", "message"}}`` with the status of the
:class:`~console.errors.EnrollmentError` subclass (404 code_invalid, 409 code_used,
410 code_expired), 400 bad_request for a malformed body, 429 too_many_attempts after repeated
wrong codes from one address.
"""

from __future__ import annotations

import math

import msgspec
from quart import Blueprint, Response, jsonify, request

from console.errors import CodeInvalidError, EnrollmentError
from console.routes.flood_gate import client_address
from console.services import services

bp = Blueprint("enroll", __name__)


class EnrollRequest(msgspec.Struct, frozen=True):
    """Body of an enrollment request; unknown fields are tolerated for newer terminals."""

    code: str
    software: str = ""


def api_error(status: int, code: str, message: str) -> tuple[Response, int]:
    """The JSON error body used by every API endpoint."""
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.post("/api/v1/enroll")
async def enroll() -> tuple[Response, int]:
    """Redeem an enrollment code."""
    svc = services()
    key = f"ip:{client_address()}"
    wait = svc.enroll_throttle.retry_after(key)
    if wait > 0:
        response, status = api_error(
            429, "too_many_attempts", f"too many wrong codes; try again in {math.ceil(wait)} s"
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response, status
    try:
        body = msgspec.json.decode(await request.get_data(), type=EnrollRequest)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        return api_error(400, "bad_request", f"expected JSON {{code, software}}: {err}")
    if not body.code.strip() or len(body.code) > 64:
        return api_error(400, "bad_request", "code must be a non-empty string")
    try:
        enrolled = await svc.enroller.redeem(body.code)
    except CodeInvalidError as err:
        svc.enroll_throttle.failure(key)
        return api_error(err.status, err.code, err.message)
    except EnrollmentError as err:
        return api_error(err.status, err.code, err.message)
    svc.enroll_throttle.reset(key)
    return (
        jsonify(
            {
                "terminal_id": enrolled.terminal.id,
                "credential": enrolled.credential,
                "name": enrolled.terminal.name,
                "municipality": enrolled.terminal.municipality_name,
            }
        ),
        200,
    )
