"""The JSON snapshot the kiosk page renders, built from the coordinator's :class:`View`.

The page gets exactly the fields docs/kiosk-api.md lists, nothing more: the document
photo travels as a URL (``/api/photo?n=<number>``, a new number per photo so the page's
``<img>`` reloads), never as bytes in the event stream, and the callback form's name and
phone number are not in the snapshot at all (the page keeps its own form fields).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import msgspec

from appliance.ports import StaffView, View
from protocol.messages import MobileVisit


def snapshot_of(view: View) -> dict[str, Any]:
    """The page's snapshot of ``view`` (without ``boot``, which the bridge adds)."""
    office: dict[str, Any] | None = None
    if view.office is not None:
        office = msgspec.to_builtins(view.office)
        office.pop("type", None)
        office.setdefault("next_open", None)
        office.setdefault("estimated_wait_s", None)
        office.setdefault("brand_color", None)
        office.setdefault("welcome_text", None)
    photo = view.photo
    status = view.print_status
    return {
        "state": view.state,
        "screen": view.shown,
        "caseworker": view.caseworker,
        "position": view.position,
        "estimated_wait_s": view.estimated_wait_s,
        "reason": view.reason,
        "office": office,
        "visits": [_visit(v) for v in view.visits],
        "battery": None
        if view.battery is None
        else {
            "level": view.battery.level,
            "charging": view.battery.charging,
            "low": view.battery.low,
        },
        "contact": {"phone": view.contact.phone, "address": view.contact.address},
        "chat": [{"sender": c.sender, "text": c.text, "at": c.at} for c in view.chat],
        "photo": None
        if photo is None
        else {"url": f"/api/photo?n={photo.number}", "width": photo.width, "height": photo.height},
        "print": None if status is None else {"status": status.status, "message": status.message},
        "callback": view.callback,
        "handset": view.handset,
        "idle_timeout_s": view.idle_timeout_s,
        "queue": view.queue,
        "transfer": None
        if view.transfer_to is None
        else {"to": view.transfer_to, "kind": view.transfer_kind},
        "reconnecting": view.reconnecting,
        "profile": view.profile,
        "staff": None if view.staff is None else _staff(view.staff),
        "call_quality": None if view.call_quality is None else asdict(view.call_quality),
        "link": None if view.link is None else asdict(view.link),
    }


def _staff(staff: StaffView) -> dict[str, Any]:
    """The staff screens' part (mobile profile): who is signed in, what they may call."""
    return {
        "name": staff.name,
        "role": staff.role,
        "expires_at": staff.expires_at,
        "queues": [
            {"queue_id": q.queue_id, "name": q.name, "office": q.office} for q in staff.queues
        ],
        "pending": staff.pending,
        "error": staff.error,
        "retry_after_s": staff.retry_after_s,
        "card": staff.card,
        "printer": staff.printer,
    }


def _visit(v: MobileVisit) -> dict[str, Any]:
    return {
        "day": v.day, "starts": v.starts, "ends": v.ends, "ends_at": v.ends_at,
        "place": v.place, "address": v.address, "note": v.note,
    }  # fmt: skip
