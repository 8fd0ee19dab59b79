"""What happened to calls, as the hub tells it: the feed of the audit log and usage figures.

The hub is synchronous and must never wait for a database, so it only *emits* these small
records to a sink (a plain callable) that queues them; :mod:`console.audit` and
:mod:`console.usage` write them in the background. Events carry ids and times only, never
media, chat text, names or phone numbers of citizens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CallRequested:
    """A terminal's call entered a queue."""

    at: float
    call_id: str
    municipality_id: int
    terminal_id: str
    office_id: int | None
    queue_id: int | None
    language: str | None


@dataclass(frozen=True)
class CallAnswered:
    """A caseworker took the call."""

    at: float
    call_id: str
    municipality_id: int
    caseworker_id: int
    caseworker_name: str
    waited_s: float


@dataclass(frozen=True)
class CallTransferred:
    """A caseworker handed the call to a colleague or to another queue."""

    at: float
    call_id: str
    municipality_id: int
    caseworker_id: int
    caseworker_name: str
    to_caseworker_id: int | None
    to_queue_id: int | None


@dataclass(frozen=True)
class CallEnded:
    """The call is over; ``outcome`` is answered, abandoned, callback or closed."""

    at: float
    call_id: str
    municipality_id: int
    reason: str
    outcome: str


@dataclass(frozen=True)
class ToolUsed:
    """An in-call tool acted: ``tool`` is photo or print; ``target_id`` the photo or job."""

    at: float
    call_id: str
    municipality_id: int
    caseworker_id: int
    caseworker_name: str
    tool: str
    target_id: str
    size: int = 0


HubEvent = CallRequested | CallAnswered | CallTransferred | CallEnded | ToolUsed
EventSink = Callable[[HubEvent], None]


def discard(_event: HubEvent) -> None:
    """The sink of a hub built without one (unit tests of routing alone)."""


class Fanout:
    """One sink that hands every event to several (audit log, usage figures)."""

    def __init__(self, *sinks: EventSink) -> None:
        self._sinks = list(sinks)

    def add(self, sink: EventSink) -> None:
        """Also send events to ``sink``."""
        self._sinks.append(sink)

    def __call__(self, event: HubEvent) -> None:
        for sink in self._sinks:
            sink(event)
