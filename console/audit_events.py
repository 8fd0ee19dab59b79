"""The hub's call events as audit entries: who answered, transferred, photographed, printed.

A sink for :attr:`console.hub.Hub.events` (see :mod:`console.events`). Each entry names the
caseworker as actor and the call as target and carries metadata only: how long the call
waited, where it was transferred to, a photo's or print job's id and size. Requests and
ends of calls are not audited (no person acts); they feed the usage figures instead
(:mod:`console.usage`).
"""

from __future__ import annotations

import logging

from console.audit import Actor, AuditLog
from console.events import CallAnswered, CallTransferred, HubEvent, ToolUsed

log = logging.getLogger(__name__)

TOOL_ACTIONS = {"photo": ("photo.take", "photo_id"), "print": ("print.send", "job_id")}
"""Audit action and the name of the target's id per tool of :class:`console.events.ToolUsed`."""


class AuditEvents:
    """Turns hub events into queued audit entries; call it with each event."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def __call__(self, event: HubEvent) -> None:
        if isinstance(event, CallAnswered):
            self._audit.record_at(
                event.at,
                event.municipality_id,
                Actor("caseworker", str(event.caseworker_id), event.caseworker_name),
                "call.answer",
                "call",
                event.call_id,
                waited_s=round(event.waited_s, 1),
            )
        elif isinstance(event, CallTransferred):
            self._audit.record_at(
                event.at,
                event.municipality_id,
                Actor("caseworker", str(event.caseworker_id), event.caseworker_name),
                "call.transfer",
                "call",
                event.call_id,
                to_caseworker_id=event.to_caseworker_id,
                to_queue_id=event.to_queue_id,
            )
        elif isinstance(event, ToolUsed):
            known = TOOL_ACTIONS.get(event.tool)
            if known is None:
                log.warning("no audit action for tool %r", event.tool)
                return
            action, id_key = known
            detail: dict[str, str | int] = {id_key: event.target_id, "size": event.size}
            self._audit.record_at(
                event.at,
                event.municipality_id,
                Actor("caseworker", str(event.caseworker_id), event.caseworker_name),
                action,
                "call",
                event.call_id,
                **detail,
            )
