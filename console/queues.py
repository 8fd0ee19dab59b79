"""Per-municipality FIFO queues of waiting calls, in memory.

A municipality's queue rarely holds more than a handful of citizens (one desk, a few
terminals), so an insertion-ordered dict per municipality is the whole data structure:
O(1) append and removal by call id, O(n) position lookup over a tiny n. A caseworker of one
municipality never sees another's queue; the hub asks for exactly one municipality's list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    """One waiting call."""

    call_id: str
    terminal_id: str
    terminal_name: str
    since: float
    """Console clock (seconds since the epoch) when the call was queued."""
    language: str | None = None
    """The kiosk language the citizen chose."""


class CallQueues:
    """All municipalities' queues; each call id is in at most one queue."""

    def __init__(self) -> None:
        self._queues: dict[int, dict[str, Waiting]] = {}
        self._municipality_of: dict[str, int] = {}

    def push(self, municipality_id: int, item: Waiting) -> int:
        """Append a call at the end of its municipality's queue; return its position (1 = next)."""
        if item.call_id in self._municipality_of:
            raise ValueError(f"call {item.call_id} is already queued")
        queue = self._queues.setdefault(municipality_id, {})
        queue[item.call_id] = item
        self._municipality_of[item.call_id] = municipality_id
        return len(queue)

    def remove(self, call_id: str) -> tuple[int, int] | None:
        """Take a call out; return (municipality id, the position it had), or None."""
        municipality_id = self._municipality_of.pop(call_id, None)
        if municipality_id is None:
            return None
        queue = self._queues[municipality_id]
        position = list(queue).index(call_id) + 1
        del queue[call_id]
        if not queue:
            del self._queues[municipality_id]
        return municipality_id, position

    def position(self, call_id: str) -> int | None:
        """Position of a waiting call (1 = next), or None if it is not waiting."""
        municipality_id = self._municipality_of.get(call_id)
        if municipality_id is None:
            return None
        return list(self._queues[municipality_id]).index(call_id) + 1

    def waiting(self, municipality_id: int) -> list[Waiting]:
        """The municipality's queue, oldest first."""
        return list(self._queues.get(municipality_id, {}).values())

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._municipality_of

    def __len__(self) -> int:
        return len(self._municipality_of)
