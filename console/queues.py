"""Per-queue FIFO lines of waiting calls, in memory.

A queue (a service of an office) rarely holds more than a handful of citizens, so an
insertion-ordered dict per queue is the whole data structure: O(1) append and removal by
call id, O(n) position lookup over a tiny n. A call handed on by a caseworker enters its new
queue at the front (the citizen already waited once). Routing looks at a municipality's
calls across its queues oldest first: each call carries an ``order`` key (its request time,
or just before the head of the queue when put at the front).
"""

from __future__ import annotations

from dataclasses import dataclass

FRONT_STEP = 0.001
"""How far before the current head a call put at the front is ordered."""


@dataclass(frozen=True)
class Waiting:
    """Where a waiting call is."""

    call_id: str
    queue_id: int
    municipality_id: int
    order: float
    """Cross-queue order, oldest first (seconds since the epoch)."""


class CallQueues:
    """All queues; each call id is in at most one queue."""

    def __init__(self) -> None:
        self._queues: dict[int, dict[str, Waiting]] = {}
        self._where: dict[str, Waiting] = {}
        self._by_municipality: dict[int, dict[str, Waiting]] = {}

    def push(
        self,
        queue_id: int,
        municipality_id: int,
        call_id: str,
        since: float,
        *,
        front: bool = False,
    ) -> int:
        """Put a call at the end (or the front) of a queue; return its position (1 = next)."""
        if call_id in self._where:
            raise ValueError(f"call {call_id} is already queued")
        queue = self._queues.setdefault(queue_id, {})
        order = since
        if front and queue:
            order = min(since, next(iter(queue.values())).order - FRONT_STEP)
        item = Waiting(call_id, queue_id, municipality_id, order)
        self._where[call_id] = item
        self._by_municipality.setdefault(municipality_id, {})[call_id] = item
        if front:
            self._queues[queue_id] = {call_id: item, **queue}
            return 1
        queue[call_id] = item
        return len(queue)

    def remove(self, call_id: str) -> tuple[int, int] | None:
        """Take a call out; return (queue id, the position it had), or None."""
        item = self._where.pop(call_id, None)
        if item is None:
            return None
        here = self._by_municipality[item.municipality_id]
        del here[call_id]
        if not here:
            del self._by_municipality[item.municipality_id]
        queue = self._queues[item.queue_id]
        position = list(queue).index(call_id) + 1
        del queue[call_id]
        if not queue:
            del self._queues[item.queue_id]
        return item.queue_id, position

    def position(self, call_id: str) -> int | None:
        """Position of a waiting call in its queue (1 = next), or None if it is not waiting."""
        item = self._where.get(call_id)
        if item is None:
            return None
        return list(self._queues[item.queue_id]).index(call_id) + 1

    def where(self, call_id: str) -> Waiting | None:
        """Where a call waits (queue, municipality, order), or None if it is not waiting."""
        return self._where.get(call_id)

    def queue_of(self, call_id: str) -> int | None:
        """The queue a call waits in."""
        item = self._where.get(call_id)
        return None if item is None else item.queue_id

    def waiting(self, queue_id: int) -> list[str]:
        """A queue's call ids, next first."""
        return list(self._queues.get(queue_id, {}))

    def of_municipality(self, municipality_id: int) -> list[str]:
        """A municipality's waiting call ids across its queues, oldest first."""
        found = self._by_municipality.get(municipality_id, {}).values()
        return [w.call_id for w in sorted(found, key=lambda w: w.order)]

    def municipalities(self) -> set[int]:
        """Municipalities with at least one waiting call."""
        return set(self._by_municipality)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._where

    def __len__(self) -> int:
        return len(self._where)
