"""The kiosk's Flask app: the page Chromium shows full-screen, and its small JSON API.

It only relays: intents go to the coordinator through the bridge
(``appliance.kiosk.intents``), state comes back as Server-Sent Events. Every request
must name the kiosk itself as ``Host`` and carry no foreign ``Origin`` (403 otherwise,
see ``appliance.kiosk.http``); POST endpoints accept only ``application/json`` bodies
up to 64 KiB, so a web page opened elsewhere on the terminal cannot start calls. Bad
input is answered with a 400 JSON error, never a 500.
"""

from __future__ import annotations

import json
import logging
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template
from werkzeug.exceptions import HTTPException

from appliance.kiosk.bridge import KioskBridge
from appliance.kiosk.http import MAX_BODY, BadRequest, check_host_and_origin, error
from appliance.kiosk.i18n import i18n_blueprint
from appliance.kiosk.intents import intents_blueprint
from appliance.kiosk.outbox_api import OutboxPort, outbox_blueprint

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[2] / "web" / "kiosk"
KEEPALIVE_S = 5.0
"""SSE comment interval: also how soon a closed page is noticed (on the next write)."""


def create_kiosk_app(bridge: KioskBridge, outbox: OutboxPort | None = None) -> Flask:
    """Build the kiosk Flask app relaying to ``bridge`` (and the kit's ``outbox``)."""
    app = Flask(
        __name__,
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
        static_url_path="/static",
    )
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.register_blueprint(i18n_blueprint())  # /i18n/<code>.json, t() in templates

    app.before_request(check_host_and_origin)

    @app.errorhandler(BadRequest)
    def bad_request(err: BadRequest) -> tuple[Response, int]:
        return error("bad_request", str(err), 400)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response, int]:
        code = err.code or 500
        return error((err.name or "error").lower().replace(" ", "_"), err.description or "", code)

    @app.get("/")
    def index() -> str:
        return render_template("index.html", boot=bridge.boot)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(bridge.health())

    @app.get("/api/state")
    def state() -> Response:
        return jsonify(bridge.snapshot())

    @app.get("/api/events")
    def events() -> Response:
        return Response(
            _stream(bridge),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    app.register_blueprint(intents_blueprint(bridge))
    if outbox is not None:
        app.register_blueprint(outbox_blueprint(outbox))
    return app


def _sse(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _stream(bridge: KioskBridge) -> Iterator[str]:
    page = bridge.subscribe()
    try:
        yield "retry: 1000\n\n"
        yield _sse("state", bridge.snapshot())
        while True:
            try:
                item = page.get(timeout=KEEPALIVE_S)
            except queue.Empty:
                yield ": keepalive\n\n"
                continue
            if item is None:
                return
            yield _sse(*item)
    finally:
        bridge.unsubscribe(page)
