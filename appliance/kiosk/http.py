"""Request helpers shared by the kiosk's routes: JSON bodies, JSON errors, Host/Origin checks.

POST endpoints accept only ``application/json`` bodies up to 64 KiB: a cross-site HTML
form cannot send that content type without a CORS preflight. On top of that every
request must name the kiosk itself as ``Host`` (``127.0.0.1:<port>`` or
``localhost:<port>``) and carry no foreign ``Origin``: a page elsewhere that rebinds
its DNS name to 127.0.0.1 (DNS rebinding) sends its own name as ``Host``, and a
cross-site ``fetch`` or ``<img>`` sends its own origin, so both are refused with a 403
JSON error before any route runs. The port compared is the one the request arrived on.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import Forbidden, ServiceUnavailable

from appliance.errors import TerminalError

MAX_BODY = 64 * 1024
LOCAL_NAMES = ("127.0.0.1", "localhost")


class BadRequest(TerminalError):
    """Invalid input from the page; answered with 400."""


def error(code: str, message: str, status: int) -> tuple[Response, int]:
    """The kiosk's JSON error document."""
    return jsonify({"error": {"code": code, "message": message}}), status


def json_body() -> dict[str, Any]:
    """The request's JSON object, or BadRequest."""
    if request.mimetype != "application/json":
        raise BadRequest("Content-Type must be application/json")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise BadRequest("body too large")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest("body is not valid JSON") from err
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def require_running(running: bool) -> None:
    """503 while the daemon is not running."""
    if not running:
        raise ServiceUnavailable("the terminal daemon is not running")


def own_hosts() -> set[str]:
    """The ``Host`` values naming this server on the port the request arrived on."""
    port = str(request.environ.get("SERVER_PORT", ""))
    hosts = {f"{name}:{port}" for name in LOCAL_NAMES}
    if port == "80":  # a default port may be left out of Host
        hosts.update(LOCAL_NAMES)
    return hosts


def check_host_and_origin() -> None:
    """Refuse (403) a foreign ``Host`` or ``Origin``; see the module docstring."""
    hosts = own_hosts()
    host = (request.headers.get("Host") or "").lower()
    if host not in hosts:
        raise Forbidden("this server answers only to its own address")
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in {f"http://{h}" for h in hosts}:
        raise Forbidden("requests from other origins are refused")
