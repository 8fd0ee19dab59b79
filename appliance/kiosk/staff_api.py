"""The mobile profile's intents: staff sign-in and sign-out, and calling a specialist queue.

``POST /api/staff/signin`` takes ``{"username", "password", "totp"?}`` or ``{"code"}`` and
checks it against the protocol's own schema (:class:`protocol.messages.StaffSignin`), so
the console is never sent what it would refuse: an 8-digit code, a 6-digit TOTP, a
username of 1-100 and a password of 1-1024 characters. The values go into one event for
the coordinator, which sends them to the console and keeps none of them; this module does
not log them either (a refusal names the field, never its value). The kiosk server listens
on 127.0.0.1 only, like every other intent. The coordinator ignores these intents in the
kiosk profile, and the console refuses a sign-in from a terminal that is not a mobile kit.
"""

from __future__ import annotations

from typing import Any

import msgspec
from flask import Blueprint, Response, jsonify

from appliance.events import StaffCallPressed, StaffSignInTyped, StaffSignOutPressed
from appliance.kiosk.bridge import KioskBridge
from appliance.kiosk.http import BadRequest, json_body, require_running
from protocol.messages import StaffSignin


def staff_blueprint(bridge: KioskBridge) -> Blueprint:
    """The ``/api/staff/...`` intents relaying to ``bridge``."""
    api = Blueprint("staff", __name__)

    def accepted() -> tuple[Response, int]:
        return jsonify({"accepted": True}), 202

    @api.post("/api/staff/signin")
    def signin() -> tuple[Response, int]:
        form = checked_form(json_body())
        require_running(bridge.running)
        bridge.intent(form)
        return accepted()

    @api.post("/api/staff/signout")
    def signout() -> tuple[Response, int]:
        json_body()
        require_running(bridge.running)
        bridge.intent(StaffSignOutPressed())
        return accepted()

    @api.post("/api/staff/call")
    def call() -> tuple[Response, int]:
        queue_id = json_body().get("queue_id")
        if isinstance(queue_id, bool) or not isinstance(queue_id, int) or queue_id < 1:
            raise BadRequest("'queue_id' must be a positive integer (a queue of the list)")
        require_running(bridge.running)
        bridge.intent(StaffCallPressed(queue_id))
        return accepted()

    return api


def checked_form(body: dict[str, Any]) -> StaffSignInTyped:
    """The sign-in form as an event, or BadRequest naming the field (never its value)."""
    fields = {k: body[k] for k in ("username", "password", "totp", "code") if body.get(k)}
    if isinstance(fields.get("username"), str):
        fields["username"] = fields["username"].strip()
    for key in ("totp", "code"):
        if isinstance(fields.get(key), str):
            fields[key] = "".join(fields[key].split())  # "1234 5678" as shown at the console
    has_code = "code" in fields
    if has_code == ("username" in fields or "password" in fields):
        raise BadRequest("give either 'code', or 'username' and 'password' (and 'totp')")
    if not has_code and not ("username" in fields and "password" in fields):
        raise BadRequest("'username' and 'password' are both needed")
    try:
        checked = msgspec.convert({"type": "staff.signin", "request_id": "x", **fields},
                                  StaffSignin)  # fmt: skip
    except msgspec.ValidationError as err:
        raise BadRequest(_which(str(err))) from None  # the message may quote the value
    return StaffSignInTyped(username=checked.username, password=checked.password,
                            totp=checked.totp, code=checked.code)  # fmt: skip


RULES = (
    ("code", "8 digits"),
    ("totp", "6 digits"),
    ("username", "1-100 characters"),
    ("password", "1-1024 characters"),
)


def _which(detail: str) -> str:
    for key, rule in RULES:
        if f"$.{key}" in detail:
            return f"'{key}' must be {rule}"
    return "the sign-in form is not valid"
