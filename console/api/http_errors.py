"""HTTP errors under ``/api/`` answer JSON like every other API error.

Werkzeug's own 404 (no such route, or an id outside the route's range), 405 and 413
answers are HTML pages; API clients (and the OpenAPI document, which promises
``{"error": {"code", "message"}}``) get JSON instead. Other paths keep the default pages.
"""

from __future__ import annotations

from quart import Blueprint, Response, has_request_context, request
from werkzeug.exceptions import HTTPException

from console.api.jsonio import reply

bp = Blueprint("api_http_errors", __name__)


@bp.app_errorhandler(HTTPException)
async def http_error(err: HTTPException) -> Response | HTTPException:
    """JSON for API paths; the usual page elsewhere."""
    if not has_request_context() or not request.path.startswith("/api/"):
        return err
    code = (err.name or "error").lower().replace(" ", "_")
    response = reply({"error": {"code": code, "message": err.description or ""}}, err.code or 500)
    if err.code == 405 and err.response is None:
        allowed = getattr(err, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response
