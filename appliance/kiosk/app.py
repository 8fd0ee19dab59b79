"""The kiosk's Flask app: the page Chromium shows full-screen, and its small JSON API.

It only relays: intents go to the coordinator through the bridge, state comes back as
Server-Sent Events. POST endpoints accept only ``application/json`` bodies up to
64 KiB: a cross-site HTML form cannot send that content type without a CORS
preflight, so a web page opened elsewhere on the terminal cannot start calls. Bad
input is answered with a 400 JSON error, never a 500.
"""

from __future__ import annotations

import json
import logging
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from appliance.kiosk.bridge import KioskBridge

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[2] / "web" / "kiosk"
MAX_BODY = 64 * 1024
KEEPALIVE_S = 5.0
"""SSE comment interval: also how soon a closed page is noticed (on the next write)."""


class BadRequest(Exception):
    """Invalid input from the page; answered with 400."""


def create_kiosk_app(bridge: KioskBridge) -> Flask:
    """Build the kiosk Flask app relaying to ``bridge``."""
    app = Flask(
        __name__,
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
        static_url_path="/static",
    )
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    @app.errorhandler(BadRequest)
    def bad_request(err: BadRequest) -> tuple[Response, int]:
        return _error("bad_request", str(err), 400)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response, int]:
        code = err.code or 500
        return _error((err.name or "error").lower().replace(" ", "_"), err.description or "", code)

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

    @app.post("/api/call")
    def call() -> tuple[Response, int]:
        _json_body()
        _require_running(bridge)
        bridge.call()
        return jsonify({"accepted": True}), 202

    @app.post("/api/hangup")
    def hangup() -> tuple[Response, int]:
        _json_body()
        _require_running(bridge)
        bridge.hangup()
        return jsonify({"accepted": True}), 202

    @app.post("/api/rtc/screen-offer")
    def screen_offer() -> tuple[Response, int]:
        body = _json_body()
        sdp = body.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise BadRequest("'sdp' must be an SDP offer string")
        _require_running(bridge)
        bridge.screen_offer(sdp)
        return jsonify({"accepted": True}), 202

    @app.post("/api/rtc/stats")
    def stats() -> tuple[Response, int]:
        body = _json_body()
        frames = body.get("frames_decoded")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
            raise BadRequest("'frames_decoded' must be a non-negative integer")
        _require_running(bridge)
        bridge.stats(frames)
        return jsonify({"accepted": True}), 202

    return app


def _error(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def _json_body() -> dict[str, Any]:
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


def _require_running(bridge: KioskBridge) -> None:
    if not bridge.running:
        from werkzeug.exceptions import ServiceUnavailable

        raise ServiceUnavailable("the terminal daemon is not running")


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
