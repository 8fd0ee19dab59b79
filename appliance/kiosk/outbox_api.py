"""The kit's outbox in the kiosk API: ``POST /api/outbox/capture`` and ``GET /api/outbox``.

The mobile office kit's staff screen takes a document still with one touch, with or without
a connection (appliance/outbox/kit.py keeps it sealed until the console has it). Like every
kiosk route these answer on 127.0.0.1 only, with the Host/Origin checks of
``appliance.kiosk.http``; the capture takes a JSON body (possibly ``{}``) so that no other
origin can trigger it with a form. The capture waits for the still (up to 20 s) and answers
201 with the new document's id and the pending count, or a JSON error saying why not.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Blueprint, Response, jsonify

from appliance.kiosk.http import error, json_body
from appliance.outbox.kit import OutboxError


class OutboxPort(Protocol):
    """What the routes need of :class:`appliance.outbox.kit.Outbox`."""

    def status(self) -> dict[str, Any]:
        """Pending count, oldest age, last upload result."""
        ...

    def capture_threadsafe(self, timeout_s: float = 20.0) -> dict[str, Any]:
        """Take, seal and store a still; raises OutboxError."""
        ...


def outbox_blueprint(outbox: OutboxPort) -> Blueprint:
    """The two outbox routes relaying to ``outbox``."""
    api = Blueprint("outbox", __name__)

    @api.get("/api/outbox")
    def status() -> Response:
        response = jsonify(outbox.status())
        response.headers["Cache-Control"] = "no-store"
        return response

    @api.post("/api/outbox/capture")
    def capture() -> tuple[Response, int]:
        json_body()
        try:
            taken = outbox.capture_threadsafe()
        except OutboxError as err:
            return error(err.code, str(err), err.status)
        return jsonify(taken), 201

    return api
