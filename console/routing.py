"""Which waiting call is offered to whom: longest-idle or ring-all, per queue.

The references are call-centre queues: FreeSWITCH mod_callcenter (``longest-idle-agent``,
``ring-all``) and Asterisk app_queue (``leastrecent``, ``ringall``, ``wrapuptime``). One pass
over a municipality's waiting calls, oldest first, gives each call to caseworkers who are

- available (not busy, not in wrap-up, not on a break),
- serving the call's queue (no chosen queues means all of the municipality's),
- not already ringing for another call (a person can take one call at a time),
- not yet tried for this call in the current round (declined or let it ring out).

``longest_idle`` rings one person at a time, the one available for longest; ``ring_all``
rings every such person at once and the first ``call.answer`` wins. When everyone who could
take a call was tried, a new round starts after :data:`ROUND_PAUSE_S` (someone not yet
tried, such as a colleague back from wrap-up, is offered the call at once), so a lone
caseworker who declined is asked again, but not at once. This module decides; the hub sends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from console.calls import Call
from console.directory import Directory
from console.presence_state import Person

ROUND_PAUSE_S = 10.0
"""Pause before a call is offered again to people who already declined or let it ring."""
MISSED_TO_BREAK = 3
"""Offers in a row a person lets ring out before they are put on a break: someone who left
the desk without saying so would otherwise hold up every call for ``ring_s``
(FreeSWITCH mod_callcenter's ``max-no-answer``, Asterisk's ``autopause``)."""
TICK_S = 1.0
"""How often timers (ringing, wrap-up, answer limits) are checked: ring times are whole
seconds, so a second's granularity is what a caseworker can notice at most."""


@dataclass(frozen=True)
class Plan:
    """What one routing pass decided."""

    offers: list[tuple[Call, Person]]
    """New offers to make, in order."""
    new_rounds: list[Call]
    """Calls everyone serving has been tried for: after a pause, ``tried`` is cleared."""


def plan(
    calls: Sequence[Call],
    people: Sequence[Person],
    ringing: set[int],
    directory: Directory,
    now: float,
) -> Plan:
    """Decide new offers for ``calls`` (oldest first) among ``people`` (longest idle first).

    ``ringing`` holds the ids of people already offered a call; it is not modified.
    """
    busy = set(ringing)
    offers: list[tuple[Call, Person]] = []
    rounds: list[Call] = []
    free = [p for p in people if p.state == "available"]
    for call in calls:
        queue = call.queue
        if queue is None or call.transfer_to is not None or call.away_since is not None:
            continue  # away: its terminal's socket is lost and it has no one to answer
        serving = [
            p
            for p in free
            if p.caseworker_id not in busy
            and directory.serves(p.caseworker_id, p.who.municipality_id, queue)
        ]
        fresh = [p for p in serving if p.caseworker_id not in call.tried]
        one = fresh[:1] if not call.offers else []
        chosen = fresh if queue.routing == "ring_all" else one
        for person in chosen:
            offers.append((call, person))
            busy.add(person.caseworker_id)
        if not call.offers and not chosen and serving and call.tried and not call.pause_until:
            rounds.append(call)
    return Plan(offers, rounds)


class Ticking(Protocol):
    """What :func:`run_ticks` needs of the hub."""

    def tick(self, now: float) -> None:
        """Act on every timer that is due at ``now``."""


async def run_ticks(
    hub: Ticking,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    every_s: float = TICK_S,
) -> None:
    """Drive the hub's timers: ``hub.tick(clock())`` every ``every_s`` seconds."""
    while True:
        hub.tick(clock())
        await sleep(every_s)
