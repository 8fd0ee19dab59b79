"""The kiosk page's intents (POST, JSON) and the call's media for the page (photo, self-view).

Each intent is validated here, at the boundary, and handed to the coordinator through
the bridge as an event; the answer is 202 because the coordinator decides later, on its
own loop. The callback form is checked against the protocol's own schema
(:class:`protocol.messages.CallbackRequest`), so a request the console would refuse is
refused here already, with the same rules (name 1-100 characters, a phone number of
digits, spaces and ``+()/-``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from flask import Blueprint, Response, jsonify

from appliance.kiosk.bridge import KioskBridge
from appliance.kiosk.http import BadRequest, error, json_body, require_running
from appliance.selfview import multipart
from protocol.messages import MAX_CHAT_CHARS, CallbackRequest

LANGUAGE_MAX = 16


def intents_blueprint(bridge: KioskBridge) -> Blueprint:
    """The ``/api/...`` intents and media routes relaying to ``bridge``."""
    api = Blueprint("intents", __name__)

    def accepted() -> tuple[Response, int]:
        return jsonify({"accepted": True}), 202

    @api.post("/api/call")
    def call() -> tuple[Response, int]:
        json_body()
        require_running(bridge.running)
        bridge.call()
        return accepted()

    @api.post("/api/continue")
    def continue_call() -> tuple[Response, int]:
        body = json_body()
        language = _language(body)
        queue_id = body.get("queue_id")
        if queue_id is not None and (
            isinstance(queue_id, bool) or not isinstance(queue_id, int) or queue_id < 1
        ):
            raise BadRequest("'queue_id' must be a positive integer (a service of the office)")
        require_running(bridge.running)
        bridge.continue_call(language, queue_id)
        return accepted()

    @api.post("/api/hangup")
    def hangup() -> tuple[Response, int]:
        json_body()
        require_running(bridge.running)
        bridge.hangup()
        return accepted()

    @api.post("/api/keep-waiting")
    def keep_waiting() -> tuple[Response, int]:
        json_body()
        require_running(bridge.running)
        bridge.keep_waiting()
        return accepted()

    @api.post("/api/callback")
    def callback() -> tuple[Response, int]:
        body = json_body()
        form: dict[str, Any] = {k: body[k] for k in ("name", "phone", "language") if k in body}
        form.update(type="callback.request", request_id="x", reason=body.get("reason") or "other")
        try:
            checked = msgspec.convert(form, CallbackRequest)
        except msgspec.ValidationError as err:
            raise BadRequest(f"callback form: {err}") from err
        _language(body)
        require_running(bridge.running)
        bridge.callback(checked.name.strip(), checked.phone, checked.language, checked.reason)
        return accepted()

    @api.post("/api/chat")
    def chat() -> tuple[Response, int]:
        text = json_body().get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT_CHARS:
            raise BadRequest(f"'text' must be 1-{MAX_CHAT_CHARS} characters")
        require_running(bridge.running)
        bridge.chat(text.strip())
        return accepted()

    @api.post("/api/activity")
    def activity() -> tuple[Response, int]:
        json_body()
        require_running(bridge.running)
        bridge.activity()
        return accepted()

    @api.post("/api/reset")
    def reset() -> tuple[Response, int]:
        json_body()
        require_running(bridge.running)
        bridge.reset()
        return accepted()

    @api.post("/api/rtc/screen-offer")
    def screen_offer() -> tuple[Response, int]:
        sdp = json_body().get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise BadRequest("'sdp' must be an SDP offer string")
        require_running(bridge.running)
        bridge.screen_offer(sdp)
        return accepted()

    @api.post("/api/rtc/stats")
    def stats() -> tuple[Response, int]:
        frames = json_body().get("frames_decoded")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
            raise BadRequest("'frames_decoded' must be a non-negative integer")
        require_running(bridge.running)
        bridge.stats(frames)
        return accepted()

    @api.get("/api/photo")
    def photo() -> Response | tuple[Response, int]:
        jpeg = bridge.photo()
        if jpeg is None:
            return error("not_found", "no document photo in this call", 404)
        return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @api.get("/api/self-view")
    def self_view() -> Response | tuple[Response, int]:
        stream = bridge.self_view
        if stream is None or not stream.active:
            return error("not_found", "no call, no self-view", 404)
        return Response(
            multipart(stream.frames()),
            mimetype="multipart/x-mixed-replace; boundary=frame",
            headers={"Cache-Control": "no-store"},
        )

    return api


def _language(body: dict[str, Any]) -> str | None:
    language = body.get("language")
    if language is None:
        return None
    if not isinstance(language, str) or not 1 <= len(language) <= LANGUAGE_MAX:
        raise BadRequest("'language' must be a language code")
    if not all(c.isalnum() or c == "-" for c in language):
        raise BadRequest("'language' must be a language code")
    return language
